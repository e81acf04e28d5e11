package io.bmadflow.worker.drills;

import io.bmadflow.activities.Workspace;
import io.bmadflow.activities.agents.AgentRunner;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The drills' primary agent runner: the built-in agents, except that the agents a drill names
 * crash on every attempt (a real exception from the runner, as a broken agent process would
 * raise). Their fallback, the plain built-in runner, is what a hot recovery switches to.
 */
final class FaultyAgents implements AgentRunner {
  private final AgentRunner builtIn;
  private final Set<String> crashing = ConcurrentHashMap.newKeySet();

  FaultyAgents(AgentRunner builtIn) {
    this.builtIn = builtIn;
  }

  void crash(String agent) {
    crashing.add(agent);
  }

  void heal() {
    crashing.clear();
  }

  @Override
  public AgentStepResult run(AgentStepRequest request, Workspace workspace, Runnable progress) {
    if (crashing.contains(request.agent())) {
      throw new IllegalStateException("injected fault: the " + request.agent() + " agent process crashed");
    }
    return builtIn.run(request, workspace, progress);
  }
}
