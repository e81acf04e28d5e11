package io.bmadflow.activities.agents;

import io.bmadflow.activities.Workspace;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;

/**
 * Runs an agent's step. Implementations: {@link BuiltInAgentRunner}, deterministic and the
 * default; {@link CommandAgentRunner}, an external command such as an LLM CLI; and
 * {@link AgentRoster}, which routes each agent to one of those.
 */
public interface AgentRunner {

  /**
   * Runs the step against the workspace and reports what it wrote.
   *
   * @param request the step
   * @param workspace the project's workspace
   * @param progress called now and then while the step works (heartbeats)
   */
  AgentStepResult run(AgentStepRequest request, Workspace workspace, Runnable progress);
}
