package io.bmadflow.workflows.recovery;

import java.util.List;

/**
 * The checkpoint a recovery restores, and why.
 *
 * @param checkpointId the checkpoint
 * @param createdAtMillis when it was taken
 * @param trigger what triggered it
 * @param phase the project's phase in it
 * @param step the last step in it
 * @param stepsCompleted steps completed in it
 * @param why why this one: newest that verifies, newest at or before a time, named by the operator
 * @param skipped newer checkpoints passed over, each with the reason
 * @param agents the agents whose state it holds
 * @param workspace the project's workspace directory in it, or null for the workers' default
 * @param paused whether an operator had paused the project in it (a recovery's own hold does not count)
 */
public record CheckpointChoice(
    String checkpointId,
    long createdAtMillis,
    String trigger,
    String phase,
    String step,
    int stepsCompleted,
    String why,
    List<Skipped> skipped,
    List<String> agents,
    String workspace,
    boolean paused) {

  public CheckpointChoice {
    skipped = skipped == null ? List.of() : List.copyOf(skipped);
    agents = agents == null ? List.of() : List.copyOf(agents);
  }

  /** A checkpoint the recovery did not use. */
  public record Skipped(String checkpointId, String reason) {}
}
