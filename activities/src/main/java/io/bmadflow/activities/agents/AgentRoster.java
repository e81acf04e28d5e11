package io.bmadflow.activities.agents;

import io.bmadflow.activities.Workspace;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Routes each agent step to the runner that plays the agent: a command configured for that agent
 * first, then the catch-all command, then the fallback runner (the built-in agents) for the agents
 * it serves. An agent nobody serves is refused with {@link IllegalArgumentException}, which fails
 * the step without retries.
 *
 * <p>{@link #fromEnvironment} reads the worker's configuration:
 *
 * <ul>
 *   <li>{@code BMADFLOW_AGENT_COMMAND_<NAME>}: the command for one agent, {@code NAME} being the
 *       agent's name upper-cased with {@code -} as {@code _} ({@code BMADFLOW_AGENT_COMMAND_UX_EXPERT}
 *       for {@code ux-expert});
 *   <li>{@code BMADFLOW_AGENTS_FILE}: a Java properties file of {@code agent-name=command line}
 *       lines, for any agent name (expansion packs add their own agents); a variable above wins
 *       over the file for the same agent;
 *   <li>{@code BMADFLOW_AGENT_COMMAND}: the catch-all command for every agent not configured by
 *       name, built-in ones included;
 *   <li>{@code BMADFLOW_AGENT_TIMEOUT_SECONDS}: how long a command may run per step (default 1800).
 * </ul>
 *
 * <p>A command line is split on whitespace, with no quoting and no shell: for anything more
 * complex (quoted arguments, pipes, redirections) point it at a script. A program given with a
 * {@code /} is resolved against the worker's working directory (the command itself runs in the
 * project's workspace) and must be an executable file; a bare name is looked up on the
 * {@code PATH}. Blank values are ignored. See {@link CommandAgentRunner} for how commands run.
 */
public final class AgentRoster implements AgentRunner {
  /** The prefix of the per-agent command variables. */
  public static final String COMMAND_PREFIX = "BMADFLOW_AGENT_COMMAND_";
  /** The catch-all command variable. */
  public static final String COMMAND_ANY = "BMADFLOW_AGENT_COMMAND";
  /** The variable naming the agents properties file. */
  public static final String AGENTS_FILE = "BMADFLOW_AGENTS_FILE";
  /** The per-step timeout variable, in seconds. */
  public static final String TIMEOUT_SECONDS = "BMADFLOW_AGENT_TIMEOUT_SECONDS";
  /** The default per-step timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1800);

  private static final Pattern AGENT_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern SPLIT = Pattern.compile("\\s+");

  private final Map<String, AgentRunner> byAgent;
  private final AgentRunner anyAgent;
  private final AgentRunner fallback;
  private final Set<String> fallbackServes;

  /**
   * @param byAgent the runners for named agents
   * @param anyAgent the runner for every other agent, or null
   * @param fallback the runner for the agents in {@code fallbackServes} that no runner above
   *     serves, or null
   * @param fallbackServes the agents the fallback serves
   */
  public AgentRoster(Map<String, AgentRunner> byAgent, AgentRunner anyAgent, AgentRunner fallback,
      Collection<String> fallbackServes) {
    this.byAgent = Map.copyOf(byAgent);
    this.anyAgent = anyAgent;
    this.fallback = fallback;
    this.fallbackServes = fallback == null ? Set.of() : Set.copyOf(fallbackServes);
  }

  /**
   * The roster the environment configures, with {@code builtIn} serving the agents of
   * {@link BuiltInAgentRunner#served()} that no command is configured for.
   *
   * @throws IllegalArgumentException naming the variable or file when the configuration is wrong
   */
  public static AgentRoster fromEnvironment(Map<String, String> env, AgentRunner builtIn) {
    Duration timeout = timeout(env.get(TIMEOUT_SECONDS));
    Map<String, AgentRunner> byAgent = new TreeMap<>();
    String file = env.get(AGENTS_FILE);
    if (file != null && !file.isBlank()) {
      readAgentsFile(Path.of(file.strip()), timeout).forEach(byAgent::put);
    }
    for (Map.Entry<String, String> entry : new TreeMap<>(env).entrySet()) {
      String name = entry.getKey();
      if (!name.startsWith(COMMAND_PREFIX) || entry.getValue() == null || entry.getValue().isBlank()) {
        continue;
      }
      String suffix = name.substring(COMMAND_PREFIX.length());
      if (!suffix.matches("[A-Z0-9_]+")) {
        throw new IllegalArgumentException("the variable " + name + " names no agent: after " + COMMAND_PREFIX
            + " comes the agent's name upper-cased with - as _ (like " + COMMAND_PREFIX
            + "UX_EXPERT); use " + AGENTS_FILE + " for other names");
      }
      String agent = suffix.toLowerCase(Locale.ROOT).replace('_', '-');
      byAgent.put(agent, new CommandAgentRunner(commandLine(entry.getValue(), "the variable " + name), timeout));
    }
    String any = env.get(COMMAND_ANY);
    AgentRunner anyAgent = any == null || any.isBlank() ? null
        : new CommandAgentRunner(commandLine(any, "the variable " + COMMAND_ANY), timeout);
    return new AgentRoster(byAgent, anyAgent, builtIn, BuiltInAgentRunner.served());
  }

