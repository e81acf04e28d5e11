package io.bmadflow.workflows.agents;

import java.util.List;

/**
 * What the project knows of one agent: its work so far.
 *
 * @param agent the agent name
 * @param kind {@code bmad} for BMAD agents, {@code custom} for the custom spec agents
 * @param tasksCompleted how many steps it completed
 * @param currentTask the step it is working on, or null
 * @param artifacts the paths it produced, in order, without duplicates
 * @param lastSummary the summary of its last step
 * @param decisions the ids of the decisions it made
 * @param qualityContributions the gates it decided ({@code <gate-id>: <verdict>})
 * @param handoffs the handoffs it took part in ({@code pm -> ux-expert})
 */
public record AgentState(
    String agent,
    String kind,
    int tasksCompleted,
    String currentTask,
    List<String> artifacts,
    String lastSummary,
    List<String> decisions,
    List<String> qualityContributions,
    List<String> handoffs) {

  /** The custom spec agents; every other agent is a BMAD one. */
  public static final List<String> CUSTOM_AGENTS =
      List.of(
          "spec-planner",
          "frontend-developer",
          "backend-developer",
          "spec-tester",
          "spec-reviewer",
          "spec-validator");

  public AgentState {
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    decisions = decisions == null ? List.of() : List.copyOf(decisions);
    qualityContributions = qualityContributions == null ? List.of() : List.copyOf(qualityContributions);
    handoffs = handoffs == null ? List.of() : List.copyOf(handoffs);
  }

  /** A new agent with no work done yet. */
  public static AgentState fresh(String agent) {
    return new AgentState(agent, CUSTOM_AGENTS.contains(agent) ? "custom" : "bmad", 0, null,
        List.of(), null, List.of(), List.of(), List.of());
  }

  /** The same agent with a quality contribution (a gate it took part in) appended. */
  public AgentState withQualityContribution(String contribution) {
    return new AgentState(agent, kind, tasksCompleted, currentTask, artifacts, lastSummary, decisions,
        append(qualityContributions, contribution), handoffs);
  }

  /** The same agent with a handoff appended. */
  public AgentState withHandoff(String handoff) {
    return new AgentState(agent, kind, tasksCompleted, currentTask, artifacts, lastSummary, decisions,
        qualityContributions, append(handoffs, handoff));
  }

  private static List<String> append(List<String> list, String item) {
    List<String> out = new java.util.ArrayList<>(list);
    out.add(item);
    return out;
  }
}
