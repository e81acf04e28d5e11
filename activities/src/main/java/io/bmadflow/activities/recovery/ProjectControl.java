package io.bmadflow.activities.recovery;

import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.definition.PhasePlan;
import io.bmadflow.workflows.project.ComponentRestore;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.ProjectWorkflow;
import io.bmadflow.workflows.recovery.RecoveryActivities;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.activity.Activity;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a recovery does to the project's workflow through Temporal:
 * {@link RecoveryActivities#restart} (a new run from the checkpoint's state),
 * {@link RecoveryActivities#restoreComponents} and {@link RecoveryActivities#replaceAgent}
 * (updates of the running workflow), {@link RecoveryActivities#setPaused} and
 * {@link RecoveryActivities#awaitProgress}.
 *
 * <p>A restart starts the new run with the project's configured workspace
 * ({@link ProjectWorkspaces}), not the one the package's recorded request or state names.
 */
final class ProjectControl {
  private static final Logger log = LoggerFactory.getLogger(ProjectControl.class);
  /** The memo key naming the recovery that started a project's run. */
  static final String MEMO_RECOVERY = "recovery";

  private final OpenCheckpoints checkpoints;
  private final ProjectExecutions executions;
  private final ProjectWorkspaces workspaces;

  ProjectControl(OpenCheckpoints checkpoints, ProjectExecutions executions, ProjectWorkspaces workspaces) {
    this.checkpoints = checkpoints;
    this.executions = executions;
    this.workspaces = workspaces;
  }

  String restart(String recoveryId, String projectId, String checkpointId, boolean paused) {
    StoredCheckpoint checkpoint = checkpoints.open(projectId, checkpointId);
    ProjectSnapshot state = checkpoint.state();
    ProjectRequest origin = origin(checkpoint, state);
    List<String> phases = PhasePlan.of(origin.definition()).stream().map(p -> p.phase().wire()).toList();
    int nextPhase = ProjectSnapshot.COMPLETE.equals(state.phase()) ? phases.size() : Math.max(0, phases.indexOf(state.phase()));
    // The new run works in the project's configured workspace, never the one the package records.
    ProjectWorkspaces.Configured configured = workspaces.of(projectId);
    workspaces.differences(configured, checkpoint).forEach(w -> log.warn("recovery {}: {}", recoveryId, w));
    ProjectRequest request = new ProjectRequest(projectId, origin.definition(), configured.explicit(), origin.maxHistoryEvents(),
        paused ? state.withPaused(true, ProjectSnapshot.RECOVERY_PAUSE + recoveryId + ": held until validated") : state, nextPhase, origin.agentAttempts(), origin.policy());
    String workflowId = ProjectIds.workflowId(projectId);
    try {
      DescribeWorkflowExecutionResponse described = executions.describe(workflowId);
      var info = described.getWorkflowExecutionInfo();
      String startedBy = memo(info.getMemo().getFieldsMap().get(MEMO_RECOVERY));
      if (recoveryId.equals(startedBy)) {
        return info.getExecution().getRunId(); // This recovery's earlier attempt started it.
      }
      if (info.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        executions.terminate(workflowId, "recovery " + recoveryId + ": restarting from checkpoint " + checkpointId);
        log.warn("project {}: run {} terminated by recovery {}", projectId, info.getExecution().getRunId(), recoveryId);
      }
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
    }
    try {
      String runId = executions.start(request, Map.of(MEMO_RECOVERY, recoveryId, "restored_from", checkpointId));
      log.info("project {}: restarted from {} at phase {} ({} steps done) as run {}", projectId, checkpointId,
          state.phase(), state.stepsCompleted(), runId);
      return runId;
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw ApplicationFailure.newFailure("project " + projectId + " was started again while recovery " + recoveryId
          + " restarted it (run " + e.getExecution().getRunId() + ")", Failures.INVALID_INPUT);
    }
  }

  String restoreComponents(String recoveryId, String projectId, String checkpointId, List<String> components) {
    ProjectSnapshot s = checkpoints.open(projectId, checkpointId).state();
    ComponentRestore restore = new ComponentRestore(recoveryId, checkpointId, components, s.agents(), s.artifacts(),
        s.flags(), s.stories(), s.steps(), s.communicationLog());
    try {
      return executions.project(projectId).restoreComponents(restore);
    } catch (WorkflowUpdateException e) {
      throw ApplicationFailure.newNonRetryableFailure("project " + projectId + " refused the restore: " + Failures.rootMessage(e),
          Failures.INVALID_INPUT);
    }
  }

  String replaceAgent(String projectId, String agent) {
    try {
      return executions.project(projectId).replaceAgent(agent);
    } catch (WorkflowUpdateException e) {
      throw ApplicationFailure.newNonRetryableFailure("project " + projectId + " refused to replace agent " + agent + ": "
          + Failures.rootMessage(e), Failures.INVALID_INPUT);
    }
  }

  void setPaused(String projectId, boolean paused, String reason) {
    ProjectWorkflow project = executions.project(projectId);
    try {
      if (paused) {
        project.pause(reason);
      } else {
        project.resume(reason);
      }
    } catch (WorkflowNotFoundException finished) {
      // A project restored at its end completes at once: there is nothing to pause or resume.
      log.info("project {} has no running workflow to {} ({})", projectId, paused ? "pause" : "resume", finished.getMessage());
    }
  }

  long awaitProgress(String projectId, int stepsCompleted, int timeoutSeconds) {
    long t0 = System.nanoTime();
    long deadline = t0 + timeoutSeconds * 1_000_000_000L;
    ProjectWorkflow project = executions.project(projectId);
    while (System.nanoTime() < deadline) {
      ProjectSnapshot state = project.state();
      if (state.stepsCompleted() > stepsCompleted || ProjectSnapshot.COMPLETE.equals(state.phase())) {
        return (System.nanoTime() - t0) / 1_000_000;
      }
      Activity.getExecutionContext().heartbeat(state.stepsCompleted());
      ProjectExecutions.sleep(50);
    }
    return -1;
  }

  /** What restarts the project: the package's recorded request, or (older packages) the bundled definition by id. */
  private static ProjectRequest origin(StoredCheckpoint checkpoint, ProjectSnapshot state) {
    return checkpoint.origin().orElseGet(() -> {
      if (!DefinitionLoader.BUNDLED.contains(state.definitionId())) {
        throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpoint.checkpointId() + " predates recorded"
            + " project requests and its definition " + state.definitionId() + " is not bundled; restart the project"
            + " from a newer checkpoint", Failures.INVALID_INPUT);
      }
      return new ProjectRequest(checkpoint.projectId(), DefinitionLoader.load(state.definitionId()).definition(), null);
    });
  }

  private static String memo(Payload payload) {
    if (payload == null) {
      return null;
    }
    try {
      return DefaultDataConverter.STANDARD_INSTANCE.fromPayload(payload, String.class, String.class);
    } catch (RuntimeException e) {
      return null;
    }
  }
}
