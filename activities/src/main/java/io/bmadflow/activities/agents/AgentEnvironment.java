package io.bmadflow.activities.agents;

import io.bmadflow.workflows.agents.AgentStepRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The environment an agent command starts with: an allow-list, never the worker's whole
 * environment, so an agent (possibly an LLM following injected instructions) does not get the
 * worker's cloud credentials, tokens or home directory.
 *
 * <p>A command's environment holds only:
 *
 * <ul>
 *   <li>{@code PATH}, {@code LANG}, {@code LC_ALL}, {@code LC_CTYPE}, {@code TERM} and {@code TZ},
 *       with the worker's values, each only when the worker has it;
 *   <li>{@code HOME}: the agent's own directory in the project's workspace,
 *       {@code .bmadflow/home/<agent>}, and {@code TMPDIR}: {@code .bmadflow/tmp/<agent>} (both
 *       created, kept from step to step, and left out of checkpoints like all of {@code .bmadflow/});
 *   <li>the step's {@code BMADFLOW_PROJECT_ID}, {@code BMADFLOW_PHASE}, {@code BMADFLOW_AGENT},
 *       {@code BMADFLOW_STEP_INDEX}, {@code BMADFLOW_WORKSPACE} and, when the step has them,
 *       {@code BMADFLOW_STORY_ID} and {@code BMADFLOW_CREATES};
 *   <li>the variables the operator names in the worker's {@value #PASS_THROUGH}, comma-separated
 *       ({@code ANTHROPIC_API_KEY,OPENAI_API_KEY}), with the worker's values; a named variable the
 *       worker does not have is left out, with a warning logged when the worker starts.
 * </ul>
 *
 * <p>{@value #PASS_THROUGH} lists names only; each variable's value is set in the worker's own
 * environment. A name that is a setting of the worker itself ({@code BMADFLOW_*},
 * {@code TEMPORAL_*}: the bucket's credentials, the checkpoint keys, the Temporal connection) is
 * refused, and so are {@code HOME} and {@code TMPDIR} (agents have their own). An {@code AWS_*}
 * name is passed, since an operator who names one means it, with a warning logged: with the
 * worker's AWS credentials an agent may be able to rewrite checkpoint packages. Values are read
 * once, when the worker starts. The environment is not a sandbox: the command still runs as the
 * worker's operating-system user and can read whatever that user can, the worker's own process
 * environment in {@code /proc/<pid>/environ} included.
 */
public final class AgentEnvironment {
  /** The worker's variable that names the variables agents get, comma-separated. */
  public static final String PASS_THROUGH = "BMADFLOW_AGENT_ENV";
  /** Where agents' home directories are, relative to the workspace root. */
  public static final String HOME_DIRECTORY = ".bmadflow/home";
  /** Where agents' temporary directories are, relative to the workspace root. */
  public static final String TMP_DIRECTORY = ".bmadflow/tmp";
  /** The worker's variables every agent gets, when the worker has them. */
  public static final List<String> BASE = List.of("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TZ");

  /** The environment of the base variables alone, from this JVM's environment. */
  public static final AgentEnvironment BASE_ONLY = new AgentEnvironment(System.getenv(), List.of());

  private static final Logger log = LoggerFactory.getLogger(AgentEnvironment.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");
  private static final int MAX_NAMES = 256;

  private final Map<String, String> inherited;
  private final List<String> passedThrough;

  private AgentEnvironment(Map<String, String> worker, List<String> passedThrough) {
    Map<String, String> values = new TreeMap<>();
    for (String name : BASE) {
      String value = worker.get(name);
      if (value != null) {
        values.put(name, value);
      }
    }
    for (String name : passedThrough) {
      String value = worker.get(name);
      if (value != null) {
        values.put(name, value);
      }
    }
    this.inherited = Collections.unmodifiableMap(values);
    this.passedThrough = List.copyOf(passedThrough);
  }

  /**
   * The agent environment the worker's environment configures through {@value #PASS_THROUGH}.
   *
   * @param worker the worker's environment
   * @throws IllegalArgumentException naming {@value #PASS_THROUGH} and the entry when an entry is
   *     not a variable name or names a variable agents may not get
   */
  public static AgentEnvironment fromEnvironment(Map<String, String> worker) {
    String list = worker.get(PASS_THROUGH);
    List<String> names = names(list);
    for (String name : names) {
      if (name.startsWith("AWS_")) {
        log.warn("{} passes {} to agent commands: with the worker's AWS credentials an agent may be able to read"
            + " and rewrite checkpoint packages in the bucket; give agents credentials of their own if they need"
            + " AWS", PASS_THROUGH, name);
      }
      if (!worker.containsKey(name)) {
        log.warn("{} lists {}, which is not set on this worker; agent commands run without it", PASS_THROUGH, name);
      }
    }
    return new AgentEnvironment(worker, names);
  }

  /** The names in a {@value #PASS_THROUGH} value, in order, without repeats. */
  private static List<String> names(String list) {
    Set<String> names = new LinkedHashSet<>();
    if (list == null || list.isBlank()) {
      return List.of();
    }
    for (String raw : list.split(",", -1)) {
      String name = raw.strip();
      if (name.isEmpty()) {
        continue;
      }
      String quoted = shorten(name);
      if (name.contains("=")) {
        // The value is not repeated: it may be a secret.
        throw new IllegalArgumentException(PASS_THROUGH + " lists '" + shorten(name.substring(0, name.indexOf('=')))
            + "=...': list names only, comma-separated (like ANTHROPIC_API_KEY,OPENAI_API_KEY), and set each"
            + " variable in the worker's own environment");
      }
      if (!NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(PASS_THROUGH + " lists '" + quoted + "', which is not a variable name"
            + " (a letter or _, then letters, digits and _, at most 128); list names comma-separated, like"
            + " ANTHROPIC_API_KEY,OPENAI_API_KEY");
      }
      if (name.startsWith("BMADFLOW_") || name.startsWith("TEMPORAL_")) {
        throw new IllegalArgumentException(PASS_THROUGH + " lists " + name + ", a setting of the worker itself:"
            + " BMADFLOW_* and TEMPORAL_* variables hold the bucket's credentials, the checkpoint keys and the"
            + " Temporal connection, and agents never get them (an agent gets its step's BMADFLOW_* variables by"
            + " itself); remove " + name + " from " + PASS_THROUGH);
      }
      if (name.equals("HOME") || name.equals("TMPDIR")) {
        throw new IllegalArgumentException(PASS_THROUGH + " lists " + name + ", but agents have a " + name
            + " of their own in the workspace (" + (name.equals("HOME") ? HOME_DIRECTORY : TMP_DIRECTORY)
            + "/<agent>); remove it, and pass the variable a tool reads its configuration from instead, or put"
            + " the configuration in the agent's home");
      }
      names.add(name);
      if (names.size() > MAX_NAMES) {
        throw new IllegalArgumentException(PASS_THROUGH + " lists more than " + MAX_NAMES + " names; list only the"
            + " variables agents need");
      }
    }
    return new ArrayList<>(names);
  }

  private static String shorten(String text) {
    return text.length() > 80 ? text.substring(0, 77) + "..." : text;
  }

  /** The variables named in {@value #PASS_THROUGH}, in order (set on the worker or not). */
  public List<String> passedThrough() {
    return passedThrough;
  }

  /** The home directory of an agent in a workspace: {@code <root>/.bmadflow/home/<agent>}. */
  public static Path home(Path root, String agent) {
    return root.resolve(HOME_DIRECTORY).resolve(directoryName(agent));
  }

  /** The temporary directory of an agent in a workspace: {@code <root>/.bmadflow/tmp/<agent>}. */
  public static Path tmp(Path root, String agent) {
    return root.resolve(TMP_DIRECTORY).resolve(directoryName(agent));
  }

  /** The agent's name as one safe directory name: unsafe characters and a leading dot as {@code _}. */
  static String directoryName(String agent) {
    String safe = agent == null || agent.isEmpty() ? "_" : agent.replaceAll("[^A-Za-z0-9._-]", "_");
    if (safe.startsWith(".")) {
      safe = "_" + safe.substring(1);
    }
    return safe.length() > 64 ? safe.substring(0, 64) : safe;
  }

  /**
   * The whole environment of one step's command, sorted by name.
   *
   * @param request the step
   * @param root the workspace root
   */
  public Map<String, String> forStep(AgentStepRequest request, Path root) {
    Map<String, String> env = new TreeMap<>(inherited);
    env.put("HOME", home(root, request.agent()).toString());
    env.put("TMPDIR", tmp(root, request.agent()).toString());
    env.put("BMADFLOW_PROJECT_ID", request.projectId());
    env.put("BMADFLOW_PHASE", String.valueOf(request.phase()));
    env.put("BMADFLOW_AGENT", request.agent());
    env.put("BMADFLOW_STEP_INDEX", Integer.toString(request.stepIndex()));
    env.put("BMADFLOW_WORKSPACE", root.toString());
    if (request.storyId() != null && !request.storyId().isBlank()) {
      env.put("BMADFLOW_STORY_ID", request.storyId());
    }
    if (request.creates() != null && !request.creates().isBlank()) {
      env.put("BMADFLOW_CREATES", request.creates());
    }
    if (request.uses() != null && !request.uses().isBlank()) {
      env.put("BMADFLOW_USES", request.uses());
    }
    if (!request.optionalSteps().isEmpty()) {
      env.put("BMADFLOW_OPTIONAL_STEPS", String.join(",", request.optionalSteps()));
    }
    return env;
  }

  @Override
  public String toString() {
    return "AgentEnvironment" + new TreeMap<>(inherited).keySet() + " + HOME, TMPDIR, the step's BMADFLOW_*";
  }
}
