package io.bmadflow.workflows.drills;

import io.bmadflow.workflows.TaskQueues;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;

/** See {@link DrillScheduleWorkflow}. */
public class DrillScheduleWorkflowImpl implements DrillScheduleWorkflow {
  static final int ROUNDS_PER_RUN = 50;

  private final DrillActivities drills = Workflow.newActivityStub(DrillActivities.class, ActivityOptions.newBuilder()
      .setTaskQueue(TaskQueues.DRILLS)
      .setStartToCloseTimeout(Duration.ofHours(2))
      .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(2).build())
      .build());
  private List<String> lastRound = List.of();

  @Override
  public void run(List<String> scenarios, int runs, long everySeconds, int rounds) {
    for (int round = rounds; round < rounds + ROUNDS_PER_RUN; round++) {
      lastRound = drills.runDrills(scenarios, runs);
      Workflow.sleep(Duration.ofSeconds(everySeconds));
    }
    Workflow.continueAsNew(scenarios, runs, everySeconds, rounds + ROUNDS_PER_RUN);
  }

  @Override
  public List<String> lastRound() {
    return lastRound;
  }
}
