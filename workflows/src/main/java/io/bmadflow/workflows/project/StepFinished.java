package io.bmadflow.workflows.project;

import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.gates.GateRecord;
import java.util.Map;

/**
 * A step's outcome, sent from a phase workflow to its project.
 *
 * @param record the step's record
 * @param result the agent's result, or null when the step was skipped or had no agent
 * @param gate the gate this run decided, or null
 * @param flags state flags the step itself set, beside its agent's (a routing step sets the flags
 *     of the route it took); empty for most steps
 */
public record StepFinished(StepRecord record, AgentStepResult result, GateRecord gate, Map<String, Boolean> flags) {

  public StepFinished {
    flags = flags == null ? Map.of() : Map.copyOf(flags);
  }

  public StepFinished(StepRecord record, AgentStepResult result, GateRecord gate) {
    this(record, result, gate, Map.of());
  }

  public StepFinished(StepRecord record, AgentStepResult result) {
    this(record, result, null);
  }
}
