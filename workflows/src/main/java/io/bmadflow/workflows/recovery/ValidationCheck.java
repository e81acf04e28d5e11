package io.bmadflow.workflows.recovery;

/**
 * One recovery validation check.
 *
 * @param name {@code workflow_state}, {@code agent_states}, {@code agent:<name>},
 *     {@code context_consistency}, {@code communication}, {@code functionality}
 * @param passed whether it passed
 * @param durationMillis how long it took
 * @param detail what it found
 */
public record ValidationCheck(String name, boolean passed, long durationMillis, String detail) {
  public static final String WORKFLOW_STATE = "workflow_state";
  public static final String AGENT_STATES = "agent_states";
  public static final String CONTEXT = "context_consistency";
  public static final String COMMUNICATION = "communication";
  public static final String FUNCTIONALITY = "functionality";

  public ValidationCheck withDuration(long millis) {
    return new ValidationCheck(name, passed, millis, detail);
  }
}
