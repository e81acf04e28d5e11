package io.bmadflow.workflows.phase;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One phase of a project, run as a child of the project workflow: its agent steps as activities,
 * in order, with the story loop, reporting each step's outcome to the project by signal.
 */
@WorkflowInterface
public interface PhaseWorkflow {

  @WorkflowMethod
  PhaseResult run(PhaseRequest request);
}
