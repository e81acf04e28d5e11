package io.bmadflow.workflows.project;

import io.bmadflow.workflows.checkpoint.CheckpointPolicy;
import io.bmadflow.workflows.definition.WorkflowDefinition;

/**
 * Starts a project, or continues one after continue-as-new.
 *
 * @param projectId the project id (see {@code ProjectIds})
 * @param definition the workflow definition to run
 * @param workspace the workspace directory on the workers' machines
 * @param maxHistoryEvents continue-as-new between phases once the history has this many events
 *     (or whenever Temporal suggests it); 0 for the default, {@value #DEFAULT_MAX_HISTORY_EVENTS}
 * @param carried the state carried over by continue-as-new, or null for a new project
 * @param nextPhase the index of the phase to run first (0 for a new project)
 * @param agentAttempts attempts per agent step before the project fails (0: the default, 20)
 * @param policy when to checkpoint besides phase transitions, or null for the defaults
 */
public record ProjectRequest(
    String projectId,
    WorkflowDefinition definition,
    String workspace,
    int maxHistoryEvents,
    ProjectSnapshot carried,
    int nextPhase,
    int agentAttempts,
    CheckpointPolicy policy) {

  public static final int DEFAULT_MAX_HISTORY_EVENTS = 10_000;

  /** A new project. */
  public ProjectRequest(String projectId, WorkflowDefinition definition, String workspace) {
    this(projectId, definition, workspace, 0, null, 0, 0, null);
  }
}
