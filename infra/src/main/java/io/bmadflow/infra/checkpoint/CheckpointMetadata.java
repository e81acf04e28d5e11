package io.bmadflow.infra.checkpoint;

import java.util.List;
import java.util.Map;

/**
 * {@code checkpoint-metadata.json}: the seed's five sections, plus the Temporal reset point and
 * the seal that covers the metadata itself.
 *
 * <p>Written last, with a create-only put: its presence is what makes a package visible. It
 * stays plain JSON so that any S3 tool can read it. Field names are snake_case on disk.
 *
 * <p>The last three fields are the seal (see {@link MetadataSeal} and docs/package-format.md):
 * the store sets them when it publishes a package, whatever the caller's builder put there, and
 * packages written before them (package format 1) carry none of them.
 *
 * @param formatVersion the package format, {@code MAJOR.MINOR} ({@value MetadataSeal#FORMAT_VERSION}
 *     for packages written now); null in a package of format 1
 * @param metadataSha256 {@code sha256:} and the SHA-256 of the canonical JSON of this document
 *     without this field and the signature; null in a package of format 1
 * @param signature the HMAC-SHA256 over the metadata and the manifest, when the writer had a
 *     signing key; null otherwise
 */
public record CheckpointMetadata(
    Info checkpointMetadata,
    StateSummary stateSummary,
    RecoveryMetadata recoveryMetadata,
    IntegrityValidation integrityValidation,
    StorageMetadata storageMetadata,
    TemporalReference temporal,
    String formatVersion,
    String metadataSha256,
    Signature signature) {

  /** Metadata without a seal, as a builder makes it; the store seals it when it publishes. */
  public CheckpointMetadata(
      Info checkpointMetadata,
      StateSummary stateSummary,
      RecoveryMetadata recoveryMetadata,
      IntegrityValidation integrityValidation,
      StorageMetadata storageMetadata,
      TemporalReference temporal) {
    this(checkpointMetadata, stateSummary, recoveryMetadata, integrityValidation, storageMetadata, temporal, null, null, null);
  }

  /** The same metadata with another seal. */
  public CheckpointMetadata withSeal(String formatVersion, String metadataSha256, Signature signature) {
    return new CheckpointMetadata(checkpointMetadata, stateSummary, recoveryMetadata, integrityValidation, storageMetadata,
        temporal, formatVersion, metadataSha256, signature);
  }

  /**
   * The metadata's signature.
   *
   * @param keyId which signing key made it ({@code BMADFLOW_SIGNING_KEY_ID} of the writer)
   * @param algorithm always {@value MetadataSeal#HMAC_SHA256}
   * @param value the MAC, 64 lower-case hex digits
   */
  public record Signature(String keyId, String algorithm, String value) {}

  /**
   * The seed's {@code checkpoint_metadata} section. Its {@code format_version} (an integer, 1) is
   * the version of the seed's snapshot files; the package format is the top-level
   * {@code format_version}.
   */
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
