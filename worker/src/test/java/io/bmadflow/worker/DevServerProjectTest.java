package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.StepRecord;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.TaskQueueKind;
import io.temporal.api.history.v1.HistoryEvent;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real-server tier: projects on the Temporal dev server ({@code temporal server start-dev})
 * with workers that keep Temporal's production defaults (sticky execution on). A project runs to
 * completion with the same final state as on the Java test server, and a worker JVM SIGKILLed
 * mid-activity is replaced and the project resumes. Every history replays (the fixture checks it
 * before it stops the server, and {@code ReplayEveryHistory} after each test).
 */
class DevServerProjectTest {
  private static final String PROJECT = "real-server";
  private static final int KILL_AFTER_STEPS = 5;

  @TempDir static Path dataDir;
  static StackFixture devServer;
  static Map<String, Object> onTheTestServer;
  static ProjectSnapshot onTheDevServer;
  static List<HistoryEvent> uninterruptedHistory;

  @BeforeAll
  static void runOnBothServers() throws Exception {
    devServer = DevServerFixture.start(dataDir.resolve("dev-server"));
    try (StackFixture testServer = new StackFixture(dataDir.resolve("test-server"));
        BmadflowWorker worker = testServer.worker("test-server-worker", 0)) {
      testServer.start(PROJECT, null);
      onTheTestServer = Outcomes.comparable(testServer.await(PROJECT).finalState());
    }
    try (BmadflowWorker worker = devServer.worker("dev-server-worker", 0)) {
      devServer.start(PROJECT, dataDir.resolve("ws-uninterrupted"));
      onTheDevServer = devServer.await(PROJECT).finalState();
    }
    uninterruptedHistory = devServer.temporal.client().fetchHistory(ProjectIds.workflowId(PROJECT)).getEvents();
  }

  @AfterAll
  static void stop() {
    if (devServer != null) {
      devServer.close();
    }
  }

  @Test
  void aProjectRunsToCompletionOnTheDevServerWithTheTestServersFinalState() {
    assertEquals(ProjectSnapshot.COMPLETE, onTheDevServer.phase());
    assertEquals(onTheDevServer.stepsPlanned(), onTheDevServer.stepsCompleted());
    assertEquals(onTheTestServer, Outcomes.comparable(onTheDevServer));
  }

  @Test
  void theWorkersKeepStickyExecutionOn() {
    assertFalse(devServer.temporal.isDevStack(), "the dev server's connection is marked as the test server");
    assertFalse(devServer.env().containsKey("BMADFLOW_DEV_STACK"));
    // With sticky execution on, workflow tasks after the first go to the worker's sticky queue.
    long sticky = uninterruptedHistory.stream()
        .filter(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
        .filter(e -> e.getWorkflowTaskScheduledEventAttributes().getTaskQueue().getKind() == TaskQueueKind.TASK_QUEUE_KIND_STICKY)
        .count();
    assertTrue(sticky > 0, "no workflow task went to a sticky queue: sticky execution is off");
  }

  @Test
  void theReplayCheckFindsTheDevServersHistoriesThroughVisibility() throws Exception {
    // HistoryReplayCheck lists executions through visibility, which the real server updates
    // asynchronously: the finished project's run must show up there, or the check is hollow.
    var stub = devServer.temporal.service().blockingStub();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    List<String> closed;
    do {
      closed = stub.listClosedWorkflowExecutions(io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest.newBuilder()
              .setNamespace(devServer.temporal.namespace()).setMaximumPageSize(1000).build())
          .getExecutionsList().stream().map(i -> i.getType().getName() + "/" + i.getExecution().getWorkflowId()).toList();
      if (closed.contains("ProjectWorkflow/" + ProjectIds.workflowId(PROJECT))) {
        break;
      }
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    assertTrue(closed.contains("ProjectWorkflow/" + ProjectIds.workflowId(PROJECT)), closed.toString());
    assertTrue(closed.stream().anyMatch(c -> c.startsWith("PhaseWorkflow/")), closed.toString());
    io.bmadflow.workflows.testing.HistoryReplayCheck.assertAllReplay(devServer.temporal.client(), "the dev server");
  }

  @Test
  void aWorkerJvmKilledMidActivityIsReplacedAndTheProjectResumes() throws Exception {
    Path log = dataDir.resolve("killed-worker.log");
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "worker", "--name", "jvm-worker", "--agent-step-ms", "300")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().remove("BMADFLOW_DEV_STACK");
    builder.environment().putAll(devServer.env());
    Process process = builder.start();
    try {
      devServer.start(PROJECT, dataDir.resolve("ws-killed"));
      ProjectSnapshot atKill = devServer.awaitState(PROJECT, s -> s.stepsCompleted() >= KILL_AFTER_STEPS);
      // Mid-activity: the next step (300 ms of agent work) has been scheduled and is running.
      process.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful anything.
      assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the worker JVM did not die");
      assertEquals(137, process.exitValue(), "killed by SIGKILL");
      try (BmadflowWorker replacement = devServer.worker("replacement", 0)) {
        ProjectSnapshot end = devServer.await(PROJECT).finalState();
        assertEquals(Outcomes.comparable(onTheDevServer), Outcomes.comparable(end));
        List<StepRecord> before = end.steps().subList(0, atKill.stepsCompleted());
        assertEquals(atKill.steps(), before, "the steps done before the crash changed");
        assertTrue(before.stream().allMatch(s -> !"replacement".equals(s.executedBy())), "a step done before the crash ran again");
        assertTrue(before.stream().anyMatch(s -> "jvm-worker".equals(s.executedBy())));
        assertTrue(end.steps().stream().anyMatch(s -> "replacement".equals(s.executedBy())), "the new worker did no work");
      }
    } finally {
      process.destroyForcibly();
    }
  }
}
