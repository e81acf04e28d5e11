package io.bmadflow.workflows.agents;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Runs one BMAD agent step against the project's workspace. */
@ActivityInterface
public interface AgentActivities {

  /**
   * Runs the step and reports the artifacts it wrote. Idempotent: a retried step rewrites the
   * same files.
   */
  @ActivityMethod
  AgentStepResult runStep(AgentStepRequest request);

  /** Which of these agents the worker's runners serve. */
  @ActivityMethod
  RosterCheck checkRoster(java.util.List<String> agents);

  /**
   * A no-op step, for recovery validation: resolves a runner for each agent and writes then
   * deletes a probe file in the project's workspace, touching none of its artifacts.
   */
  @ActivityMethod
  ProbeResult probe(ProbeRequest request);
}
