package io.bmadflow.workflows.recovery;

import java.util.List;

/**
 * What an operator (or a drill) asks a recovery to do.
 *
 * @param recoveryId the recovery's id (see {@link RecoveryIds})
 * @param projectId the project to recover
 * @param strategy the strategy, or {@code AUTO}
 * @param checkpointId the checkpoint to recover to, or null for the newest that verifies
 * @param atMillis recover to the newest checkpoint taken at or before this time, or null
 * @param components what to restore for selective, warm and progressive recoveries:
 *     {@code context}, {@code progress}, {@code agents}, {@code agent:<name>}, {@code file:<path>}
 * @param dryRun plan only: choose the checkpoint and say what would be restored, change nothing
 * @param requestedBy who asked (an operator's name, {@code cli}, {@code drill})
 * @param reason why, for the report
 * @param reachabilityWaitSeconds how long to wait for S3 to be reachable before giving up (0: 300)
 */
public record RecoveryRequest(
    String recoveryId,
    String projectId,
    RecoveryStrategy strategy,
    String checkpointId,
    Long atMillis,
    List<String> components,
    boolean dryRun,
    String requestedBy,
    String reason,
    int reachabilityWaitSeconds) {

  public static final int DEFAULT_REACHABILITY_WAIT_SECONDS = 300;

  public RecoveryRequest {
    strategy = strategy == null ? RecoveryStrategy.AUTO : strategy;
    components = components == null ? List.of() : List.copyOf(components);
  }

  public int reachabilityWait() {
    return reachabilityWaitSeconds > 0 ? reachabilityWaitSeconds : DEFAULT_REACHABILITY_WAIT_SECONDS;
  }
}
