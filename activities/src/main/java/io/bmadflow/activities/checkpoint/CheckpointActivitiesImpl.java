package io.bmadflow.activities.checkpoint;

import io.bmadflow.activities.Heartbeats;
import io.bmadflow.activities.StoreFailures;
import io.bmadflow.activities.Workspace;
import io.bmadflow.activities.WorkspaceGuard;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.checkpoint.VerificationReport;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CapturedCheckpoint;
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
  private final WorkspaceRoot workspaces;
  private final BmadflowMetrics metrics;
  private final WorkspaceGuard guard;

  public CheckpointActivitiesImpl(CheckpointStore store, Path workspaceRoot) {
    this(store, workspaceRoot, null);
  }

  /** With {@code metrics} null nothing is recorded; {@code workspaceRoot} is the only workspace root. */
  public CheckpointActivitiesImpl(CheckpointStore store, Path workspaceRoot, BmadflowMetrics metrics) {
    this(store, WorkspaceRoot.of(workspaceRoot), metrics);
  }

  /**
   * @param workspaces where project workspaces may live: a capture of a project whose workspace is
   *     outside them fails without retries as {@link Failures#INVALID_INPUT}
   * @param metrics where checkpoint outcomes go, or null for nowhere
   */
  public CheckpointActivitiesImpl(CheckpointStore store, WorkspaceRoot workspaces, BmadflowMetrics metrics) {
    this(store, workspaces, metrics, WorkspaceGuard.NONE);
  }

  /**
   * @param guard runs before a capture reads the workspace (the worker's rewind after a reset)
   */
  public CheckpointActivitiesImpl(CheckpointStore store, WorkspaceRoot workspaces, BmadflowMetrics metrics,
      WorkspaceGuard guard) {
    this.store = store;
    this.workspaces = workspaces;
    this.metrics = metrics;
    this.guard = guard;
  }

  @Override
  public CheckpointRef createCheckpoint(CheckpointRequest request) {
    // The single-activity form, kept for histories from before the pipeline: capture, then commit.
    return Heartbeats.during(() -> {
      CapturedCheckpoint captured = capture(request);
      return publish(request, captured);
    });
  }

  @Override
  public CapturedCheckpoint captureCheckpoint(CheckpointRequest request) {
    return Heartbeats.during(() -> capture(request));
  }

  @Override
  public void validateCheckpoint(String projectId, String checkpointId) {
    requireIds(projectId, checkpointId);
    VerificationReport report = Heartbeats.during(() -> mapped(() -> store.verifyStaged(projectId, checkpointId)));
    if (!report.ok()) {
      record(null, null, BmadflowMetrics.FAILED, 0, 0, -1, null, "failed");
      throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + " failed validation before commit: "
          + report.failures().stream().map(f -> f.path() + " (" + f.problem() + ")").toList(), Failures.CHECKPOINT_CORRUPT);
    }
  }

  @Override
  public CheckpointRef publishCheckpoint(CheckpointRequest request, CapturedCheckpoint captured) {
    return Heartbeats.during(() -> publish(request, captured));
  }

  /** Captures the state into a package and stores its content, uncommitted. */
  private CapturedCheckpoint capture(CheckpointRequest request) {
    String projectId = requireIds(request.snapshot() == null ? null : request.snapshot().projectId(), request.checkpointId());
    if (request.parentCheckpointId() != null && !CheckpointIds.isValid(request.parentCheckpointId())) {
      throw ApplicationFailure.newNonRetryableFailure("parent checkpoint id '" + request.parentCheckpointId() + "' is not valid",
          Failures.INVALID_INPUT);
    }
    guard.beforeUse(projectId);
    long started = System.nanoTime();
    String requestSha256 = Sha256.hex(PackageJson.write(request));
    return mapped(() -> {
      Workspace workspace = Workspace.of(workspaces, projectId, request.snapshot().workspace());
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
      // Large workspace files wait in a snapshot under .bmadflow/ until they are stored; then it goes.
      try (PackageBuilder.Captured captured = PackageBuilder.capture(request, workspace)) {
        var staged = store.stage(new CheckpointStore.CommitRequest(
            projectId, request.checkpointId(), parent, requestSha256, captured.files(), null));
        if (restoreBytesPerSecond <= 0) {
          // A first checkpoint has no parent to read back: use the rate this capture was written at.
          restoreBytesPerSecond = staged.storedBytes() / elapsedSeconds(started);
        }
        return new CapturedCheckpoint(request.checkpointId(), staged.checksum(), requestSha256, parent,
            captured.validationDetails(), restoreBytesPerSecond, staged.committed() != null);
      }
    });
  }

  /** Commits a captured package and records the outcome in the metrics. */
  private CheckpointRef publish(CheckpointRequest request, CapturedCheckpoint captured) {
    String projectId = requireIds(request.snapshot() == null ? null : request.snapshot().projectId(), request.checkpointId());
    long started = System.nanoTime();
    String type = request.type() == null ? null : request.type().wire();
    String trigger = request.trigger() == null ? null : request.trigger().wire();
    CheckpointStore.CommitResult result;
    try {
      result = mapped(() -> store.publish(projectId, request.checkpointId(), captured.requestSha256(),
          digest -> PackageBuilder.metadata(request, captured.requestSha256(), captured.validationDetails(), digest,
              captured.restoreBytesPerSecond())));
    } catch (RuntimeException e) {
      record(type, trigger, BmadflowMetrics.FAILED, elapsedSeconds(started), 0, -1, null, null);
      throw e;
    }
    CheckpointMetadata metadata = result.metadata();
    if (result.alreadyCommitted()) {
      record(type, trigger, BmadflowMetrics.ALREADY_COMMITTED, elapsedSeconds(started), 0, -1, null, null);
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
    if (metrics == null) {
      return;
    }
    try {
      metrics.recordCheckpoint(type, trigger, outcome, seconds, bytesWritten, storedBytes, projectId, validationStatus);
    } catch (RuntimeException e) {
      log.warn("checkpoint metrics not recorded: {}", e.toString());
    }
  }

  private static String requireIds(String projectId, String checkpointId) {
    String problem = ProjectIds.problem(projectId);
    if (problem != null || !CheckpointIds.isValid(checkpointId)) {
      throw ApplicationFailure.newNonRetryableFailure(
          problem != null ? problem : "checkpoint id '" + checkpointId + "' is not valid", Failures.INVALID_INPUT);
    }
    return projectId;
  }

  /**
   * Store errors as Temporal failures ({@link StoreFailures}), and a package the request makes
   * invalid (an unsafe path, a reserved or repeated file) as a non-retryable invalid input.
   */
  private static <T> T mapped(java.util.function.Supplier<T> call) {
    try {
      return StoreFailures.call(call);
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
    VerificationReport report = Heartbeats.during(() -> mapped(() -> store.verify(projectId, checkpointId)));
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
