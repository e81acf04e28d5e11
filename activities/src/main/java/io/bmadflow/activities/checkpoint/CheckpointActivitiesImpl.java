package io.bmadflow.activities.checkpoint;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointActivities;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.CheckpointRequest;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;

/**
 * Captures the project's state into a checkpoint package, validates it, and commits it to the
 * store, incremental to the previous checkpoint. The content is a function of the request and the
 * workspace, and the request's hash is recorded, so a retried attempt finds its own package
 * committed and succeeds without writing a second one.
 */
public final class CheckpointActivitiesImpl implements CheckpointActivities {
  private final CheckpointStore store;
  private final Path workspaceRoot;

  public CheckpointActivitiesImpl(CheckpointStore store, Path workspaceRoot) {
    this.store = store;
    this.workspaceRoot = workspaceRoot;
  }

  @Override
  public CheckpointRef createCheckpoint(CheckpointRequest request) {
    String projectId = request.snapshot() == null ? null : request.snapshot().projectId();
    String problem = ProjectIds.problem(projectId);
    if (problem != null || !CheckpointIds.isValid(request.checkpointId())
        || (request.parentCheckpointId() != null && !CheckpointIds.isValid(request.parentCheckpointId()))) {
      throw ApplicationFailure.newNonRetryableFailure(
          problem != null ? problem : "checkpoint id '" + request.checkpointId() + "' or its parent is not valid",
          Failures.INVALID_INPUT);
    }
    long started = System.nanoTime();
    String requestSha256 = Sha256.hex(PackageJson.write(request));
    try {
      Workspace workspace = Workspace.of(workspaceRoot, projectId, request.snapshot().workspace());
      PackageBuilder.Captured captured = PackageBuilder.capture(request, workspace);
      CheckpointMetadata metadata = store.commit(new CheckpointStore.CommitRequest(
          projectId,
          request.checkpointId(),
          request.parentCheckpointId(),
          requestSha256,
          captured.files(),
          digest -> PackageBuilder.metadata(request, requestSha256, captured, digest, elapsedSeconds(started))))
          .metadata();
      return ref(metadata);
    } catch (CheckpointStoreException.Conflict e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.CHECKPOINT_CONFLICT);
    } catch (CheckpointStoreException.Corrupt e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.CHECKPOINT_CORRUPT);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
  }

  static CheckpointRef ref(CheckpointMetadata metadata) {
    CheckpointMetadata.Info info = metadata.checkpointMetadata();
    return new CheckpointRef(
        info.checkpointId(),
        info.checkpointType(),
        info.triggerReason(),
        info.priority(),
        info.workflowPhase(),
        info.creationTimestamp(),
        metadata.storageMetadata().storedBytes(),
        metadata.integrityValidation().files().size() + 1,
        metadata.integrityValidation().checksum(),
        metadata.storageMetadata().location());
  }

  private static double elapsedSeconds(long startedNanos) {
    return Math.max(1e-3, (System.nanoTime() - startedNanos) / 1e9);
  }
}
