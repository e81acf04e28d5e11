package io.bmadflow.infra.temporal;

import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.SearchAttributes;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowServiceException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Starts a project workflow the one way the client and recoveries both use: its workflow id,
 * the orchestration queue, a memo (definition, workspace, and what the caller adds) and the
 * search attributes the Web UI shows, left out when the namespace does not know them.
 */
public final class ProjectLauncher {
  private ProjectLauncher() {}

  /**
   * Starts the workflow and returns its run id.
   *
   * @throws io.temporal.client.WorkflowExecutionAlreadyStarted when the project already runs
   */
  public static String start(WorkflowClient temporal, ProjectRequest request, Map<String, String> extraMemo) {
    String projectId = request.projectId();
    String workspace = request.workspace();
    Map<String, Object> memo = new LinkedHashMap<>();
    memo.put("definition", request.definition().id());
    memo.put("workspace", workspace == null ? "(worker default)" : workspace);
    memo.putAll(extraMemo);
    String phase = request.carried() == null ? "not-started" : request.carried().phase();
    WorkflowOptions.Builder options = WorkflowOptions.newBuilder()
        .setWorkflowId(ProjectIds.workflowId(projectId))
        .setTaskQueue(TaskQueues.ORCHESTRATION)
        .setMemo(memo);
    try {
      return WorkflowClient.start(temporal.newWorkflowStub(ProjectWorkflow.class, options
          .setTypedSearchAttributes(io.temporal.common.SearchAttributes.newBuilder()
              .set(SearchAttributes.PROJECT, projectId)
              .set(SearchAttributes.PHASE, phase)
              .set(SearchAttributes.STATUS, "running")
              .build())
          .build())::run, request).getRunId();
    } catch (WorkflowServiceException e) {
      if (!(e.getCause() instanceof StatusRuntimeException s) || s.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
        throw e;
      }
      // The namespace does not know bmadflow's search attributes: start without them.
      return WorkflowClient.start(temporal.newWorkflowStub(ProjectWorkflow.class,
          options.setTypedSearchAttributes(null).build())::run, request).getRunId();
    }
  }
}
