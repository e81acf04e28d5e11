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
 */
public record StepRecord(
    int stepIndex,
    String phase,
    String label,
    String agent,
    String storyId,
    String outcome,
    String detail,
    String executedBy) {

  public static final String COMPLETED = "completed";
  public static final String SKIPPED = "skipped";

  /** The key that identifies this step run: the same step runs once per story in a loop. */
  public String key() {
    return stepIndex + (storyId == null ? "" : "#" + storyId);
  }
}
