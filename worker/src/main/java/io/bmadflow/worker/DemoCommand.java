package io.bmadflow.worker;

import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.client.BmadflowClient;
import io.bmadflow.client.cli.BmadflowCommand;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.checkpoint.VerificationReport;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.devstack.DevStackSession;
import io.bmadflow.infra.temporal.TemporalConnection;
import io.bmadflow.workflows.project.ProjectResult;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.StepRecord;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code bmadflow demo}: the main job on the embedded stack. Runs the bundled greenfield project
 * with the built-in agents, kills the worker mid-run and starts a new one that resumes from
 * Temporal's history, then lists and verifies the checkpoints written to S3.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Runs the greenfield sample project on the embedded stack, with a worker crash mid-run.")
public class DemoCommand implements Callable<Integer> {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Option(names = "--data-dir", defaultValue = ".bmadflow", description = "Where S3 data and workspaces live (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--temporal", defaultValue = "auto", paramLabel = "auto|dev-server|test-server",
      converter = WorkerCommand.TemporalChoiceConverter.class,
      description = "Which Temporal server: the real dev server (`temporal server start-dev`, needs the temporal CLI on the PATH"
          + " or in $BMADFLOW_TEMPORAL_CLI), the Java test server, or auto: the dev server when the CLI is found (default: ${DEFAULT-VALUE}).")
  io.bmadflow.infra.devstack.TemporalChoice temporalServer;

  @Option(names = "--agent-step-ms", defaultValue = "250", description = "How long each built-in agent step works, in ms (default: ${DEFAULT-VALUE}).")
  long agentStepMs;

  @Option(names = "--kill-after-steps", defaultValue = "6", description = "Kill the first worker once this many steps are done (default: ${DEFAULT-VALUE}).")
  int killAfterSteps;

