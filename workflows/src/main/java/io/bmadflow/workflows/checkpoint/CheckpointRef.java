package io.bmadflow.workflows.checkpoint;

/**
 * A committed checkpoint as the workflow remembers it: a reference, never the package.
 *
 * @param checkpointId the id
 * @param type automatic, manual or intelligent
 * @param trigger why it was taken
 * @param priority how much it matters
 * @param phase the phase it was taken in
 * @param createdAt ISO-8601 UTC time it was taken
 * @param sizeBytes the stored size of the package
 * @param fileCount how many files it has, metadata included
 * @param checksum {@code sha256:} and the hash of the package manifest
 * @param location where it is stored ({@code s3://bucket/prefix/...})
 * @param committedAt ISO-8601 UTC time the package was committed (latency = this - createdAt)
 * @param verified whether a read-back verification passed after the commit
 */
public record CheckpointRef(
    String checkpointId,
    String type,
    String trigger,
    String priority,
    String phase,
    String createdAt,
    long sizeBytes,
    int fileCount,
    String checksum,
    String location,
    String committedAt,
    boolean verified) {

  /** The same reference, marked verified. */
  public CheckpointRef asVerified() {
    return new CheckpointRef(checkpointId, type, trigger, priority, phase, createdAt, sizeBytes, fileCount, checksum,
        location, committedAt, true);
  }
}
