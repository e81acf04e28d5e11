package io.bmadflow.infra.checkpoint;

import java.util.List;
import java.util.Map;

/**
 * {@code checkpoint-metadata.json}: the seed's five sections, plus the Temporal reset point.
 *
 * <p>Written last, with a create-only put: its presence is what makes a package visible. It
 * stays plain JSON so that any S3 tool can read it. Field names are snake_case on disk.
 */
public record CheckpointMetadata(
    Info checkpointMetadata,
    StateSummary stateSummary,
    RecoveryMetadata recoveryMetadata,
    IntegrityValidation integrityValidation,
    StorageMetadata storageMetadata,
    TemporalReference temporal) {

  /** The seed's {@code checkpoint_metadata} section. */
  public record Info(
      String checkpointId,
      String creationTimestamp,
      String checkpointType,
      String triggerReason,
      String triggerDetail,
      String priority,
      String createdBy,
      String projectId,
      String workflowPhase,
      String definitionId,
      int formatVersion,
      String requestSha256) {}

  /** The seed's {@code state_summary} section. */
  public record StateSummary(
      double workflowProgress,
      int activeAgents,
      int completedTasks,
      int pendingTasks,
      int qualityGatesPassed,
      int criticalDecisions,
      int artifacts,
      int stories) {}

  /** The seed's {@code recovery_metadata} section. */
  public record RecoveryMetadata(
      String estimatedRecoveryTime,
      String recoveryComplexity,
      List<String> prerequisites,
      List<String> validationSteps,
      boolean rollbackSafe) {}

  /**
   * The seed's {@code integrity_validation} section. {@code checksum} is {@code sha256:} and the
   * SHA-256 of {@code manifest.sha256}; {@code files} lists every other file with its size and
   * hash, so a reader checks both before it parses anything.
   */
  public record IntegrityValidation(
      String checksum,
      String validationTimestamp,
      String validationStatus,
      Map<String, String> validationDetails,
      List<PackageFile> files) {}

  /**
   * The seed's {@code storage_metadata} section. {@code checkpoint_size_mb} and
   * {@code compression_ratio} (stored over logical bytes) cover the whole package, referenced
   * files included; {@code bytes_written} is what this checkpoint itself uploaded.
   */
  public record StorageMetadata(
      double checkpointSizeMb,
      double compressionRatio,
      String storageLocation,
      String retentionPolicy,
      String expiresAt,
      String location,
      long logicalBytes,
      long storedBytes,
      long bytesWritten,
      String parentCheckpointId,
      int incrementalDepth,
      java.util.List<String> references) {}

  /** Where in Temporal the checkpoint was taken: a reset point. */
  public record TemporalReference(String workflowId, String runId, long historyEventId) {}
}
