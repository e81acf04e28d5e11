package io.bmadflow.client;

import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import io.temporal.client.WorkflowClient;
import com.google.protobuf.ByteString;

/**
 * A workflow whose workflow tasks keep failing: a non-determinism after a code change, a bug in
 * workflow code. Temporal retries such a task for ever and the workflow makes no progress, while
 * it still reports RUNNING; this names the failure, its attempt count and what to do.
 *
 * @param attempts the attempt the pending workflow task is at (2 or more)
 * @param message the last recorded failure's message, or null when the history has none yet
 */
public record WorkflowTaskProblem(int attempts, String message) {
  /** Pages of history read at most looking for the failure; each holds up to 1,000 events. */
  private static final int MAX_PAGES = 50;

  /** What an operator reads: the failure, the attempts, what to check. */
  public String describe(String projectId) {
    return "its workflow task keeps failing (attempt " + attempts + ")" + (message == null ? "" : ": " + message)
        + ". The workflow makes no progress until this is fixed: read the worker's log for the stack trace; a "
        + "non-determinism (TMPRL1100) means the worker runs code that cannot replay this history (deploy the code "
        + "that started it, or `bmadflow recover --project " + projectId + "` from a checkpoint)";
  }

  /**
   * The problem of a described workflow, or null when its workflow task is not failing. A real
   * server counts a failing task's attempts on the pending task (and records only the first
   * failure; the test server does not count), so the history since the last completed task is
   * read too, at most {@value #MAX_PAGES} pages.
   */
  public static WorkflowTaskProblem of(WorkflowClient temporal, DescribeWorkflowExecutionResponse described) {
    Failures failures = failures(temporal, described.getWorkflowExecutionInfo().getExecution());
    int attempts = Math.max(described.getPendingWorkflowTask().getAttempt(), failures.sinceLastCompleted() + 1);
    return attempts < 2 ? null : new WorkflowTaskProblem(attempts, failures.lastMessage());
  }

  private record Failures(int sinceLastCompleted, String lastMessage) {}

  /** The WorkflowTaskFailed events since the last completed task, read page by page (bounded). */
  private static Failures failures(WorkflowClient temporal, WorkflowExecution execution) {
    String message = null;
    int since = 0;
    ByteString token = ByteString.EMPTY;
    for (int page = 0; page < MAX_PAGES; page++) {
      GetWorkflowExecutionHistoryResponse response = temporal.getWorkflowServiceStubs().blockingStub()
          .getWorkflowExecutionHistory(GetWorkflowExecutionHistoryRequest.newBuilder()
              .setNamespace(temporal.getOptions().getNamespace()).setExecution(execution).setNextPageToken(token).build());
      for (HistoryEvent event : response.getHistory().getEventsList()) {
        if (event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
          since = 0;
        }
        if (event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
          since++;
          var failure = event.getWorkflowTaskFailedEventAttributes().getFailure();
          String text = failure.getMessage();
          for (var cause = failure; cause.hasCause(); ) {
            cause = cause.getCause();
            text = text + "; caused by " + cause.getMessage();
          }
          message = "event " + event.getEventId() + ", " + event.getWorkflowTaskFailedEventAttributes().getCause().name()
              .replace("WORKFLOW_TASK_FAILED_CAUSE_", "") + ": " + (text.length() > 500 ? text.substring(0, 500) + "..." : text);
        }
      }
      token = response.getNextPageToken();
      if (token.isEmpty()) {
        break;
      }
    }
    return new Failures(since, message);
  }
}
