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
    int attempt) {

  public static final String COMPLETED = "completed";
  public static final String SKIPPED = "skipped";

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
