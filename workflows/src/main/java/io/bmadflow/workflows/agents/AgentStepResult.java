package io.bmadflow.workflows.agents;

import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.project.Decision;
import io.bmadflow.workflows.project.Risk;
import java.util.List;
import java.util.Map;

/**
 * What an agent step produced: references to the files it wrote, never their content.
 *
 * @param agent the agent that ran
 * @param artifacts the files written or updated
 * @param stories story ids the step defined (the PO's sharding), in order
 * @param flags state flags the step set, used by step conditions ({@code po_checklist_issues})
 * @param summary one line on what was done
 * @param executedBy the identity of the worker that ran the step
 * @param gate the quality gate the step decided, or null
 * @param decisions decisions the agent made (ids are assigned by the project)
 * @param risks risks the agent reported (ids are assigned by the project)
 */
public record AgentStepResult(
    String agent,
    List<ArtifactRef> artifacts,
    List<String> stories,
    Map<String, Boolean> flags,
    String summary,
    String executedBy,
    GateResult gate,
    List<Decision> decisions,
    List<Risk> risks) {

  public AgentStepResult {
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    stories = stories == null ? List.of() : List.copyOf(stories);
    flags = flags == null ? Map.of() : Map.copyOf(flags);
    decisions = decisions == null ? List.of() : List.copyOf(decisions);
    risks = risks == null ? List.of() : List.copyOf(risks);
  }

  /** A result without gate, decisions or risks. */
  public AgentStepResult(
      String agent, List<ArtifactRef> artifacts, List<String> stories, Map<String, Boolean> flags,
      String summary, String executedBy) {
    this(agent, artifacts, stories, flags, summary, executedBy, null, List.of(), List.of());
  }

  /** The same result, as run by {@code worker}. */
  public AgentStepResult executedBy(String worker) {
    return new AgentStepResult(agent, artifacts, stories, flags, summary, worker, gate, decisions, risks);
  }
}
