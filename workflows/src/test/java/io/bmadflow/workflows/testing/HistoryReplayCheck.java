package io.bmadflow.workflows.testing;

import io.bmadflow.workflows.drills.DrillScheduleWorkflowImpl;
import io.bmadflow.workflows.phase.PhaseWorkflowImpl;
import io.bmadflow.workflows.project.ProjectWorkflowImpl;
import io.bmadflow.workflows.recovery.RecoveryWorkflowImpl;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsResponse;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Replays every bmadflow workflow execution a Temporal server holds against the current code.
 *
 * <p>Used by {@link ReplayEveryHistory} after each test and by the test fixtures before they stop
 * a server: an execution that does not replay (a non-determinism, {@code TMPRL1100} among them)
 * is reported with its workflow id, run id and the replayer's message, which names the event.
 * Closed runs that replayed once are not replayed again.
 */
public final class HistoryReplayCheck {
  /** The workflow types bmadflow defines, by type name, with the classes that replay them. */
  private static final Set<String> TYPES = Set.of("ProjectWorkflow", "PhaseWorkflow", "RecoveryWorkflow", "DrillScheduleWorkflow");
  private static final Class<?>[] MORE_IMPLEMENTATIONS = {
      PhaseWorkflowImpl.class, RecoveryWorkflowImpl.class, DrillScheduleWorkflowImpl.class};
  private static final Map<String, Boolean> replayedClosedRuns = new ConcurrentHashMap<>();

  private HistoryReplayCheck() {}

  /** One execution that did not replay. */
  public record Failure(String workflowId, String runId, String type, String message) {
    @Override
    public String toString() {
      return "workflow " + workflowId + " (" + type + ", run " + runId + ") does not replay: " + message;
    }
  }

  /** Replays every bmadflow execution in the client's namespace; returns those that fail, none when all replay. */
  public static List<Failure> replayAll(WorkflowClient client) {
    List<Failure> failures = new ArrayList<>();
    // Replays with the client's own options, its data converter among them: a workflow whose
    // converter refused a payload (bmadflow's blob limit check) makes the same decision again.
    WorkerFactory factory = WorkerFactory.newInstance(
        WorkflowClient.newInstance(client.getWorkflowServiceStubs(), client.getOptions()));
    try {
      Worker replayer = factory.newWorker("bmadflow-replay-check");
      replayer.registerWorkflowImplementationTypes(ProjectWorkflowImpl.class);
      replayer.registerWorkflowImplementationTypes(MORE_IMPLEMENTATIONS);
      replayAll(client, replayer, failures);
    } finally {
      factory.shutdownNow();
    }
    return failures;
  }

  private static void replayAll(WorkflowClient client, Worker replayer, List<Failure> failures) {
    for (Listed listed : list(client)) {
      String key = client.getOptions().getNamespace() + "/" + listed.execution().getWorkflowId() + "/" + listed.execution().getRunId();
      if (listed.closed() && replayedClosedRuns.containsKey(key)) {
        continue;
      }
      WorkflowExecution execution = listed.execution();
      try {
        WorkflowExecutionHistory history = replayable(client.fetchHistory(execution.getWorkflowId(), execution.getRunId()));
        WorkflowReplayer.replayWorkflowExecution(history, replayer);
        if (listed.closed()) {
          replayedClosedRuns.put(key, true);
        }
      } catch (Exception e) {
        failures.add(new Failure(execution.getWorkflowId(), execution.getRunId(), listed.type(), messages(e)));
      }
    }
  }

  /**
   * The part of a history the replayer can check: all of it, except that a run terminated or timed
   * out by the server in the middle of a workflow task ends at its last completed workflow task
   * (the replayer refuses such an ending, though nothing the workflow decided is missing).
   */
  static WorkflowExecutionHistory replayable(WorkflowExecutionHistory history) {
    List<HistoryEvent> events = history.getEvents();
    EventType last = events.isEmpty() ? null : events.get(events.size() - 1).getEventType();
    if (last != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED && last != EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT) {
      return history;
    }
    int end = events.size();
    while (end > 0 && events.get(end - 1).getEventType() != EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
      end--;
    }
    return new WorkflowExecutionHistory(History.newBuilder().addAllEvents(events.subList(0, end)).build(), history.getWorkflowExecution().getWorkflowId());
  }

  /** Throws an {@link AssertionError} naming {@code context} and every execution that does not replay. */
  public static void assertAllReplay(WorkflowClient client, String context) {
    List<Failure> failures = replayAll(client);
    if (!failures.isEmpty()) {
      StringBuilder text = new StringBuilder(context + ": " + failures.size() + " workflow history(ies) do not replay on the current code");
      failures.forEach(f -> text.append("\n  ").append(f));
      throw new AssertionError(text.toString());
    }
  }

  private record Listed(WorkflowExecution execution, String type, boolean closed) {}

  private static List<Listed> list(WorkflowClient client) {
    var stub = client.getWorkflowServiceStubs().blockingStub();
    String namespace = client.getOptions().getNamespace();
    List<Listed> out = new ArrayList<>();
    ByteString token = ByteString.EMPTY;
    do {
      ListOpenWorkflowExecutionsResponse page = stub.listOpenWorkflowExecutions(ListOpenWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace).setMaximumPageSize(1000).setNextPageToken(token).build());
      page.getExecutionsList().forEach(i -> add(out, i, false));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    do {
      ListClosedWorkflowExecutionsResponse page = stub.listClosedWorkflowExecutions(ListClosedWorkflowExecutionsRequest.newBuilder()
          .setNamespace(namespace).setMaximumPageSize(1000).setNextPageToken(token).build());
      page.getExecutionsList().forEach(i -> add(out, i, true));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  private static void add(List<Listed> out, WorkflowExecutionInfo info, boolean closed) {
    if (TYPES.contains(info.getType().getName())) {
      out.add(new Listed(info.getExecution(), info.getType().getName(), closed));
    }
  }

  private static String messages(Throwable e) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = e; t != null && text.length() < 2000; t = t.getCause()) {
      text.append(text.length() == 0 ? "" : "; caused by ").append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
    }
    return text.toString();
  }
}
