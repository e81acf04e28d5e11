package io.bmadflow.workflows.phase;

import io.bmadflow.workflows.gates.OperatorDecision;
import io.temporal.workflow.SignalMethod;
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

  /** An operator's decision on the gate this phase is waiting on (forwarded by the project). */
  @SignalMethod
  void operatorDecision(OperatorDecision decision);

  /** Replaces the phase's view of the context after a recovery restored it (forwarded by the project). */
  @SignalMethod
  void restoreContext(io.bmadflow.workflows.project.ComponentRestore restore);

  /** Runs the agent on its fallback runner from now on, its step in flight included (forwarded by the project). */
  @SignalMethod
  void useFallback(String agent);

  /** Pauses before the next step, or resumes (forwarded by the project). */
  @SignalMethod
  void setPaused(boolean paused);
}
