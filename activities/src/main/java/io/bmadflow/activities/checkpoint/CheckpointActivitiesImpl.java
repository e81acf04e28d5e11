package io.bmadflow.activities.checkpoint;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.checkpoint.VerificationReport;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointActivities;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.CheckpointRequest;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures the project's state into a checkpoint package, validates it, and commits it to the
 * store, incremental to the previous checkpoint. The content is a function of the request and the
 * workspace, and the request's hash is recorded, so a retried attempt finds its own package
 * committed and succeeds without writing a second one.
 *
 * <p>With {@link BmadflowMetrics}, every attempt's outcome ({@code committed},
 * {@code already_committed}, {@code failed}), duration and bytes are recorded.
 */
public final class CheckpointActivitiesImpl implements CheckpointActivities {
  private static final Logger log = LoggerFactory.getLogger(CheckpointActivitiesImpl.class);
  private final CheckpointStore store;
  private final Path workspaceRoot;
  private final BmadflowMetrics metrics;

  public CheckpointActivitiesImpl(CheckpointStore store, Path workspaceRoot) {
    this(store, workspaceRoot, null);
  }

  /** With {@code metrics} null nothing is recorded. */
  public CheckpointActivitiesImpl(CheckpointStore store, Path workspaceRoot, BmadflowMetrics metrics) {
    this.store = store;
    this.workspaceRoot = workspaceRoot;
    this.metrics = metrics;
  }

  @Override
  public CheckpointRef createCheckpoint(CheckpointRequest request) {
    return io.bmadflow.activities.Heartbeats.during(() -> instrumented(request));
  }

  private CheckpointRef instrumented(CheckpointRequest request) {
    if (metrics == null) {
      return ref(create(request).metadata());
    }
    long started = System.nanoTime();
    String type = request.type() == null ? null : request.type().wire();
    String trigger = request.trigger() == null ? null : request.trigger().wire();
    String projectId = request.snapshot() == null ? null : request.snapshot().projectId();
    CheckpointStore.CommitResult result;
    try {
      result = create(request);
    } catch (RuntimeException e) {
      record(type, trigger, BmadflowMetrics.FAILED, elapsedSeconds(started), 0, -1, null, null);
      throw e;
    }
    CheckpointMetadata metadata = result.metadata();
    if (result.alreadyCommitted()) {
      record(type, trigger, BmadflowMetrics.ALREADY_COMMITTED, elapsedSeconds(started), 0,
          -1, null, null);
    } else {
      record(type, trigger, BmadflowMetrics.COMMITTED, elapsedSeconds(started),
          metadata.storageMetadata().bytesWritten(), metadata.storageMetadata().storedBytes(), projectId,
          metadata.integrityValidation().validationStatus());
    }
    return ref(metadata);
  }

  /** Metrics never fail a checkpoint. */
  private void record(String type, String trigger, String outcome, double seconds, long bytesWritten,
      long storedBytes, String projectId, String validationStatus) {
    try {
      metrics.recordCheckpoint(type, trigger, outcome, seconds, bytesWritten, storedBytes, projectId, validationStatus);
    } catch (RuntimeException e) {
      log.warn("checkpoint metrics not recorded: {}", e.toString());
    }
  }

  private CheckpointStore.CommitResult create(CheckpointRequest request) {
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
      // An incremental package references its parent's objects: read the parent back first. That
      // proves the chain sound and measures the restore rate the recovery estimate uses.
      String parent = request.parentCheckpointId();
      double restoreBytesPerSecond = 0;
      if (parent != null) {
        long readStart = System.nanoTime();
        VerificationReport parentReport = store.verify(projectId, parent);
        double seconds = Math.max(1e-3, (System.nanoTime() - readStart) / 1e9);
        if (parentReport.ok()) {
          restoreBytesPerSecond = store.metadata(projectId, parent).storageMetadata().storedBytes() / seconds;
        } else {
          log.warn("checkpoint {}: parent {} fails verification ({}); writing a full checkpoint",
              request.checkpointId(), parent, parentReport.failures());
          parent = null;
        }
      }
      PackageBuilder.Captured captured = PackageBuilder.capture(request, workspace);
      double measuredRate = restoreBytesPerSecond;
      return store.commit(new CheckpointStore.CommitRequest(
          projectId,
          request.checkpointId(),
          parent,
          requestSha256,
          captured.files(),
          digest -> PackageBuilder.metadata(request, requestSha256, captured, digest,
              measuredRate > 0 ? measuredRate : digest.storedBytes() / elapsedSeconds(started))));
    } catch (CheckpointStoreException.Conflict e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.CHECKPOINT_CONFLICT);
    } catch (CheckpointStoreException.NotFound e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    } catch (CheckpointStoreException.Corrupt e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.CHECKPOINT_CORRUPT);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
  }

  @Override
  public void verifyCheckpoint(String projectId, String checkpointId) {
    if (ProjectIds.problem(projectId) != null || !CheckpointIds.isValid(checkpointId)) {
      throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + " of " + projectId + " is not a valid reference",
          Failures.INVALID_INPUT);
    }
    VerificationReport report = io.bmadflow.activities.Heartbeats.during(() -> store.verify(projectId, checkpointId));
    if (!report.ok()) {
      throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + " does not verify: "
          + report.failures().stream().map(f -> f.path() + " (" + f.problem() + ")").toList(), Failures.CHECKPOINT_CORRUPT);
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
        metadata.storageMetadata().location(),
        java.time.Instant.now().toString(),
        false);
  }

  private static double elapsedSeconds(long startedNanos) {
    return Math.max(1e-3, (System.nanoTime() - startedNanos) / 1e9);
  }
}
