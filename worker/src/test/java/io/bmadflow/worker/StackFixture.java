package io.bmadflow.worker;

import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.client.BmadflowClient;
import io.bmadflow.client.cli.BmadflowCommand;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.devstack.DevStackSession;
import io.bmadflow.infra.temporal.TemporalConnection;
import io.bmadflow.workflows.project.ProjectResult;
import io.bmadflow.workflows.project.ProjectSnapshot;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import picocli.CommandLine;
import software.amazon.awssdk.services.s3.S3Client;

/** A dev stack (the Java test server, or the dev server through {@link DevServerFixture}) on free loopback ports with a client, for one test class. */
final class StackFixture implements AutoCloseable {
  final DevStackSession session;
  final DevStack stack;
  final TemporalConnection temporal;
  final S3Client s3;
  final S3CheckpointStore store;
  final BmadflowClient client;
  final Path workspaces;
  /**
   * Where the tests keep their projects' explicit workspaces: the directory holding the stack's,
   * allowed as a further workspace root ({@code BMADFLOW_WORKSPACE_ALLOW}) for the workers, the
   * client and the CLI.
   */
  final Path allowedWorkspaces;

  StackFixture(Path dataDir) throws IOException {
    this(DevStackSession.open(dataDir, 0, 0, null));
  }

  /** Over a session already open (the dev server's: see {@link DevServerFixture}). */
  StackFixture(DevStackSession opened) {
    session = opened;
    stack = session.stack();
    temporal = session.temporal();
    s3 = session.s3();
    store = session.store();
    workspaces = stack.dataDir().resolve("workspaces");
    allowedWorkspaces = stack.dataDir().toAbsolutePath().normalize().getParent();
    client = new BmadflowClient(temporal.client(), store)
        .withWorkspaceRoot(io.bmadflow.infra.config.WorkspaceRoot.of(workspaces, java.util.List.of(allowedWorkspaces)));
  }

  BmadflowWorker worker(String name, long stepMs) {
    return worker(name, new BuiltInAgentRunner(Duration.ofMillis(stepMs)));
  }

  BmadflowWorker worker(String name, io.bmadflow.activities.agents.AgentRunner agents) {
    return BmadflowWorker.start(temporal, store, new BmadflowWorker.Options(name, workspaces, agents)
        .withAllowedWorkspaceRoots(java.util.List.of(allowedWorkspaces)));
  }

  void start(String projectId, Path workspace) {
    client.start(projectId, DefinitionLoader.load(DefinitionLoader.DEFAULT).definition(),
        workspace == null ? null : workspace.toString());
  }

  ProjectResult await(String projectId) throws Exception {
    return client.awaitResult(projectId, Duration.ofMinutes(3));
  }

  ProjectSnapshot awaitState(String projectId, Predicate<ProjectSnapshot> until) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        ProjectSnapshot state = client.state(projectId);
        if (until.test(state)) {
          return state;
        }
      } catch (RuntimeException noWorkerYet) {
        // keep polling
      }
      Thread.sleep(20);
    }
    throw new AssertionError("project " + projectId + " did not reach the expected state in 90 s");
  }

  /**
   * Waits until the project is two checkpoints past the {@code nth} (1-based) checkpoint that
   * {@code which} accepts (so files changed after it) and returns that checkpoint.
   */
  io.bmadflow.workflows.checkpoint.CheckpointRef awaitPast(String projectId,
      Predicate<io.bmadflow.workflows.checkpoint.CheckpointRef> which, int nth) throws InterruptedException {
    ProjectSnapshot past = awaitState(projectId, s -> {
      int seen = 0;
      for (int i = 0; i < s.checkpoints().size(); i++) {
        if (which.test(s.checkpoints().get(i)) && ++seen == nth) {
          return s.checkpoints().size() >= i + 3;
        }
      }
      return false;
    });
    return past.checkpoints().stream().filter(which).skip(nth - 1).findFirst().orElseThrow();
  }

  Map<String, String> env() {
    Map<String, String> env = new java.util.HashMap<>(stack.environment());
    env.put(io.bmadflow.infra.config.WorkspaceRoot.ALLOW_VARIABLE, allowedWorkspaces.toString());
    // Worker processes started with this environment take any free metrics port: the default
    // 9464 may be held by another test class or anything else on the machine.
    env.putIfAbsent("BMADFLOW_METRICS_PORT", "0");
    return env;
  }

  record CliResult(int code, String out, String err) {}

  /** Runs the bmadflow CLI in-process against this stack. */
  CliResult cli(String... args) {
    CommandLine cli = Main.commandLine(env());
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    try (var services = ((BmadflowCommand) cli.getCommand()).services()) {
      int code = cli.execute(args);
      return new CliResult(code, out.toString(), err.toString());
    }
  }

  /**
   * Runs the official {@code temporal} CLI (through {@link DevServerFixture}) against this stack's
   * server, as an operator would; its standard output, or a failure with both outputs.
   */
  String temporalCli(String... args) throws IOException, InterruptedException {
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of(DevServerFixture.cli().toString()));
    command.addAll(java.util.List.of(args));
    command.addAll(java.util.List.of("--address", env().get("TEMPORAL_ADDRESS"), "--namespace", temporal.namespace()));
    Path err = java.nio.file.Files.createTempFile(stack.dataDir(), "temporal-cli", ".err");
    Process process = new ProcessBuilder(command).redirectError(err.toFile()).start();
    String out = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    String what = "temporal " + String.join(" ", args);
    if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(what + " did not finish within 60 s");
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(what + " exited with " + process.exitValue() + ": " + out + java.nio.file.Files.readString(err));
    }
    return out;
  }

  /** The project's one recovery report of {@code strategy}, waiting up to 30 s for it to be written. */
  io.bmadflow.workflows.recovery.RecoveryReport awaitReport(String projectId, String strategy) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    java.util.List<io.bmadflow.workflows.recovery.RecoveryReport> found = new java.util.ArrayList<>();
    do {
      found.clear();
      for (String id : store.recoveries(projectId)) {
        var report = client.recoveryReport(projectId, id);
        if (strategy.equals(report.strategy())) {
          found.add(report);
        }
      }
      if (!found.isEmpty()) {
        break;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    if (found.size() != 1) {
      throw new AssertionError("expected one " + strategy + " report of " + projectId + " within 30 s, found " + found);
    }
    return found.get(0);
  }

  /** Replays every workflow history of this stack (see {@code HistoryReplayCheck}), then stops it. */
  @Override
  public void close() {
    try {
      io.bmadflow.workflows.testing.HistoryReplayCheck.assertAllReplay(temporal.client(), "stack in " + stack.dataDir());
    } finally {
      session.close();
    }
  }
}
