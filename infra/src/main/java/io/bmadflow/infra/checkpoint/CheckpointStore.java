package io.bmadflow.infra.checkpoint;

import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;

/**
 * Checkpoint packages in storage: commit, list, read, verify and prune.
 *
 * <p>Commit protocol: every content object first (create-only), then {@code manifest.sha256},
 * then {@code checkpoint-metadata.json} with a create-only put. A package without metadata is
 * invisible. A committed package is never overwritten: committing the same content (or the same
 * request) again is a no-op success, other content under the same id a
 * {@link CheckpointStoreException.Conflict}.
 */
public interface CheckpointStore {

  /**
   * What to commit.
   *
   * @param projectId the project
   * @param checkpointId the checkpoint id
   * @param parentCheckpointId the previous checkpoint, to write only what changed since, or null
   *     for a full checkpoint
   * @param requestSha256 a hash of the request that produced the package: a retry of a committed
   *     request is accepted even if the workspace changed in between, or null
   * @param files the content files (everything but manifest and metadata)
   * @param metadata builds the metadata from what the store computed over the content
   */
  record CommitRequest(
      String projectId,
      String checkpointId,
      String parentCheckpointId,
      String requestSha256,
      List<PackageSource> files,
      Function<PackageDigest, CheckpointMetadata> metadata) {}

  /**
   * A committed package.
   *
   * @param metadata its metadata (the earlier one when it was already committed)
   * @param alreadyCommitted whether this call found it committed and wrote nothing
   * @param warnings what the operator should know (no legal hold support, ...)
   */
  record CommitResult(CheckpointMetadata metadata, boolean alreadyCommitted, List<String> warnings) {}

  /**
   * The content of a package, stored but not committed.
   *
   * @param checksum the package checksum ({@code sha256:} of its manifest)
   * @param committed the metadata when the id was committed already (same content or request),
   *     else null
   * @param storedBytes the package's stored size
   */
  record Staged(String checksum, CheckpointMetadata committed, long storedBytes) {}

  /** Commits a package; see the class comment. Equivalent to {@link #stage} then {@link #publish}. */
  CommitResult commit(CommitRequest request);

  /** Stores a package's content without committing it (the request's metadata is not used). */
  Staged stage(CommitRequest request);

  /** Checks a staged package's objects before it is committed. */
  VerificationReport verifyStaged(String projectId, String checkpointId);

  /** Commits a staged package: metadata, legal hold, registry. */
  CommitResult publish(String projectId, String checkpointId, String requestSha256,
      Function<PackageDigest, CheckpointMetadata> metadata);

  /** The committed checkpoints of a project, oldest first, from its registry. */
  List<CheckpointSummary> list(String projectId);

  /** The metadata of one committed checkpoint, read strictly. */
  CheckpointMetadata metadata(String projectId, String checkpointId);

  /**
   * Opens one committed checkpoint: its metadata is read and checked once, and its state, origin
   * and files are read through the handle; see {@link StoredCheckpoint}.
   *
   * @throws CheckpointStoreException.NotFound when there is no such committed checkpoint
   * @throws CheckpointStoreException.Corrupt when its metadata fails the checks
   */
  StoredCheckpoint open(String projectId, String checkpointId);

  /** Verifies every file of a committed checkpoint against the metadata and manifest. */
  VerificationReport verify(String projectId, String checkpointId);

  /**
   * Reads one file of a committed checkpoint after checking its sizes and SHA-256s, into memory.
   *
   * @throws CheckpointStoreException when the file is larger than the in-memory limit (64 MiB),
   *     naming the file and its size, before anything is downloaded: stream it with
   *     {@link #copyFile}
   * @throws CheckpointStoreException.Corrupt when a check fails
   */
  byte[] readFile(String projectId, String checkpointId, String path);

  /**
   * Streams one file's logical content to {@code sink}; throws
   * {@link CheckpointStoreException.Corrupt} at the end when a size or hash did not match, so
   * callers must not trust what they received until this returns.
   */
  void copyFile(String projectId, String checkpointId, String path, OutputStream sink);

  /** What pruning would delete at {@code now}, and why everything else is kept. */
  PrunePlan planPrune(String projectId, Instant now);

  /** Deletes what the plan says: each package's metadata first, so none is ever half visible. */
  PrunePlan prune(PrunePlan plan);

  /**
   * Stores one file of a recovery ({@code recovery-report.json}, {@code backup/...}) under
   * {@code docs/state/recoveries/<recovery-id>/}; a rewrite replaces it. {@code sensitive} files
   * (workspace backups) are encrypted when client-side encryption is configured.
   */
  void putRecoveryFile(String projectId, String recoveryId, String path, byte[] bytes, boolean sensitive);

  /**
   * Stores one file of a recovery from a file on disk, like
   * {@link #putRecoveryFile(String, String, String, byte[], boolean)}: streamed when it is not
   * encrypted, so its size does not matter to memory (one upload, at most 5 GiB); a
   * {@code sensitive} file with client-side encryption configured is sealed in memory and refused
   * above 64 MiB. The file is opened without following a symbolic link.
   *
   * @throws IllegalArgumentException naming the file, its size and the limit it is over
   */
  void putRecoveryFile(String projectId, String recoveryId, String path, java.nio.file.Path file, boolean sensitive);

  /**
   * Reads one file of a recovery, decrypting it if needed; null when it does not exist. A file over
   * 64 MiB is refused with {@link CheckpointStoreException.Corrupt} before it is downloaded.
   */
  byte[] readRecoveryFile(String projectId, String recoveryId, String path);

  /** The ids of a project's recoveries, oldest first. */
  List<String> recoveries(String projectId);

  /** The project that has a recovery with this id, or null. */
  String projectOfRecovery(String recoveryId);

  /** The projects that have anything in the bucket (checkpoints or recoveries), sorted. */
  List<String> projects();

  /**
   * Stores one file of a recovery drill run under {@code <prefix>_drills/<drill-run-id>/}
   * (outside every project: {@code _} cannot start a project id).
   */
  void putDrillFile(String drillRunId, String path, byte[] bytes);

  /** Reads one file of a drill run, or null; one over 16 MiB is refused with {@link CheckpointStoreException.Corrupt}. */
  byte[] readDrillFile(String drillRunId, String path);

  /** The ids of the stored drill runs, oldest first (they sort by time). */
  List<String> drillRuns();

  /** Where a recovery's files are, for humans. */
  String recoveryLocation(String projectId, String recoveryId);

  /** Checks that the storage is reachable and the bucket exists; throws naming the problem. */
  void checkAccess();

  /** Where the store keeps a package, for humans ({@code s3://bucket/key-prefix/}). */
  String location(String projectId, String checkpointId);
}
