package io.bmadflow.workflows.project;

/**
 * An entry of the append-only risk log; its score is probability times impact.
 *
 * @param id {@code R<n>}, in order
 * @param title the risk
 * @param probability 1 (rare) to 5 (almost certain)
 * @param impact 1 (negligible) to 5 (severe)
 * @param reportedBy the agent or operator
 * @param phase the phase it was reported in
 */
public record Risk(String id, String title, int probability, int impact, String reportedBy, String phase) {
  public Risk {
    if (probability < 1 || probability > 5 || impact < 1 || impact > 5) {
      throw new IllegalArgumentException("risk probability and impact are 1 to 5, got " + probability + " and " + impact);
    }
  }

  /** Probability times impact, 1 to 25. */
  public int score() {
    return probability * impact;
  }
}
