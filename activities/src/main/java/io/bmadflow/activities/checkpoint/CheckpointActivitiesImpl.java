package io.bmadflow.activities.checkpoint;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointActivities;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.CheckpointRequest;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.SortedMap;

/**
 * Captures the project's state into a checkpoint package, validates it, and commits it to the
 * store. The content is a pure function of the request and the workspace, so a retried attempt
 * commits the same package (a no-op) instead of a second one.
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
    if (problem != null || !CheckpointIds.isValid(request.checkpointId())) {
      throw ApplicationFailure.newNonRetryableFailure(
          problem != null ? problem : "checkpoint id '" + request.checkpointId() + "' is not valid",
          Failures.INVALID_INPUT);
    }
    long started = System.nanoTime();
    Workspace workspace = Workspace.of(workspaceRoot, projectId, request.snapshot().workspace());
    PackageBuilder.Captured captured = PackageBuilder.capture(request, workspace);
    SortedMap<String, byte[]> files = captured.files();
    CheckpointMetadata metadata;
    try {
      metadata =
          store.commit(
              projectId,
              request.checkpointId(),
              files,
              digest -> PackageBuilder.metadata(request, captured, digest, elapsedSeconds(started)));
    } catch (CheckpointStoreException.Conflict e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.CHECKPOINT_CONFLICT);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
    return ref(metadata);
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
