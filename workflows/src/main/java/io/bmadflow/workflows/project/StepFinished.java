package io.bmadflow.workflows.project;

import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.gates.GateRecord;

/**
 * A step's outcome, sent from a phase workflow to its project.
 *
 * @param record the step's record
 * @param result the agent's result, or null when the step was skipped or had no agent
 * @param gate the gate this run decided, or null
 */
public record StepFinished(StepRecord record, AgentStepResult result, GateRecord gate) {

  public StepFinished(StepRecord record, AgentStepResult result) {
    this(record, result, null);
  }
}
