package io.bmadflow.workflows.project;

import io.bmadflow.workflows.definition.WorkflowDefinition;

/**
 * Starts a project.
 *
 * @param projectId the project id (see {@code ProjectIds})
 * @param definition the workflow definition to run
 * @param workspace the workspace directory on the workers' machines
 */
public record ProjectRequest(String projectId, WorkflowDefinition definition, String workspace) {}