  @Override
  public Integer call() throws Exception {
    WorkerCommand.requireRange(spec, "--agent-step-ms", agentStepMs, 0, WorkerCommand.MAX_AGENT_STEP_MS, "ms");
    WorkerCommand.requireRange(spec, "--kill-after-steps", killAfterSteps, 1, 1000, "steps");
    PrintWriter out = spec.commandLine().getOut();
    long demoStart = System.nanoTime();
    try (DevStackSession session = DevStackSession.open(dataDir, temporalServer, DevStack.DEFAULT_TEMPORAL_PORT, DevStack.DEFAULT_S3_PORT, null,
        parent.services().env())) {
      DevStack stack = session.stack();
      out.println(stack.temporal().describe());
      TemporalConnection temporal = session.temporal();
      S3CheckpointStore store = session.store();
      out.printf("dev stack: Temporal %s, S3 %s (data in %s)%n", stack.temporalAddress(), stack.s3Endpoint(), stack.dataDir());
      Path workspaces = stack.dataDir().resolve("workspaces");
      BuiltInAgentRunner agents = new BuiltInAgentRunner(Duration.ofMillis(agentStepMs));
      BmadflowWorker first = BmadflowWorker.start(temporal, store, new BmadflowWorker.Options("worker-1", workspaces, agents));
      BmadflowWorker second = null;
      try {
        String projectId = "greenfield-demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        DefinitionLoader.Loaded definition = DefinitionLoader.load(DefinitionLoader.DEFAULT);
        BmadflowClient client = new BmadflowClient(temporal.client(), store);
        String runId = client.start(projectId, definition.definition(), null);
        out.printf("started project %s (definition %s, run %s) on worker-1%n", projectId, definition.definition().id(), runId);
        if (stack.workflowLink(projectId) != null) {
          out.printf("Web UI: %s%n", stack.workflowLink(projectId));
        }
        out.flush();

        ProjectSnapshot atKill = awaitState(client, projectId, s -> s.stepsCompleted() >= killAfterSteps, Duration.ofSeconds(60));
        first.kill();
        out.printf("killed worker-1 mid-run: %d/%d steps done, phase %s, last step '%s'%n",
            atKill.stepsCompleted(), atKill.stepsPlanned(), atKill.phase(), atKill.step());
        out.flush();

        long restart = System.nanoTime();
        second = BmadflowWorker.start(temporal, store, new BmadflowWorker.Options("worker-2", workspaces, agents));
        ProjectSnapshot resumed = awaitState(client, projectId, s -> s.stepsCompleted() > atKill.stepsCompleted(), Duration.ofSeconds(60));
        long resumeMs = (System.nanoTime() - restart) / 1_000_000;
        out.printf("worker-2 resumed from Temporal's history in %d ms: step %d '%s' done%n",
            resumeMs, resumed.stepsCompleted(), resumed.step());
        out.flush();

        ProjectResult result = client.awaitResult(projectId, Duration.ofMinutes(5));
        ProjectSnapshot end = result.finalState();
        Map<String, Integer> byWorker = new TreeMap<>();
        for (StepRecord step : end.steps()) {
          byWorker.merge(step.executedBy() == null ? "(skipped or guidance)" : step.executedBy(), 1, Integer::sum);
        }
        out.printf("project %s COMPLETED: %d step runs (%s), %d artifacts, %d stories%n",
            projectId, end.stepsCompleted(), byWorker.toString().replaceAll("[{}]", ""), end.artifacts().size(), end.stories().size());
        long rerun = end.steps().subList(0, atKill.stepsCompleted()).stream()
            .filter(st -> "worker-2".equals(st.executedBy())).count();
        out.printf("steps 1-%d kept their results from worker-1 (%d re-run by worker-2): the workflow resumed, it did not start over%n",
            atKill.stepsCompleted(), rerun);
        out.printf("workspace: %s%n", workspaces.resolve(projectId));

        List<CheckpointSummary> checkpoints = store.list(projectId);
        out.printf("%nCheckpoints in S3 (%d):%n", checkpoints.size());
        out.printf("  %-63s  %-17s  %-14s  %8s  %8s  %s%n", "ID", "TRIGGER", "PHASE", "STORED", "WRITTEN", "VERIFY");
        boolean allVerified = !checkpoints.isEmpty();
        for (CheckpointSummary c : checkpoints) {
          VerificationReport report = store.verify(projectId, c.checkpointId());
          allVerified &= report.ok();
          out.printf("  %-63s  %-17s  %-14s  %8d  %8d  %s%n", c.checkpointId(), c.triggerReason(), c.workflowPhase(),
              c.storedBytes(), c.bytesWritten(), report.ok() ? "ok (" + report.checks().size() + " checks)" : "FAILED " + report.failures());
        }
        out.printf("stored at s3://%s/%s/docs/state/checkpoints/ = %s%n", DevStack.BUCKET, projectId,
            stack.dataDir().resolve("s3").resolve(DevStack.BUCKET).resolve(projectId).resolve("docs/state/checkpoints"));
        io.bmadflow.infra.recovery.Readiness readiness =
            new io.bmadflow.infra.recovery.ReadinessCalculator(store).compute(projectId, java.time.Instant.now(), null);
        out.printf("%nrecovery readiness: score %.1f / 100 with %d recovery points, %s (`bmadflow readiness --project %s`)%n",
            readiness.score(), readiness.recoveryPoints(), readiness.drillsRun() == 0 ? "no drills yet"
                : readiness.drillsPassed() + " of " + readiness.drillsRun() + " drills passed", projectId);
        if (stack.workflowLink(projectId) != null) {
          out.printf("inspect it in the Web UI: %s%n", stack.workflowLink(projectId));
        }
        out.printf("demo finished in %.1f s%n", (System.nanoTime() - demoStart) / 1e9);
        out.flush();
        return allVerified ? BmadflowCommand.OK : BmadflowCommand.FAILED;
      } finally {
        if (second != null) {
          second.close();
        }
        first.close();
      }
    }
  }

  private static ProjectSnapshot awaitState(
      BmadflowClient client, String projectId, Predicate<ProjectSnapshot> until, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
          ProjectSnapshot state = client.state(projectId);
          if (until.test(state)) {
            return state;
          }
        } catch (RuntimeException notYet) {
          // No worker answered yet (the new one is starting); try again.
        }
        if (System.nanoTime() > deadline) {
          throw new io.bmadflow.client.BmadflowException(
              "project " + projectId + " made no progress within " + timeout.toSeconds() + " s");
        }
        Thread.sleep(20);
      }
    }
  }
