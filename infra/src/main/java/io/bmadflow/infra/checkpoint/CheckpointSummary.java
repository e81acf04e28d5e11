package io.bmadflow.infra.checkpoint;

import java.util.List;

/**
 * One line of a project's checkpoint registry: enough to list, choose and prune checkpoints
 * without reading each package's metadata.
 *
 * @param checkpointId the id
 * @param creationTimestamp ISO-8601 UTC
 * @param checkpointType automatic, manual or intelligent
 * @param triggerReason why it was taken
 * @param priority low, medium, high or critical
 * @param workflowPhase the phase it was taken in
 * @param retentionPolicy its retention class
 * @param expiresAt when retention lets it go, or null for never
 * @param storedBytes the stored size of the whole package, referenced objects included
 * @param bytesWritten what this checkpoint itself uploaded
 * @param parentCheckpointId the checkpoint it is incremental to, or null
 * @param references the ancestors whose objects it references
 * @param validationStatus passed or failed
 * @param checksum {@code sha256:} of the manifest
 */
public record CheckpointSummary(
    String checkpointId,
    String creationTimestamp,
    String checkpointType,
    String triggerReason,
    String priority,
    String workflowPhase,
    String retentionPolicy,
    String expiresAt,
    long storedBytes,
    long bytesWritten,
    String parentCheckpointId,
    List<String> references,
    String validationStatus,
    String checksum) {

  public CheckpointSummary {
    references = references == null ? List.of() : List.copyOf(references);
  }

  /** The summary of a committed package. */
  public static CheckpointSummary of(CheckpointMetadata m) {
    CheckpointMetadata.Info info = m.checkpointMetadata();
    CheckpointMetadata.StorageMetadata storage = m.storageMetadata();
    return new CheckpointSummary(
        info.checkpointId(), info.creationTimestamp(), info.checkpointType(), info.triggerReason(),
        info.priority(), info.workflowPhase(), storage.retentionPolicy(), storage.expiresAt(),
        storage.storedBytes(), storage.bytesWritten(), storage.parentCheckpointId(), storage.references(),
        m.integrityValidation().validationStatus(), m.integrityValidation().checksum());
  }
}
