package io.bmadflow.workflows.project;

import io.bmadflow.workflows.agents.AgentStepResult;

/**
 * A step's outcome, sent from a phase workflow to its project.
 *
 * @param record the step's record
 * @param result the agent's result, or null when the step was skipped or had no agent
 */
public record StepFinished(StepRecord record, AgentStepResult result) {}
