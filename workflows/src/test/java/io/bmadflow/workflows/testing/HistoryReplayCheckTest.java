package io.bmadflow.workflows.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.drills.DrillScheduleWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The replay check fails on a history the current code cannot replay: a drill schedule whose
 * history was written by another implementation (a timer where the real one runs an activity)
 * is reported with its workflow id and the event at fault.
 */
class HistoryReplayCheckTest {

  /** Not the real drill schedule: it only sleeps, so its history does not match the real code. */
  public static class ImpostorSchedule implements DrillScheduleWorkflow {
    @Override
    public void run(List<String> scenarios, int runs, long everySeconds, int rounds) {
      Workflow.sleep(Duration.ofSeconds(1));
    }

    @Override
    public List<String> lastRound() {
      return List.of();
    }
  }

  @Test
  void aHistoryThatDoesNotReplayIsReportedWithItsWorkflowAndEvent() {
    // A local environment, not a field: ReplayEveryHistory would (rightly) fail this test too.
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
    try {
      Worker worker = env.newWorker("impostor");
      worker.registerWorkflowImplementationTypes(ImpostorSchedule.class);
      env.start();
      DrillScheduleWorkflow schedule = env.getWorkflowClient().newWorkflowStub(DrillScheduleWorkflow.class,
          WorkflowOptions.newBuilder().setWorkflowId("impostor-schedule").setTaskQueue("impostor").build());
      schedule.run(List.of("human-error"), 1, 60, 0);

      List<HistoryReplayCheck.Failure> failures = HistoryReplayCheck.replayAll(env.getWorkflowClient());
      assertEquals(1, failures.size(), failures.toString());
      HistoryReplayCheck.Failure failure = failures.get(0);
      assertEquals("impostor-schedule", failure.workflowId());
      assertEquals("DrillScheduleWorkflow", failure.type());
      assertTrue(failure.message().contains("event"), failure.message());
      AssertionError error = assertThrows(AssertionError.class,
          () -> HistoryReplayCheck.assertAllReplay(env.getWorkflowClient(), "this test"));
      assertTrue(error.getMessage().startsWith("this test: 1 workflow history(ies) do not replay"), error.getMessage());
      assertTrue(error.getMessage().contains("impostor-schedule"), error.getMessage());
    } finally {
      env.close();
    }
  }

  @Test
  void historiesOfTheRealCodeReplay() throws Exception {
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
    try {
      Worker worker = env.newWorker("drills-real");
      worker.registerWorkflowImplementationTypes(io.bmadflow.workflows.drills.DrillScheduleWorkflowImpl.class);
      env.start();
      WorkflowClient client = env.getWorkflowClient();
      DrillScheduleWorkflow schedule = client.newWorkflowStub(DrillScheduleWorkflow.class,
          WorkflowOptions.newBuilder().setWorkflowId("real-schedule").setTaskQueue("drills-real")
              .setWorkflowExecutionTimeout(Duration.ofSeconds(30)).build());
      WorkflowClient.start(schedule::run, List.of("human-error"), 1, 3600L, 0);
      Thread.sleep(200);
      assertEquals(List.of(), HistoryReplayCheck.replayAll(client), "an open execution of the real code replays");
    } finally {
      env.close();
    }
  }
}
