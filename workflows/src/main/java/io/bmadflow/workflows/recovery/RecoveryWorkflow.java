package io.bmadflow.workflows.recovery;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One recovery of one project, following the seed's framework: initiation, failure assessment,
 * strategy selection, checkpoint selection and validation, pre-recovery backup, restoration,
 * integrity validation, resumption, verification and report.
 */
@WorkflowInterface
public interface RecoveryWorkflow {

  /** Runs the recovery and returns its report (also stored beside the checkpoints unless a dry run). */
  @WorkflowMethod
  RecoveryReport run(RecoveryRequest request);

  /** The stage the recovery is in. */
  @QueryMethod
  String stage();
}
