package io.bmadflow.activities.agents;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.gates.GateResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs an agent step as an external command, for LLM command-line tools or any script.
 *
 * <p><b>How the command runs.</b> The configured argv list is started as is: no shell, and no
 * request data is ever put into the command line. Its working directory is the project's workspace
 * root. Its standard input is a markdown prompt describing the step (project, phase, agent, action,
 * what it creates, updates or validates, what it requires, the story, the handoff prompt, the
 * artifacts known so far with their paths and hashes, and this protocol). Its environment starts
 * empty, not from the worker's: the command gets only what its {@link AgentEnvironment} allows,
 * which is
 *
 * <ul>
 *   <li>{@code PATH}, {@code LANG}, {@code LC_ALL}, {@code LC_CTYPE}, {@code TERM}, {@code TZ}, with
 *       the worker's values when it has them;
 *   <li>{@code HOME}, the agent's own directory {@code .bmadflow/home/<agent>} in the workspace, and
 *       {@code TMPDIR}, {@code .bmadflow/tmp/<agent>} (created before the command starts, kept from
 *       step to step, never in a checkpoint);
 *   <li>{@code BMADFLOW_PROJECT_ID}, {@code BMADFLOW_PHASE}, {@code BMADFLOW_AGENT},
 *       {@code BMADFLOW_STEP_INDEX}, {@code BMADFLOW_WORKSPACE} (the absolute workspace root);
 *       {@code BMADFLOW_STORY_ID} and {@code BMADFLOW_CREATES}, when the step has them;
 *   <li>the variables the operator lists in the worker's {@code BMADFLOW_AGENT_ENV}.
 * </ul>
 *
 * <p>So the worker's cloud credentials, tokens and home directory do not reach the command through
 * its environment unless an operator lists them. This is not a sandbox: the command runs as the
 * worker's operating-system user and can read what that user can, the worker's own process
 * environment in {@code /proc} included; {@code docs/agents.md} says how to run untrusted agents.
 *
 * <p><b>The protocol.</b> The command reports on standard output, one line each (leading and
 * trailing blanks ignored):
 *
 * <ul>
 *   <li>{@code BMADFLOW-ARTIFACT: <relative path>}: a file it wrote or updated, relative to the
 *       workspace root with {@code /} separators. The path must stay inside the workspace (no
 *       absolute paths, no {@code ..} escapes, no backslashes, no symbolic link out) and the file
 *       must exist when the command exits; the runner hashes it. When the step {@code creates}
 *       something and the command reports nothing, the runner looks for the conventional
 *       {@code docs/<creates>} ({@code .md} appended when the name has no extension) and reports
 *       it if it exists.
 *   <li>{@code BMADFLOW-FLAG: <name>=true|false}: sets a state flag that step conditions read (for
 *       example {@code po_checklist_issues=false}); names are letters, digits and {@code _}.
 *   <li>{@code BMADFLOW-STORY: <id>}: defines a story (the PO's sharding), in order; ids match
 *       {@code [0-9A-Za-z._-]{1,32}}.
 *   <li>{@code BMADFLOW-GATE: <gate-id> <verdict> [score]}: reports a quality gate.
 * </ul>
 *
 * <p><b>Gates.</b> Besides the protocol line, the gate files BMAD's agents write are read after the
 * step, those the step created or changed only: v4's QA gate YAML under {@code docs/qa/gates/}, the
 * PO master checklist's Final Decision and v6's implementation-readiness report. {@link AgentGateReports} says what is read and how; a
 * malformed gate file fails the step without retries, naming the file and the line. Several gates
 * become the step's one gate, the worst verdict's; the files read are reported as artifacts.
 *
 * <p>The step's summary is the last non-empty line of standard output that is not a protocol line,
 * or {@code "<agent> finished"}.
 *
 * <p><b>Outcomes.</b> Exit code 0 is success. A non-zero exit, a timeout (the command and all its
 * descendants are then destroyed, and destroyed forcibly after a grace period), a command that
 * cannot be started or an interruption throw {@link IllegalStateException}, which Temporal retries.
 * An unsafe or missing artifact path or a malformed protocol line throws
 * {@link IllegalArgumentException}, which {@link AgentActivitiesImpl} turns into a non-retryable
 * failure. Either way, standard output and error are kept as a transcript in the workspace at
 * {@code .bmadflow/transcripts/<step-index>[-<story>]-<agent>.log} (a retried step overwrites it).
 * While the command runs, {@code progress} is called every half second (the activity's heartbeat);
 * if it throws (the activity was cancelled or timed out), the command is destroyed.
 */
public final class CommandAgentRunner implements AgentRunner {
  /** The prefix of a line reporting a written file. */
  public static final String ARTIFACT_PREFIX = "BMADFLOW-ARTIFACT:";
  /** The prefix of a line setting a flag. */
  public static final String FLAG_PREFIX = "BMADFLOW-FLAG:";
  /** The prefix of a line defining a story. */
  public static final String STORY_PREFIX = "BMADFLOW-STORY:";
  /** The prefix of a line reporting a quality gate (see {@link AgentGateReports}). */
  public static final String GATE_PREFIX = AgentGateReports.GATE_PREFIX;
  /** Where transcripts go, relative to the workspace root. */
  public static final String TRANSCRIPT_DIRECTORY = ".bmadflow/transcripts";

  static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(500);
  static final Duration KILL_GRACE = Duration.ofSeconds(3);
  /** How long output may stay open after the command exited (a background child holding it). */
  static final Duration OUTPUT_DRAIN = Duration.ofSeconds(5);
  static final int STDERR_TAIL_LINES = 20;
  static final int MAX_TRANSCRIPT_CHARS_PER_STREAM = 4 * 1024 * 1024;
  static final int MAX_LINE_CHARS = 64 * 1024;
  static final int MAX_PROTOCOL_LINES = 10_000;
  static final int MAX_SUMMARY_CHARS = 500;

  private static final Pattern STORY_ID = Pattern.compile("[0-9A-Za-z._-]{1,32}");
  private static final Pattern FLAG_NAME = Pattern.compile("[A-Za-z0-9_]{1,64}");
  private static final Pattern UNSAFE_NAME_CHARS = Pattern.compile("[^A-Za-z0-9._-]");

  private final List<String> command;
  private final Duration timeout;
  private final AgentEnvironment environment;

  /**
   * A runner whose commands get the {@linkplain AgentEnvironment#BASE_ONLY base environment} and
   * no variable of an operator's list.
   *
   * @param command the program and its arguments, started without a shell
   * @param timeout how long a step may run before the command is destroyed
   */
  public CommandAgentRunner(List<String> command, Duration timeout) {
    this(command, timeout, AgentEnvironment.BASE_ONLY);
  }

  /**
   * A runner whose commands get the given environment.
   *
   * @param command the program and its arguments, started without a shell
   * @param timeout how long a step may run before the command is destroyed
   * @param environment what the command's environment holds (see {@link AgentEnvironment})
   */
  public CommandAgentRunner(List<String> command, Duration timeout, AgentEnvironment environment) {
    if (command == null || command.isEmpty() || command.get(0) == null || command.get(0).isBlank()) {
      throw new IllegalArgumentException("an agent command needs a program to run, got " + command);
    }
    if (timeout == null || timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("an agent command needs a positive timeout, got " + timeout);
    }
    if (environment == null) {
      throw new IllegalArgumentException("an agent command needs an environment, got null");
    }
    this.command = List.copyOf(command);
    this.timeout = timeout;
    this.environment = environment;
  }

  /** The program and its arguments. */
  public List<String> command() {
    return command;
  }

  /** How long a step may run. */
  public Duration timeout() {
    return timeout;
  }

  /** What the command's environment holds. */
  public AgentEnvironment environment() {
    return environment;
  }

  @Override
  public AgentStepResult run(AgentStepRequest request, Workspace workspace, Runnable progress) {
    String agent = request.agent();
    String transcriptPath = transcriptPath(request);
    String prompt = prompt(request);
    Path root = workspace.root();
    try {
      Files.createDirectories(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the workspace " + root + ": " + e.getMessage(), e);
    }
    ownDirectory(root, AgentEnvironment.home(root, agent), "home", agent);
    ownDirectory(root, AgentEnvironment.tmp(root, agent), "temporary directory", agent);
    ProcessBuilder builder = new ProcessBuilder(command).directory(root.toFile());
    Map<String, String> env = builder.environment();
    env.clear();
    env.putAll(environment.forStep(request, root));
    AgentGateReports.Before gatesBefore = AgentGateReports.before(workspace);

    Instant started = Instant.now();
    long startNanos = System.nanoTime();
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      IllegalStateException failure = new IllegalStateException("agent " + agent + ": cannot start the command "
          + command + ": " + e.getMessage() + "; check that the program exists and is executable on this worker", e);
      throw withSuppressed(failure, attempt(() -> writeTranscript(workspace, transcriptPath, request, prompt,
          started, 0, "could not start: " + e.getMessage(), null, null)));
    }
    OutputCollector stdout = OutputCollector.start(process.getInputStream(), agent, "stdout");
    OutputCollector stderr = OutputCollector.start(process.getErrorStream(), agent, "stderr");
    feedPrompt(process, prompt, agent);

    Integer exit;
    try {
      exit = awaitExit(process, startNanos + timeout.toNanos(), progress);
    } catch (InterruptedException e) {
      destroyTree(process);
      Thread.currentThread().interrupt();
      IllegalStateException failure = new IllegalStateException("agent " + agent
          + ": interrupted while the command ran; destroyed it (transcript " + transcriptPath + ")", e);
      throw withSuppressed(failure, attempt(() -> finishTranscript(workspace, transcriptPath, request, prompt,
          started, startNanos, "interrupted; the command was destroyed", stdout, stderr)));
    } catch (RuntimeException | Error e) {
      destroyTree(process);
      RuntimeException transcriptFailure = attempt(() -> finishTranscript(workspace, transcriptPath, request,
          prompt, started, startNanos, "aborted (" + e + "); the command was destroyed", stdout, stderr));
      if (transcriptFailure != null) {
        e.addSuppressed(transcriptFailure);
      }
      throw e;
    }
    if (exit == null) {
      destroyTree(process);
      // The transcript first: it waits for the output to end, and the message quotes stderr's tail.
      RuntimeException transcriptFailure = attempt(() -> finishTranscript(workspace, transcriptPath, request,
          prompt, started, startNanos, "timed out after " + describe(timeout)
              + "; the command and its child processes were destroyed", stdout, stderr));
      IllegalStateException failure = new IllegalStateException("agent " + agent + ": the command " + command
          + " did not finish within the timeout of " + describe(timeout) + " (BMADFLOW_AGENT_TIMEOUT_SECONDS);"
          + " destroyed it and its child processes (transcript " + transcriptPath + ")" + stderrTail(stderr));
      throw withSuppressed(failure, transcriptFailure);
    }
    if (exit != 0) {
      RuntimeException transcriptFailure = attempt(() -> finishTranscript(workspace, transcriptPath, request,
          prompt, started, startNanos, "exit code " + exit, stdout, stderr));
      IllegalStateException failure = new IllegalStateException("agent " + agent + ": the command " + command
          + " failed with exit code " + exit + " (transcript " + transcriptPath + ")" + stderrTail(stderr));
      throw withSuppressed(failure, transcriptFailure);
    }
    finishTranscript(workspace, transcriptPath, request, prompt, started, startNanos, "exit code 0", stdout, stderr);
    return result(request, workspace, stdout, gatesBefore);
  }

  // ---- the result -------------------------------------------------------------------------

  private static AgentStepResult result(AgentStepRequest request, Workspace workspace, OutputCollector stdout,
      AgentGateReports.Before gatesBefore) {
    String agent = request.agent();
    Set<String> paths = new LinkedHashSet<>();
    Map<String, Boolean> flags = new TreeMap<>();
    Set<String> stories = new LinkedHashSet<>();
    List<GateResult> gates = new ArrayList<>();
    List<String> protocol = stdout.protocolLines();
    if (stdout.protocolOverflow()) {
      throw new IllegalArgumentException("agent " + agent + " printed more than " + MAX_PROTOCOL_LINES
          + " BMADFLOW- protocol lines; report each file, flag and story once");
    }
    for (String line : protocol) {
      if (line.startsWith(ARTIFACT_PREFIX)) {
        paths.add(artifactPath(agent, workspace, line.substring(ARTIFACT_PREFIX.length()).strip()));
      } else if (line.startsWith(FLAG_PREFIX)) {
        String value = line.substring(FLAG_PREFIX.length()).strip();
        int eq = value.indexOf('=');
        String name = eq < 0 ? value : value.substring(0, eq).strip();
        String bool = eq < 0 ? "" : value.substring(eq + 1).strip();
        if (!FLAG_NAME.matcher(name).matches() || !(bool.equals("true") || bool.equals("false"))) {
          throw new IllegalArgumentException("agent " + agent + " printed the malformed line '" + line
              + "'; a flag line reads '" + FLAG_PREFIX + " <name>=true' or '=false', the name letters, digits and _");
        }
        flags.put(name, Boolean.parseBoolean(bool));
      } else if (line.startsWith(AgentGateReports.GATE_PREFIX)) {
        gates.add(AgentGateReports.protocolLine(line, agent));
      } else {
        String id = line.substring(STORY_PREFIX.length()).strip();
        if (!STORY_ID.matcher(id).matches()) {
          throw new IllegalArgumentException("agent " + agent + " defined the story id '" + id
              + "', which is not 1 to 32 of the characters 0-9 A-Z a-z . _ -");
        }
        stories.add(id);
      }
    }
    if (paths.isEmpty() && request.creates() != null && !request.creates().isBlank()) {
      String conventional = conventionalPath(request.creates());
      Path file = workspace.resolve(conventional);
      if (Files.isRegularFile(file)) {
        paths.add(artifactPath(agent, workspace, conventional));
      }
    }
    // The gate files first: the gate is the step's verdict, and a malformed one fails the step.
    List<String> gateFiles = new ArrayList<>();
    for (String path : AgentGateReports.changed(workspace, gatesBefore)) {
      gateFiles.add(artifactPath(agent, workspace, path)); // Refuses one that a link leads out of the workspace.
    }
    List<GateResult> fileGates = AgentGateReports.read(workspace, gateFiles, agent);
    paths.addAll(gateFiles);
    List<GateResult> all = new ArrayList<>(fileGates);
    all.addAll(gates);
    GateResult gate = AgentGateReports.combine(all);
    List<ArtifactRef> artifacts = new ArrayList<>();
    for (String path : paths) {
      artifacts.add(hash(workspace, path));
    }
    String summary = stdout.lastTextLine();
    if (summary == null) {
      summary = agent + " finished";
    } else if (summary.length() > MAX_SUMMARY_CHARS) {
      summary = summary.substring(0, MAX_SUMMARY_CHARS - 3) + "...";
    }
    return new AgentStepResult(agent, artifacts, List.copyOf(stories), flags, summary, null, gate, List.of(), List.of());
  }

  /** Validates a reported path and returns it normalized, relative to the root with / separators. */
  private static String artifactPath(String agent, Workspace workspace, String reported) {
    Path resolved;
    try {
      resolved = workspace.resolve(reported);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("agent " + agent + " reported the artifact '" + reported
          + "', which is not a safe path inside the workspace (" + e.getMessage()
          + "); report paths relative to the workspace root, like docs/prd.md", e);
    }
    if (!Files.isRegularFile(resolved)) {
      throw new IllegalArgumentException("agent " + agent + " reported the artifact '" + reported
          + "', but there is no such file in the workspace " + workspace.root()
          + "; report only the files the command wrote, after writing them");
    }
    try {
      if (!resolved.toRealPath().startsWith(workspace.root().toRealPath())) {
        throw new IllegalArgumentException("agent " + agent + " reported the artifact '" + reported
            + "', which leads out of the workspace " + workspace.root() + " through a symbolic link");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check the artifact " + resolved + ": " + e.getMessage(), e);
    }
    return workspace.root().relativize(resolved).toString().replace(resolved.getFileSystem().getSeparator(), "/");
  }

  private static ArtifactRef hash(Workspace workspace, String path) {
    Path file = workspace.resolve(path);
    try (InputStream in = Files.newInputStream(file)) {
      Sha256.Sum sum = Sha256.of(in);
      return new ArtifactRef(path, sum.hex(), sum.size());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot hash the artifact " + file + ": " + e.getMessage(), e);
    }
  }

  /** {@code docs/<creates>}, with {@code .md} appended when the name has no extension. */
  static String conventionalPath(String creates) {
    // BMAD writes remarks after the name: `prd.md (if needed)`, `v0_prompt (optional)`.
    String name = io.bmadflow.workflows.definition.DefinitionStep.artifactName(creates);
    String fileName = name.substring(name.lastIndexOf('/') + 1);
    return "docs/" + (fileName.contains(".") ? name : name + ".md");
  }

  // ---- the process ------------------------------------------------------------------------

  /** Waits for the exit, calling progress meanwhile; null when the deadline passed first. */
  private static Integer awaitExit(Process process, long deadlineNanos, Runnable progress)
      throws InterruptedException {
    while (true) {
      progress.run();
      long remaining = deadlineNanos - System.nanoTime();
      if (remaining <= 0) {
        return process.isAlive() ? null : process.exitValue();
      }
      if (process.waitFor(Math.min(remaining, HEARTBEAT_INTERVAL.toNanos()), TimeUnit.NANOSECONDS)) {
        progress.run();
        return process.exitValue();
      }
    }
  }

  /** Destroys the process and its descendants, forcibly after the grace period. */
  static void destroyTree(Process process) {
    List<ProcessHandle> tree = new ArrayList<>();
    process.descendants().forEach(tree::add);
    tree.add(process.toHandle());
    tree.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + KILL_GRACE.toNanos();
    for (ProcessHandle handle : tree) {
      awaitGone(handle, deadline);
    }
    process.descendants().forEach(d -> {
      if (!tree.contains(d)) {
        tree.add(d);
      }
    });
    long forcedDeadline = System.nanoTime() + KILL_GRACE.toNanos();
    for (ProcessHandle handle : tree) {
      if (handle.isAlive()) {
        handle.destroyForcibly();
      }
    }
    for (ProcessHandle handle : tree) {
      awaitGone(handle, forcedDeadline);
    }
  }

  private static void awaitGone(ProcessHandle handle, long deadlineNanos) {
    while (handle.isAlive() && System.nanoTime() < deadlineNanos) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Writes the prompt to the command's stdin from a thread of its own; a command may not read it. */
  private static void feedPrompt(Process process, String prompt, String agent) {
    Thread feeder = new Thread(() -> {
      try (OutputStream in = process.getOutputStream()) {
        in.write(prompt.getBytes(StandardCharsets.UTF_8));
      } catch (IOException ignored) {
        // The command exited or closed its stdin without reading the whole prompt: its choice.
      }
    }, "bmadflow-agent-" + agent + "-stdin");
    feeder.setDaemon(true);
    feeder.start();
  }

  /** Creates the agent's own directory, refusing one that a symbolic link leads out of the workspace. */
  private static void ownDirectory(Path root, Path directory, String what, String agent) {
    try {
      Files.createDirectories(directory);
      if (!directory.toRealPath().startsWith(root.toRealPath())) {
        throw new IllegalArgumentException("agent " + agent + ": its " + what + " " + root.relativize(directory)
            + " leads out of the workspace " + root + " through a symbolic link; remove the link, bmadflow"
            + " creates the directory again");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("agent " + agent + ": cannot create its " + what + " " + directory + ": "
          + e.getMessage(), e);
    }
  }

  // ---- the prompt -------------------------------------------------------------------------

  /** The markdown prompt the command reads on stdin. */
  static String prompt(AgentStepRequest request) {
    StringBuilder p = new StringBuilder();
    p.append("# BMAD agent step: ").append(request.agent()).append("\n\n");
    p.append("You are the BMAD `").append(request.agent()).append("` agent. Work in the current directory,"
        + " the project's workspace; write your files there.\n\n");
    p.append("## Step\n");
    line(p, "Project", request.projectId());
    line(p, "Phase", request.phase());
    line(p, "Step", Integer.toString(request.stepIndex()));
    line(p, "Agent", request.agent());
    line(p, "Action", request.action());
    if (request.creates() != null && !request.creates().isBlank()) {
      line(p, "Creates", request.creates() + " (conventionally at " + conventionalPath(request.creates()) + ")");
    }
    line(p, "Updates", request.updates());
    line(p, "Validates", request.validates());
    line(p, "Uses", request.uses());
    line(p, "Story", request.storyId());
    if (!request.requires().isEmpty()) {
      p.append("\n## Requires\n");
      request.requires().forEach(r -> p.append("- ").append(r).append('\n'));
    }
    if (!request.optionalSteps().isEmpty()) {
      p.append("\n## Optional steps to do first\n");
      request.optionalSteps().forEach(o -> p.append("- ").append(o).append('\n'));
    }
    if (request.notes() != null && !request.notes().isBlank()) {
      p.append("\n## Notes from the workflow definition\n").append(request.notes().strip()).append('\n');
    }
    if (request.handoffPrompt() != null && !request.handoffPrompt().isBlank()) {
      p.append("\n## Handoff from the previous agent\n").append(request.handoffPrompt().strip()).append('\n');
    }
    p.append("\n## Known artifacts\n");
    if (request.knownArtifacts().isEmpty()) {
      p.append("None yet.\n");
    } else {
      p.append("Paths are relative to the workspace.\n\n| Path | Size (bytes) | SHA-256 |\n|---|---|---|\n");
      request.knownArtifacts().values().stream()
          .sorted(Comparator.comparing(ArtifactRef::path))
          .forEach(a -> p.append("| ").append(a.path()).append(" | ").append(a.size()).append(" | ")
              .append(a.sha256()).append(" |\n"));
    }
    p.append("\n## Reporting\n")
        .append("Print one line on standard output for each file you write or update, its path relative to the"
            + " workspace:\n`").append(ARTIFACT_PREFIX).append(" docs/example.md`\n")
        .append("Set a state flag with `").append(FLAG_PREFIX).append(" <name>=true` or `=false`; define stories,"
            + " in order, with `").append(STORY_PREFIX).append(" <id>`.\n")
        .append("Report a quality gate by writing BMAD's gate file (a QA gate under `")
        .append(AgentGateReports.QA_GATES_DIRECTORY).append("/`, the PO master checklist's Final Decision), or with `")
        .append(GATE_PREFIX).append(" <gate-id> <verdict> [score]`, for example `").append(GATE_PREFIX)
        .append(" qa-gate FAIL 40`.\n")
        .append("End with a one-line summary of what you did. Exit with a non-zero code if the step failed.\n");
    return p.toString();
  }

  private static void line(StringBuilder p, String label, String value) {
    if (value != null && !value.isBlank()) {
      p.append("- ").append(label).append(": ").append(value).append('\n');
    }
  }

  // ---- the transcript ---------------------------------------------------------------------

  /** {@code .bmadflow/transcripts/<step-index>[-<story>]-<agent>.log}, with unsafe characters as {@code _}. */
  static String transcriptPath(AgentStepRequest request) {
    StringBuilder name = new StringBuilder().append(request.stepIndex());
    if (request.storyId() != null && !request.storyId().isBlank()) {
      name.append('-').append(safeName(request.storyId()));
    }
    name.append('-').append(safeName(request.agent())).append(".log");
    return TRANSCRIPT_DIRECTORY + "/" + name;
  }

  private static String safeName(String value) {
    String safe = UNSAFE_NAME_CHARS.matcher(value).replaceAll("_");
    return safe.length() > 64 ? safe.substring(0, 64) : safe;
  }

  private void finishTranscript(Workspace workspace, String path, AgentStepRequest request, String prompt,
      Instant started, long startNanos, String outcome, OutputCollector stdout, OutputCollector stderr) {
    boolean drained = stdout.await(OUTPUT_DRAIN) & stderr.await(OUTPUT_DRAIN);
    if (!drained) {
      outcome += "; output was still open " + OUTPUT_DRAIN.toSeconds()
          + " s after the command ended (a background process holds it), the transcript stops there";
    }
    writeTranscript(workspace, path, request, prompt, started, System.nanoTime() - startNanos, outcome,
        stdout, stderr);
  }

  private void writeTranscript(Workspace workspace, String path, AgentStepRequest request, String prompt,
      Instant started, long elapsedNanos, String outcome, OutputCollector stdout, OutputCollector stderr) {
    StringBuilder t = new StringBuilder();
    t.append("# bmadflow agent transcript\n")
        .append("agent: ").append(request.agent()).append('\n')
        .append("project: ").append(request.projectId()).append('\n')
        .append("phase: ").append(request.phase()).append('\n')
        .append("step: ").append(request.stepIndex()).append('\n');
    if (request.storyId() != null) {
      t.append("story: ").append(request.storyId()).append('\n');
    }
    t.append("command: ").append(command).append('\n')
        .append("started: ").append(started).append('\n')
        .append("duration: ").append(String.format(java.util.Locale.ROOT, "%.3f s", elapsedNanos / 1e9)).append('\n')
        .append("outcome: ").append(outcome).append("\n\n")
        .append("## stdin (the prompt)\n").append(prompt).append('\n')
        .append("## stdout\n").append(stdout == null ? "" : stdout.text()).append('\n')
        .append("## stderr\n").append(stderr == null ? "" : stderr.text());
    workspace.write(path, t.toString());
  }

  /** The step's failure, with the failure to write its transcript (if any) attached. */
  private static IllegalStateException withSuppressed(IllegalStateException failure, RuntimeException suppressed) {
    if (suppressed != null) {
      failure.addSuppressed(suppressed);
    }
    return failure;
  }

  private static String describe(Duration duration) {
    return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
  }

  /** Runs the action; returns what it threw, or null. */
  private static RuntimeException attempt(Runnable action) {
    try {
      action.run();
      return null;
    } catch (RuntimeException e) {
      return e;
    }
  }

  private static String stderrTail(OutputCollector stderr) {
    List<String> tail = stderr.tail();
    if (tail.isEmpty()) {
      return "; stderr was empty";
    }
    return "; last lines of stderr:\n  " + String.join("\n  ", tail);
  }

  /** Reads one output stream of the command on a thread of its own: transcript, tail and protocol. */
  private static final class OutputCollector {
    private final StringBuilder text = new StringBuilder();
    private final Deque<String> tail = new ArrayDeque<>();
    private final List<String> protocol = new ArrayList<>();
    private long droppedLines;
    private boolean protocolOverflow;
    private String lastTextLine;
    private Thread thread;

    static OutputCollector start(InputStream stream, String agent, String name) {
      OutputCollector collector = new OutputCollector();
      collector.thread = new Thread(() -> collector.read(stream), "bmadflow-agent-" + agent + "-" + name);
      collector.thread.setDaemon(true);
      collector.thread.start();
      return collector;
    }

    private void read(InputStream stream) {
      try (Reader reader = new InputStreamReader(stream, StandardCharsets.UTF_8)) {
        StringBuilder line = new StringBuilder();
        boolean truncated = false;
        char[] buffer = new char[8192];
        for (int n; (n = reader.read(buffer)) >= 0; ) {
          for (int i = 0; i < n; i++) {
            char c = buffer[i];
            if (c == '\n') {
              accept(line.toString(), truncated);
              line.setLength(0);
              truncated = false;
            } else if (line.length() < MAX_LINE_CHARS) {
              line.append(c);
            } else {
              truncated = true;
            }
          }
        }
        if (line.length() > 0) {
          accept(line.toString(), truncated);
        }
      } catch (IOException e) {
        accept("[bmadflow: reading the output failed: " + e.getMessage() + "]", false);
      }
    }

    private synchronized void accept(String raw, boolean truncated) {
      String line = raw.endsWith("\r") ? raw.substring(0, raw.length() - 1) : raw;
      if (text.length() + line.length() < MAX_TRANSCRIPT_CHARS_PER_STREAM) {
        text.append(line).append(truncated ? " [bmadflow: line truncated]" : "").append('\n');
      } else {
        droppedLines++;
      }
      tail.addLast(line);
      if (tail.size() > STDERR_TAIL_LINES) {
        tail.removeFirst();
      }
      String stripped = line.strip();
      if (stripped.startsWith(ARTIFACT_PREFIX) || stripped.startsWith(FLAG_PREFIX)
          || stripped.startsWith(STORY_PREFIX) || stripped.startsWith(AgentGateReports.GATE_PREFIX)) {
        if (protocol.size() < MAX_PROTOCOL_LINES) {
          protocol.add(stripped);
        } else {
          protocolOverflow = true;
        }
      } else if (!stripped.isEmpty()) {
        lastTextLine = stripped;
      }
    }

    /** Waits for the stream's end; false when it is still open after the wait. */
    boolean await(Duration wait) {
      try {
        thread.join(wait.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return !thread.isAlive();
    }

    synchronized String text() {
      return droppedLines == 0 ? text.toString()
          : text + "[bmadflow: " + droppedLines + " more lines not kept]\n";
    }

    synchronized List<String> tail() {
      return List.copyOf(tail);
    }

    synchronized List<String> protocolLines() {
      return List.copyOf(protocol);
    }

    synchronized boolean protocolOverflow() {
      return protocolOverflow;
    }

    synchronized String lastTextLine() {
      return lastTextLine;
    }
  }
}
