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
    String note) {}
