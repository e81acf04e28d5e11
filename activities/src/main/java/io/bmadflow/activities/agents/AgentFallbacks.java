package io.bmadflow.activities.agents;

import java.util.Map;

/**
 * The runners a worker switches an agent to when its primary runner keeps failing: hot recovery
 * without restarting the workflow. A step runs its agent's fallback when the workflow asks for it
 * ({@link io.bmadflow.workflows.agents.AgentStepRequest#useFallback()}, set after an operator's hot
 * recovery replaced the agent), or by itself from attempt {@code after + 1} of the step.
 *
 * @param byAgent the fallback runners of named agents
 * @param anyAgent the fallback of every agent not in {@code byAgent}, or null
 * @param after how many attempts of a step fail before the worker runs the fallback by itself
 *     ({@link #DEFAULT_AFTER} by default); 0 turns the automatic switch off
 */
public record AgentFallbacks(Map<String, AgentRunner> byAgent, AgentRunner anyAgent, int after) {
  /** How many failed attempts make the worker switch by itself unless configured otherwise. */
  public static final int DEFAULT_AFTER = 3;
  /** No fallbacks at all. */
  public static final AgentFallbacks NONE = new AgentFallbacks(Map.of(), null, DEFAULT_AFTER);

  public AgentFallbacks {
    byAgent = byAgent == null ? Map.of() : Map.copyOf(byAgent);
    if (after < 0) {
      throw new IllegalArgumentException("the number of attempts before the fallback runs must be 0 or more,"
          + " not " + after);
    }
  }

  /** The agent's fallback runner, or null when it has none. */
  public AgentRunner runnerFor(String agent) {
    if (agent == null) {
      return null;
    }
    AgentRunner runner = byAgent.get(agent);
    return runner != null ? runner : anyAgent;
  }

  /**
   * Whether the given attempt of one of the agent's steps runs the fallback by itself: the agent
   * has one, the automatic switch is on, and more than {@link #after} attempts came before.
   *
   * @param attempt the attempt, counting from 1 as Temporal does
   */
  public boolean switchesAt(String agent, int attempt) {
    return after > 0 && attempt > after && runnerFor(agent) != null;
  }
}
