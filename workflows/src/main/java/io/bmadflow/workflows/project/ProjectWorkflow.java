package io.bmadflow.workflows.project;

import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.gates.GateRecord;
import io.bmadflow.workflows.gates.OperatorDecision;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One BMAD project: runs the phases of its definition in order as child workflows, owns the
 * project state and checkpoints it to S3 at every phase transition.
 *
 * <p>Operator surface: updates to decide an escalated gate, record a decision and report a risk
 * (each validated before it is accepted, so a bad request is refused without touching history),
 * signals to pause and resume (usable from the Temporal Web UI), and queries.
 */
@WorkflowInterface
public interface ProjectWorkflow {

  @WorkflowMethod
  ProjectResult run(ProjectRequest request);

  /** The project's current state. */
  @QueryMethod
  ProjectSnapshot state();

  /** Progress from 0 to 1. */
  @QueryMethod
  double progress();

  /** The label of the current or last step. */
  @QueryMethod
  String currentStep();

  /** Sent by a phase workflow when one of its steps finished; the project applies it. */
  @SignalMethod
  void stepFinished(StepFinished event);

  /** Sent by a phase workflow when a gate escalated and waits for an operator. */
  @SignalMethod
  void gateWaiting(GateRecord gate);

  /** Approves or waives the gate that waits for an operator; returns the gate id. */
  @UpdateMethod
  String decideGate(OperatorDecision decision);

  @UpdateValidatorMethod(updateName = "decideGate")
  void validateDecideGate(OperatorDecision decision);

  /** Appends a decision to the log; returns its id. */
  @UpdateMethod
  String addDecision(Decision decision);

  @UpdateValidatorMethod(updateName = "addDecision")
  void validateAddDecision(Decision decision);

  /** Appends a risk to the log; returns its id. */
  @UpdateMethod
  String reportRisk(Risk risk);

  @UpdateValidatorMethod(updateName = "reportRisk")
  void validateReportRisk(Risk risk);

  /** Takes a manual checkpoint (user, experiment, milestone or emergency) and returns it once committed. */
  @UpdateMethod
  CheckpointRef createCheckpoint(ManualCheckpoint request);

  @UpdateValidatorMethod(updateName = "createCheckpoint")
  void validateCreateCheckpoint(ManualCheckpoint request);

  /** Asks for a manual checkpoint without waiting for it: the Web UI's way. */
  @SignalMethod
  void requestCheckpoint(ManualCheckpoint request);

  /**
   * Restores parts of a checkpoint's state into the running project (warm, selective and
   * progressive recovery); returns what was restored.
   */
  @UpdateMethod
  String restoreComponents(ComponentRestore restore);

  @UpdateValidatorMethod(updateName = "restoreComponents")
  void validateRestoreComponents(ComponentRestore restore);

  /**
   * Switches an agent to its fallback runner (hot recovery): its step in flight is cancelled and
   * run again on the fallback, and its later steps run there too. Returns what happened.
   */
  @UpdateMethod
  String replaceAgent(String agent);

  @UpdateValidatorMethod(updateName = "replaceAgent")
  void validateReplaceAgent(String agent);

  /** Pauses the project before its next step. */
  @SignalMethod
  void pause(String reason);

  /** Resumes a paused project. */
  @SignalMethod
  void resume(String reason);
}
