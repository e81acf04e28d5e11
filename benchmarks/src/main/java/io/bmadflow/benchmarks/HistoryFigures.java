package io.bmadflow.benchmarks;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What a workflow's history weighs on the server: for each run of a workflow id (following
 * continue-as-new back from the newest run), the server's own history size and length
 * ({@code DescribeWorkflowExecution}), its largest event and its largest payload (the largest
 * {@code Payloads} an event carries: an activity's input or result, a signal's input, a child's
 * input, a continue-as-new's input).
 */
record HistoryFigures(String workflowId, List<Run> runs) {

  /** One run. */
  record Run(String runId, String status, long bytes, long events, long largestEvent, String largestEventType,
      long largestPayload, String largestPayloadEventType, List<String> childWorkflowIds) {}

  /** The runs of {@code workflowId}, oldest first. */
  static HistoryFigures of(WorkflowClient client, String workflowId) {
    WorkflowServiceStubs service = client.getWorkflowServiceStubs();
    String namespace = client.getOptions().getNamespace();
    List<Run> runs = new ArrayList<>();
    String runId = "";
    while (runId != null) {
      DescribeWorkflowExecutionResponse d = service.blockingStub().describeWorkflowExecution(
          DescribeWorkflowExecutionRequest.newBuilder().setNamespace(namespace)
              .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(runId)).build());
      String actualRun = d.getWorkflowExecutionInfo().getExecution().getRunId();
      List<HistoryEvent> events = client.fetchHistory(workflowId, actualRun).getEvents();
      long largestEvent = 0;
      String largestEventType = "";
      long largestPayload = 0;
      String largestPayloadType = "";
      List<String> children = new ArrayList<>();
      for (HistoryEvent e : events) {
        if (e.getSerializedSize() > largestEvent) {
          largestEvent = e.getSerializedSize();
          largestEventType = shortType(e);
        }
        long payload = largestPayloads(e);
        if (payload > largestPayload) {
          largestPayload = payload;
          largestPayloadType = shortType(e);
        }
        if (e.hasStartChildWorkflowExecutionInitiatedEventAttributes()) {
          String child = e.getStartChildWorkflowExecutionInitiatedEventAttributes().getWorkflowId();
          if (!children.contains(child)) {
            children.add(child);
          }
        }
      }
      WorkflowExecutionStatus status = d.getWorkflowExecutionInfo().getStatus();
      runs.add(new Run(actualRun, status.name().replace("WORKFLOW_EXECUTION_STATUS_", "").toLowerCase(),
          d.getWorkflowExecutionInfo().getHistorySizeBytes(), d.getWorkflowExecutionInfo().getHistoryLength(),
          largestEvent, largestEventType, largestPayload, largestPayloadType, children));
      String previous = events.isEmpty() ? ""
          : events.get(0).getWorkflowExecutionStartedEventAttributes().getContinuedExecutionRunId();
      runId = previous.isEmpty() ? null : previous;
    }
    Collections.reverse(runs);
    return new HistoryFigures(workflowId, runs);
  }

  long maxBytes() {
    return runs.stream().mapToLong(Run::bytes).max().orElse(0);
  }

  long maxEvents() {
    return runs.stream().mapToLong(Run::events).max().orElse(0);
  }

  long largestEvent() {
    return runs.stream().mapToLong(Run::largestEvent).max().orElse(0);
  }

  Run largestPayloadRun() {
    return runs.stream().max(java.util.Comparator.comparingLong(Run::largestPayload)).orElseThrow();
  }

  Run newest() {
    return runs.get(runs.size() - 1);
  }

  List<String> children() {
    List<String> all = new ArrayList<>();
    runs.forEach(r -> r.childWorkflowIds().stream().filter(c -> !all.contains(c)).forEach(all::add));
    return all;
  }

  private static String shortType(HistoryEvent e) {
    return e.getEventType().name().replace("EVENT_TYPE_", "");
  }

  /** The largest {@code Payloads} anywhere in a message, in serialized bytes. */
  static long largestPayloads(Message m) {
    if (m instanceof Payloads p) {
      return p.getSerializedSize();
    }
    long max = 0;
    for (Map.Entry<FieldDescriptor, Object> f : m.getAllFields().entrySet()) {
      if (f.getKey().getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        continue;
      }
      if (f.getKey().isRepeated()) {
        for (Object o : (List<?>) f.getValue()) {
          max = Math.max(max, largestPayloads((Message) o));
        }
      } else {
        max = Math.max(max, largestPayloads((Message) f.getValue()));
      }
    }
    return max;
  }
}