  /** The variable that configures a command for the agent, or null when its name cannot be one. */
  public static String variableFor(String agent) {
    return agent != null && agent.matches("[a-z0-9-]+")
        ? COMMAND_PREFIX + agent.toUpperCase(Locale.ROOT).replace('-', '_') : null;
  }

  /** The agent names this roster runs, sorted; with a catch-all command it runs any other too. */
  public List<String> served() {
    Set<String> names = new TreeSet<>(byAgent.keySet());
    names.addAll(fallbackServes);
    return List.copyOf(names);
  }

  /** Whether this roster runs the agent. */
  public boolean serves(String agent) {
    return runnerFor(agent) != null;
  }

  /** The runners configured by agent name (not the catch-all, nor the fallback). */
  public Map<String, AgentRunner> commands() {
    return byAgent;
  }

  /** The catch-all runner, or null. */
  public AgentRunner anyAgent() {
    return anyAgent;
  }

  @Override
  public AgentStepResult run(AgentStepRequest request, Workspace workspace, Runnable progress) {
    AgentRunner runner = runnerFor(request.agent());
    if (runner == null) {
      String variable = variableFor(request.agent());
      throw new IllegalArgumentException("no runner serves the agent '" + request.agent() + "'; this worker runs "
          + String.join(", ", served()) + ". Configure a command for it with "
          + (variable != null ? variable + ", " : "") + AGENTS_FILE + " or " + COMMAND_ANY);
    }
    return runner.run(request, workspace, progress);
  }

  private AgentRunner runnerFor(String agent) {
    if (agent == null) {
      return null;
    }
    AgentRunner runner = byAgent.get(agent);
    if (runner != null) {
      return runner;
    }
    if (anyAgent != null) {
      return anyAgent;
    }
    return fallbackServes.contains(agent) ? fallback : null;
  }

  private static Duration timeout(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_TIMEOUT;
    }
    try {
      long seconds = Long.parseLong(value.strip());
      if (seconds > 0) {
        return Duration.ofSeconds(seconds);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(TIMEOUT_SECONDS + " must be a positive whole number of seconds, not '"
        + value + "'");
  }

  private static Map<String, AgentRunner> readAgentsFile(Path file, Duration timeout) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(AGENTS_FILE + " points at " + file.toAbsolutePath()
          + ", which cannot be read as a properties file of agent-name=command lines: " + e.getMessage(), e);
    }
    Map<String, AgentRunner> runners = new TreeMap<>();
    for (String agent : new TreeSet<>(properties.stringPropertyNames())) {
      String where = "the agent '" + agent + "' in " + file.toAbsolutePath();
      if (!AGENT_NAME.matcher(agent).matches()) {
        throw new IllegalArgumentException(where + " is not an agent name: 1 to 64 of the characters"
            + " A-Z a-z 0-9 . _ -");
      }
      String line = properties.getProperty(agent);
      if (line.isBlank()) {
        throw new IllegalArgumentException(where + " has no command; give one or remove the line");
      }
      runners.put(agent, new CommandAgentRunner(commandLine(line, where), timeout));
    }
    return runners;
  }

  /** Splits a command line on whitespace and resolves a program given with a path. */
  static List<String> commandLine(String line, String where) {
    List<String> argv = new ArrayList<>(Arrays.asList(SPLIT.split(line.strip())));
    String program = argv.get(0);
    if (program.contains("/")) {
      Path path = Path.of(program).toAbsolutePath().normalize();
      if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
        throw new IllegalArgumentException(where + " runs " + path + ", which is not an executable file"
            + " (a relative program is resolved against the worker's working directory)");
      }
      argv.set(0, path.toString());
    }
    return List.copyOf(argv);
  }
}
