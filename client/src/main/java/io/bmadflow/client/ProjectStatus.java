package io.bmadflow.client;

/**
 * A project's status, as {@code bmadflow status} shows it.
 *
 * @param projectId the project
 * @param workflowId its workflow id
 * @param runId the run id of its latest run
 * @param status Temporal's word for the run: RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED,
 *     CONTINUED_AS_NEW, TIMED_OUT
 * @param phase the current phase, or null when no worker could answer
 * @param step the current or last step, or null
 * @param stepsCompleted steps done
 * @param stepsPlanned steps planned
 * @param progress 0 to 1
 * @param checkpoints how many checkpoints the project has committed
 * @param lastCheckpoint the id of the newest one, or null
 * @param note anything the operator should know (why phase is unknown), or null
 * @param paused whether an operator paused it
 * @param pendingGate the gate waiting for an operator decision, or null
 * @param decisions how many decisions are logged
 * @param risks how many risks are logged, and the highest score among them
 * @param highestRisk the highest risk score (probability x impact), 0 when none
 * @param workflowTaskProblem when the workflow's task keeps failing (so it makes no progress while
 *     RUNNING): the failure, its attempt count and what to do; null otherwise
 * @param guidance the guidance steps recorded so far (BMAD v4's {@code step:} entries that name no
 *     agent), one line each: phase, step, outcome and the first line of its notes
 */
public record ProjectStatus(
    String projectId,
    String workflowId,
    String runId,
    String status,
    String phase,
    String step,
    int stepsCompleted,
    int stepsPlanned,
    double progress,
    int checkpoints,
    String lastCheckpoint,
    String note,
    boolean paused,
    String pendingGate,
    int decisions,
    int risks,
    int highestRisk,
    String workflowTaskProblem,
    java.util.List<String> guidance) {

  public ProjectStatus {
    guidance = guidance == null ? java.util.List.of() : java.util.List.copyOf(guidance);
  }
}
