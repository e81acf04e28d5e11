package io.bmadflow.infra.checkpoint;

import java.util.List;
import java.util.SortedMap;
import java.util.function.Function;

/**
 * Checkpoint packages in storage: commit, list, read and verify.
 *
 * <p>Commit protocol: every content file first, then {@code manifest.sha256}, then
 * {@code checkpoint-metadata.json} with a create-only put. A package without metadata is
 * invisible. A committed package is never overwritten: committing the same content again is a
 * no-op success, other content under the same id a {@link CheckpointStoreException.Conflict}.
 */
public interface CheckpointStore {

  /**
   * Commits a package.
   *
   * @param projectId the project
   * @param checkpointId the checkpoint id
   * @param files the content files by package path (everything but manifest and metadata)
   * @param metadata builds the metadata from what the store computed over the content
   * @return the committed metadata (the earlier one when the same content was already committed)
   */
  CheckpointMetadata commit(
      String projectId,
      String checkpointId,
      SortedMap<String, byte[]> files,
      Function<PackageDigest, CheckpointMetadata> metadata);

  /** The committed checkpoints of a project, oldest first; empty when there are none. */
  List<CheckpointMetadata> list(String projectId);

  /** The metadata of one committed checkpoint, read strictly. */
  CheckpointMetadata metadata(String projectId, String checkpointId);

  /** Verifies every file of a committed checkpoint against the metadata and manifest. */
  VerificationReport verify(String projectId, String checkpointId);

  /** Reads one file of a committed checkpoint after checking its size and SHA-256. */
  byte[] readFile(String projectId, String checkpointId, String path);

  /** Checks that the storage is reachable and the bucket exists; throws naming the problem. */
  void checkAccess();

  /** Where the store keeps a package, for humans ({@code s3://bucket/key-prefix/}). */
  String location(String projectId, String checkpointId);
}
