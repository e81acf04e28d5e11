package io.bmadflow.workflows.checkpoint;

import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;

/**
 * Everything the checkpoint activity needs to write one package. The workflow fills it in: the id
 * and time come from the workflow, so a retry writes the same package.
 *
 * @param checkpointId the id, chosen by the workflow
 * @param createdAtMillis the workflow time the checkpoint was taken
 * @param type automatic, manual or intelligent
 * @param trigger why it was taken
 * @param priority how much it matters
 * @param createdBy {@code system}, {@code user} or an agent name
 * @param reason a human sentence on why
 * @param workflowId the Temporal workflow id
 * @param runId the Temporal run id
 * @param historyEventId the WorkflowTaskCompleted event id of the workflow task that decided the
 *     checkpoint: the {@code workflow_task_finish_event_id} of a ResetWorkflowExecution to it
 * @param snapshot the project's state: references only, no file bodies
 * @param parentCheckpointId the project's previous checkpoint, which an incremental package
 *     builds on, or null for the first one
 * @param origin the request that started the project, without its carried state (definition,
 *     workspace and tuning): what a cold recovery restarts it with, or null in older checkpoints
 */
public record CheckpointRequest(
    String checkpointId,
    long createdAtMillis,
    CheckpointType type,
    CheckpointTrigger trigger,
    CheckpointPriority priority,
    String createdBy,
    String reason,
    String workflowId,
    String runId,
    long historyEventId,
    ProjectSnapshot snapshot,
    String parentCheckpointId,
    ProjectRequest origin) {}
