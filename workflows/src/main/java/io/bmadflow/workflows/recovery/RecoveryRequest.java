package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.project.ComponentRestore;
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

  /** What is wrong with this request, naming the field, or null when nothing is. */
  public String problem() {
    String p = ProjectIds.problem(projectId);
    if (p != null) {
      return p;
    }
    if (!RecoveryIds.isValid(recoveryId)) {
      return "recovery id '" + recoveryId + "' is not valid";
    }
    if (checkpointId != null && !CheckpointIds.isValid(checkpointId)) {
      return "checkpoint id '" + checkpointId + "' is not valid";
    }
    if (checkpointId != null && atMillis != null) {
      return "name a checkpoint or a time, not both";
    }
    for (String c : components) {
      String problem = ComponentRestore.problem(c);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  /** The named state components ({@code context}, {@code agent:<name>}, ...): every component but files. */
  public List<String> stateComponents() {
    return components.stream().filter(c -> !c.startsWith(ComponentRestore.FILE_PREFIX)).toList();
  }

  /** The workspace paths of the named {@code file:<path>} components. */
  public List<String> fileComponents() {
    return components.stream().filter(c -> c.startsWith(ComponentRestore.FILE_PREFIX))
        .map(c -> c.substring(ComponentRestore.FILE_PREFIX.length())).toList();
  }

  /** Whether the request names components and all of them are workspace files. */
  public boolean filesOnly() {
    return !components.isEmpty() && stateComponents().isEmpty();
  }
}
