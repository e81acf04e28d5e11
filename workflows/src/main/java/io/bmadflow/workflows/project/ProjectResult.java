package io.bmadflow.workflows.project;

/**
 * How a project ended.
 *
 * @param finalState the project's state at the end
 */
public record ProjectResult(ProjectSnapshot finalState) {}
