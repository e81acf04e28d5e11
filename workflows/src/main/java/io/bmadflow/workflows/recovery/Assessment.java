package io.bmadflow.workflows.recovery;

import java.util.List;

/**
 * The failure assessment: what state the project's workflow and its storage are in.
 *
 * @param workflowStatus {@code RUNNING}, {@code COMPLETED}, {@code FAILED}, {@code TERMINATED},
 *     {@code CANCELED}, {@code TIMED_OUT} or {@code NOT_FOUND} (no history: a lost cluster or a
 *     wiped namespace)
 * @param runId the run id, or null
 * @param failureMessage why the workflow failed, or null
 * @param phase the project's phase, when the workflow answers queries, or null
 * @param stepsCompleted its steps completed, or -1 when unknown
 * @param paused whether it is paused
 * @param workspace its workspace directory, or null (unknown, or the workers' default)
 * @param failing agent activities that are failing (attempt above 1 or with a last failure)
 * @param checkpointsAvailable committed checkpoints in the registry
 * @param newestCheckpointId the newest of them, or null
 * @param storageOutageMillis how long S3 was unreachable before the assessment could read it
 * @param storageAttempts how many times it was tried
 * @param notes what else the assessment found, for the report
 */
public record Assessment(
    String workflowStatus,
    String runId,
    String failureMessage,
    String phase,
    int stepsCompleted,
    boolean paused,
    String workspace,
    List<FailingActivity> failing,
    int checkpointsAvailable,
    String newestCheckpointId,
    long storageOutageMillis,
    int storageAttempts,
    List<String> notes) {

  public static final String RUNNING = "RUNNING";
  public static final String COMPLETED = "COMPLETED";
  public static final String NOT_FOUND = "NOT_FOUND";

  public Assessment {
    failing = failing == null ? List.of() : List.copyOf(failing);
    notes = notes == null ? List.of() : List.copyOf(notes);
  }

  public boolean running() {
    return RUNNING.equals(workflowStatus);
  }

  /**
   * An activity that keeps failing.
   *
   * @param activityType its type ({@code RunStep}, ...)
   * @param attempt its current attempt
   * @param agent the agent, when the failure names it, or null
   * @param lastFailure the last failure's message, or null
   */
  public record FailingActivity(String activityType, int attempt, String agent, String lastFailure) {}
}
