package io.bmadflow.workflows.agents;

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
 */
public record AgentStepResult(
    String agent,
    List<ArtifactRef> artifacts,
    List<String> stories,
    Map<String, Boolean> flags,
    String summary,
    String executedBy) {

  public AgentStepResult {
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    stories = stories == null ? List.of() : List.copyOf(stories);
    flags = flags == null ? Map.of() : Map.copyOf(flags);
  }
}
