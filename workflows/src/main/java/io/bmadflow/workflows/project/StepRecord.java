package io.bmadflow.workflows.project;

/**
 * The outcome of one step of the definition, as the project workflow records it.
 *
 * @param stepIndex the index in the definition's sequence
 * @param phase the phase it ran in
 * @param label a short human label ({@code pm: creates prd.md})
 * @param agent the agent that ran it, or null for a named step
 * @param storyId the story, inside a story loop, or null
 * @param outcome {@code completed} or {@code skipped}
 * @param detail the agent's summary, or why the step was skipped
 * @param executedBy the worker identity that ran it, or null when skipped
 * @param attempt 1, or the run number when a gate's improvement loop ran the step again
 * @param kind {@code agent} or {@code guidance} (a step that only guides: recorded with its notes,
 *     no agent runs); null in records from before step kinds existed, read as {@link #kindOrDefault()}
 */
public record StepRecord(
    int stepIndex,
    String phase,
    String label,
    String agent,
    String storyId,
    String outcome,
    String detail,
    String executedBy,
    int attempt,
    String kind) {

  public static final String COMPLETED = "completed";
  public static final String SKIPPED = "skipped";

  /** A record without a kind, as recorded before step kinds existed. */
  public StepRecord(int stepIndex, String phase, String label, String agent, String storyId,
      String outcome, String detail, String executedBy, int attempt) {
    this(stepIndex, phase, label, agent, storyId, outcome, detail, executedBy, attempt, null);
  }

  /** What older code recorded for a step without an agent. */
  static final String LEGACY_GUIDANCE_DETAIL = "guidance step, no agent work";

  /** The step's kind: {@link #kind()}, or for a record without one, guidance when it says so, else agent. */
  public String kindOrDefault() {
    if (kind != null) {
      return kind;
    }
    return LEGACY_GUIDANCE_DETAIL.equals(detail) ? io.bmadflow.workflows.definition.DefinitionStep.GUIDANCE
        : io.bmadflow.workflows.definition.DefinitionStep.AGENT;
  }

  /** The record of a step's first run. */
  public StepRecord(int stepIndex, String phase, String label, String agent, String storyId,
      String outcome, String detail, String executedBy) {
    this(stepIndex, phase, label, agent, storyId, outcome, detail, executedBy, 1);
  }

  /** The step's id within the project: its index, and its story inside a story loop. */
  public String stepId() {
    return stepIndex + (storyId == null ? "" : "#" + storyId);
  }

  /** The key that identifies this step run: a step runs once per story, and again in gate loops. */
  public String key() {
    return stepId() + (attempt <= 1 ? "" : "@" + attempt);
  }
}
