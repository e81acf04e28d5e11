package io.bmadflow.workflows.project;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One BMAD project: runs the phases of its definition in order as child workflows, owns the
 * project state and checkpoints it to S3 at every phase transition.
 */
@WorkflowInterface
public interface ProjectWorkflow {

  @WorkflowMethod
  ProjectResult run(ProjectRequest request);

  /** The project's current state. */
  @QueryMethod
  ProjectSnapshot state();

  /** Sent by a phase workflow when one of its steps finished; the project applies it. */
  @SignalMethod
  void stepFinished(StepFinished event);
}
