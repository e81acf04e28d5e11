package io.bmadflow.activities.recovery;

import io.bmadflow.activities.StoreFailures;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.infra.recovery.RecoveryReports;
import io.bmadflow.workflows.recovery.Assessment;
import io.bmadflow.workflows.recovery.CheckpointChoice;
import io.bmadflow.workflows.recovery.RecoveryActivities;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.RestorePlan;
import io.bmadflow.workflows.recovery.ValidationCheck;
import io.temporal.client.WorkflowClient;
import java.nio.file.Path;
import java.util.List;

/**
 * The recovery workflow's side effects: reads the project's workflow through Temporal and its
 * packages through the checkpoint store, writes workspace files and reports. See
 * {@link RecoveryActivities}.
 *
 * <p>Each role is one part: {@link FailureAssessment}, {@link CheckpointSelection},
 * {@link WorkspaceRestore}, {@link ProjectControl} and {@link RestoreChecks}; they read the
 * checkpoint through one {@link OpenCheckpoints} handle cache. A store error that escapes a part
 * becomes a Temporal failure through {@link StoreFailures}: a corrupt package is not retried.
 */
public final class RecoveryActivitiesImpl implements RecoveryActivities {
  private final CheckpointStore store;
  private final String workerName;
  private final BmadflowMetrics metrics;
  private final FailureAssessment assessment;
  private final CheckpointSelection selection;
  private final WorkspaceRestore restore;
  private final ProjectControl control;
  private final RestoreChecks checks;

  /**
   * @param metrics where recoveries are counted and timed, or null for nowhere
   */
  public RecoveryActivitiesImpl(WorkflowClient temporal, CheckpointStore store, Path workspaceRoot, String workerName,
      BmadflowMetrics metrics) {
    this(temporal, store, WorkspaceRoot.of(workspaceRoot), workerName, metrics);
  }

  /**
   * @param workspaces where project workspaces may live; every restore goes to the project's
   *     configured workspace under it, never to a directory a package records
   * @param metrics where recoveries are counted and timed, or null for nowhere
   */
  public RecoveryActivitiesImpl(WorkflowClient temporal, CheckpointStore store, WorkspaceRoot workspaces,
      String workerName, BmadflowMetrics metrics) {
    this.store = store;
    this.workerName = workerName;
    this.metrics = metrics;
    OpenCheckpoints checkpoints = new OpenCheckpoints(store);
    ProjectExecutions executions = new ProjectExecutions(temporal);
    ProjectWorkspaces projectWorkspaces = new ProjectWorkspaces(executions, workspaces);
    this.assessment = new FailureAssessment(store, executions);
    this.selection = new CheckpointSelection(store, checkpoints, projectWorkspaces);
    this.restore = new WorkspaceRestore(store, checkpoints, executions, projectWorkspaces);
    this.control = new ProjectControl(checkpoints, executions, projectWorkspaces);
    this.checks = new RestoreChecks(checkpoints, executions, projectWorkspaces);
  }

  @Override
  public Assessment assess(String projectId, int reachabilityWaitSeconds) {
    return StoreFailures.call(() -> assessment.assess(projectId, reachabilityWaitSeconds));
  }

  @Override
  public CheckpointChoice chooseCheckpoint(String projectId, String checkpointId, Long atMillis, List<String> files) {
    return StoreFailures.call(() -> selection.chooseCheckpoint(projectId, checkpointId, atMillis, files));
  }

  @Override
  public RestorePlan planRestore(String projectId, String checkpointId, List<String> components, List<String> files) {
    return StoreFailures.call(() -> restore.planRestore(projectId, checkpointId, components, files));
  }

  @Override
  public String backup(String recoveryId, String projectId, String checkpointId, List<String> files) {
    return StoreFailures.call(() -> restore.backup(recoveryId, projectId, checkpointId, files));
  }

  @Override
  public List<String> restoreFiles(String projectId, String checkpointId, List<String> files) {
    return StoreFailures.call(() -> restore.restoreFiles(projectId, checkpointId, files));
  }

  @Override
  public String restart(String recoveryId, String projectId, String checkpointId, boolean paused) {
    return StoreFailures.call(() -> control.restart(recoveryId, projectId, checkpointId, paused));
  }

  @Override
  public String restoreComponents(String recoveryId, String projectId, String checkpointId, List<String> components) {
    return StoreFailures.call(() -> control.restoreComponents(recoveryId, projectId, checkpointId, components));
  }

  @Override
  public String replaceAgent(String projectId, String agent) {
    return control.replaceAgent(projectId, agent);
  }

  @Override
  public ValidationCheck check(String name, String projectId, String checkpointId) {
    return checks.check(name, projectId, checkpointId);
  }

  @Override
  public void setPaused(String projectId, boolean paused, String reason) {
    control.setPaused(projectId, paused, reason);
  }

  @Override
  public long awaitProgress(String projectId, int stepsCompleted, int timeoutSeconds) {
    return control.awaitProgress(projectId, stepsCompleted, timeoutSeconds);
  }

  @Override
  public String ping() {
    return workerName;
  }

  @Override
  public String writeReport(RecoveryReport report) {
    return StoreFailures.call(() -> {
      String location = RecoveryReports.write(store, report);
      if (metrics != null) {
        metrics.recordRecovery(report.strategy() == null ? "none" : report.strategy(), report.outcome(),
            (report.finishedAtMillis() - report.startedAtMillis()) / 1000.0);
      }
      return location;
    });
  }
}
