package io.bmadflow.workflows.drills;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.List;

/**
 * Recovery drills on a schedule: runs the drills, sleeps the interval, again, until cancelled;
 * continues as new every {@value DrillScheduleWorkflowImpl#ROUNDS_PER_RUN} rounds.
 */
@WorkflowInterface
public interface DrillScheduleWorkflow {

  /**
   * @param scenarios the scenarios' CLI names
   * @param runs runs of each scenario per round
   * @param everySeconds the interval between the end of a round and the next
   * @param rounds rounds done so far (0 to start)
   */
  @WorkflowMethod
  void run(List<String> scenarios, int runs, long everySeconds, int rounds);

  /** The last round's lines, one per drill run. */
  @QueryMethod
  List<String> lastRound();
}
