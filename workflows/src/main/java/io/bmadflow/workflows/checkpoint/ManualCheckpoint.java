package io.bmadflow.workflows.checkpoint;

import java.util.Locale;

/**
 * A checkpoint an operator asks for.
 *
 * @param kind {@code user}, {@code experiment}, {@code milestone} or {@code emergency}
 * @param reason why; recorded in the metadata
 * @param requestedBy who asked
 */
public record ManualCheckpoint(String kind, String reason, String requestedBy) {

  /** The trigger of a kind, or null for an unknown kind. */
  public CheckpointTrigger trigger() {
    return switch (kind == null ? "" : kind.toLowerCase(Locale.ROOT)) {
      case "user" -> CheckpointTrigger.USER_REQUEST;
      case "experiment" -> CheckpointTrigger.EXPERIMENT;
      case "milestone" -> CheckpointTrigger.MILESTONE;
      case "emergency" -> CheckpointTrigger.EMERGENCY;
      default -> null;
    };
  }

  /** The priority the policy gives the kind. */
  public CheckpointPriority priority() {
    CheckpointTrigger trigger = trigger();
    return trigger == CheckpointTrigger.EMERGENCY ? CheckpointPriority.CRITICAL
        : trigger == CheckpointTrigger.MILESTONE ? CheckpointPriority.HIGH : CheckpointPriority.MEDIUM;
  }
}
