package io.bmadflow.workflows.checkpoint;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/** Captures, validates, stores and registers checkpoint packages. */
@ActivityInterface
public interface CheckpointActivities {

  /**
   * Writes the package for the request and commits it. Idempotent: the same request again is a
   * no-op success; a committed id with other content fails with {@code CHECKPOINT_CONFLICT}.
   */
  @ActivityMethod
  CheckpointRef createCheckpoint(CheckpointRequest request);

  /**
   * The pipeline's capture and storage step: captures the state (agent states in parallel) and
   * stores the package's content, uncommitted and invisible. Idempotent.
   */
  @ActivityMethod
  CapturedCheckpoint captureCheckpoint(CheckpointRequest request);

  /**
   * The pipeline's validation step: reads the stored content back and checks every object before
   * it is committed; fails with {@code CHECKPOINT_CORRUPT} naming what does not check.
   */
  @ActivityMethod
  void validateCheckpoint(String projectId, String checkpointId);

  /** The pipeline's metadata and registry step: commits the validated package. Idempotent. */
  @ActivityMethod
  CheckpointRef publishCheckpoint(CheckpointRequest request, CapturedCheckpoint captured);

  /**
   * Reads a committed package back and checks every file; fails with {@code CHECKPOINT_CORRUPT}
   * naming the files that do not verify. A checkpoint counts as a recovery point once this passed.
   */
  @ActivityMethod
  void verifyCheckpoint(String projectId, String checkpointId);
}
