package io.bmadflow.activities.recovery;

import io.bmadflow.infra.temporal.ProjectLauncher;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectWorkflow;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import java.util.Map;

/** A project's workflow executions as a recovery sees them through Temporal: described, queried, stopped, started. */
final class ProjectExecutions {
  private final WorkflowClient temporal;

  ProjectExecutions(WorkflowClient temporal) {
    this.temporal = temporal;
  }

  /** The namespace the project workflows run in. */
  String namespace() {
    return temporal.getOptions().getNamespace();
  }

  /** A stub of the project's current workflow, for queries, signals and updates. */
  ProjectWorkflow project(String projectId) {
    return temporal.newWorkflowStub(ProjectWorkflow.class, ProjectIds.workflowId(projectId));
  }

  /** Describes a workflow's latest run; throws {@code StatusRuntimeException} NOT_FOUND when there is none. */
  DescribeWorkflowExecutionResponse describe(String workflowId) {
    return temporal.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
        DescribeWorkflowExecutionRequest.newBuilder()
            .setNamespace(namespace())
            .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
            .build());
  }

  /**
   * The workspace the project's latest run was started with, as Temporal recorded it: the
   * {@code workspace} of the {@link ProjectRequest} in the run's first history event (null for the
   * workers' default). Empty when Temporal has no execution of the project (a lost cluster).
   */
  java.util.Optional<Recorded> startedWorkspace(String projectId) {
    String workflowId = ProjectIds.workflowId(projectId);
    GetWorkflowExecutionHistoryResponse first;
    try {
      first = temporal.getWorkflowServiceStubs().blockingStub().getWorkflowExecutionHistory(
          GetWorkflowExecutionHistoryRequest.newBuilder()
              .setNamespace(namespace())
              .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
              .setMaximumPageSize(1)
              .build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return java.util.Optional.empty();
      }
      throw e;
    }
    if (first.getHistory().getEventsCount() == 0
        || first.getHistory().getEvents(0).getEventType() != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
      throw new IllegalStateException("workflow " + workflowId + " has no started event to read its workspace from");
    }
    var started = first.getHistory().getEvents(0).getWorkflowExecutionStartedEventAttributes();
    ProjectRequest request = temporal.getOptions().getDataConverter().fromPayloads(
        0, java.util.Optional.of(started.getInput()), ProjectRequest.class, ProjectRequest.class);
    return java.util.Optional.of(new Recorded(request == null ? null : request.workspace(),
        started.getOriginalExecutionRunId()));
  }

  /**
   * A project's workspace as its run records it.
   *
   * @param workspace the explicit directory, or null for the workers' default
   * @param runId the run that recorded it
   */
  record Recorded(String workspace, String runId) {}

  /** Why a closed run ended, from its last history event. */
  String closingFailure(String workflowId, String runId) {
    try {
      HistoryEvent last = temporal.fetchHistory(workflowId, runId).getLastEvent();
      if (last.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED) {
        return last.getWorkflowExecutionFailedEventAttributes().getFailure().getMessage();
      }
      if (last.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED) {
        return "terminated: " + last.getWorkflowExecutionTerminatedEventAttributes().getReason();
      }
      return last.getEventType().name();
    } catch (RuntimeException e) {
      return "unknown (" + Failures.rootMessage(e) + ")";
    }
  }

  /** Terminates a workflow's running execution. */
  void terminate(String workflowId, String reason) {
    temporal.newUntypedWorkflowStub(workflowId).terminate(reason);
  }

  /** Starts the project's workflow with this request and memo; returns the run id. */
  String start(ProjectRequest request, Map<String, String> memo) {
    return ProjectLauncher.start(temporal, request, memo);
  }

  /** Sleeps between polls; an interrupt ends the activity attempt. */
  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
