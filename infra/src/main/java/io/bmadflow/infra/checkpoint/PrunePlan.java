package io.bmadflow.infra.checkpoint;

import java.util.List;

/**
 * What {@code checkpoint prune} deletes and keeps, with a reason for each.
 *
 * @param projectId the project
 * @param decisions one per checkpoint, oldest first
 * @param orphans key prefixes of uncommitted packages (no metadata) old enough to delete
 */
public record PrunePlan(String projectId, List<Decision> decisions, List<String> orphans) {

  /**
   * @param checkpointId the checkpoint
   * @param delete whether it goes
   * @param reason why ({@code expired 2026-...}, {@code referenced by cp-...}, {@code newest})
   */
  public record Decision(String checkpointId, boolean delete, String reason) {}

  public List<String> toDelete() {
    return decisions.stream().filter(Decision::delete).map(Decision::checkpointId).toList();
  }
}
