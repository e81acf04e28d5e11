package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.client.BmadflowClient;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.infra.temporal.PayloadLimitDataConverter;
import io.bmadflow.infra.temporal.TemporalConnection;
import io.bmadflow.infra.temporal.TemporalLimits;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limits the Java test server never enforced, on the real dev server with lowered limits
 * ({@code BMADFLOW_LIMIT_*}, passed to the server as dynamic config and to bmadflow alike).
 *
 * <p>A first project on default limits gives this machine's figures: its project workflow's
 * history size and length, and the largest payload in it. Then, on a server whose history limits
 * are 1.5 times those figures, the same project completes and the worker has warned (log and
 * {@code bmadflow_history_limit_warnings_total}) because it passed half of each; and on a server
 * whose blob limit is half the largest payload, bmadflow refuses the payload itself (the project
 * fails, non-retryably, naming the payload, its size and the limit) where a worker that does not
 * know the limit has its project terminated by the server. And on a server that suggests
 * continue-as-new early ({@code limit.historyCount.suggestContinueAsNew}), the implementation phase
 * continues as new between stories and the project ends as the uninterrupted one did. Every history
 * replays (the fixtures check it before they stop their servers).
 */
class DevServerLimitsTest {
  private static final String PROJECT = "limits";

  @TempDir static Path dataDir;
  static long historyBytes;
  static long historyEvents;
  static long largestPayload;
  static Map<String, Object> finalState;

  @BeforeAll
  static void measureOnDefaultLimits() throws Exception {
    try (StackFixture stack = DevServerFixture.start(dataDir.resolve("defaults"));
        BmadflowMetrics metrics = BmadflowMetrics.start("127.0.0.1", 0);
        BmadflowWorker worker = metricsWorker(stack, metrics)) {
      stack.start(PROJECT, null);
      ProjectSnapshot end = stack.await(PROJECT).finalState();
      assertEquals(ProjectSnapshot.COMPLETE, end.phase());
      finalState = Outcomes.withoutCheckpoints(end);
      DescribeWorkflowExecutionResponse d = describe(stack, PROJECT);
      historyBytes = d.getWorkflowExecutionInfo().getHistorySizeBytes();
      historyEvents = d.getWorkflowExecutionInfo().getHistoryLength();
      largestPayload = stack.temporal.client().fetchHistory(ProjectIds.workflowId(PROJECT)).getEvents().stream()
          .mapToLong(DevServerLimitsTest::largestPayloads).max().orElseThrow();
      assertTrue(historyBytes > 0 && historyEvents > 0 && largestPayload > 0, historyBytes + " " + historyEvents);
      // Far below the default limits, nothing is warned of.
      assertFalse(metrics.scrape().contains("bmadflow_history_limit_warnings_total"), metrics.scrape());
    }
  }

  @Test
  void aHistoryPastHalfTheLimitsIsWarnedOfAndTheProjectStillCompletes() throws Exception {
    long bytesLimit = historyBytes * 3 / 2;
    long eventsLimit = historyEvents * 3 / 2;
    try (StackFixture stack = DevServerFixture.start(dataDir.resolve("history"), Map.of(
            TemporalLimits.HISTORY_BYTES_VARIABLE, Long.toString(bytesLimit),
            TemporalLimits.HISTORY_EVENTS_VARIABLE, Long.toString(eventsLimit)));
        BmadflowMetrics metrics = BmadflowMetrics.start("127.0.0.1", 0);
        BmadflowWorker worker = metricsWorker(stack, metrics)) {
      assertEquals(new TemporalLimits(TemporalLimits.DEFAULTS.blobBytes(), bytesLimit, eventsLimit), stack.temporal.limits());
      stack.start(PROJECT, null);
      assertEquals(ProjectSnapshot.COMPLETE, stack.await(PROJECT).finalState().phase());
      String scrape = metrics.scrape();
      assertEquals(1.0, warnings(scrape, "projectworkflow", "size"), scrape);
      assertEquals(1.0, warnings(scrape, "projectworkflow", "events"), scrape);
      DescribeWorkflowExecutionResponse d = describe(stack, PROJECT);
      assertTrue(d.getWorkflowExecutionInfo().getHistorySizeBytes() >= bytesLimit / 2
          && d.getWorkflowExecutionInfo().getHistorySizeBytes() < bytesLimit, d.getWorkflowExecutionInfo().toString());
    }
  }

  @Test
  void aPayloadOverTheBlobLimitIsRefusedByBmadflowNotTerminatedByTheServer() throws Exception {
    long blobLimit = largestPayload / 2;
    try (StackFixture stack = DevServerFixture.start(dataDir.resolve("blob"),
        Map.of(TemporalLimits.BLOB_VARIABLE, Long.toString(blobLimit)))) {
      try (BmadflowWorker worker = stack.worker("limit-aware", 0)) {
        stack.start(PROJECT, null);
        WorkflowFailedException failed = assertThrows(WorkflowFailedException.class, () -> stack.await(PROJECT));
        ApplicationFailure refusal = refusal(failed);
        assertNotNull(refusal, "no PayloadTooLarge failure in " + chain(failed));
        assertTrue(refusal.isNonRetryable());
        String message = refusal.getOriginalMessage();
        assertTrue(message.contains(String.format(Locale.ROOT, "blob size limit of %,d bytes", blobLimit)), message);
        Matcher size = Pattern.compile("payload (\\w+).* is ([0-9,]+) bytes").matcher(message);
        assertTrue(size.find(), message);
        assertTrue(Long.parseLong(size.group(2).replace(",", "")) > blobLimit, message);
        assertEquals(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
            describe(stack, PROJECT).getWorkflowExecutionInfo().getStatus());
      }
      // The same project with a worker that does not know the limit: the server ends it.
      String unaware = PROJECT + "-unaware";
      try (TemporalConnection defaults = TemporalConnection.toDevStack(stack.stack.temporalAddress(), DevStack.NAMESPACE,
              null, false, TemporalLimits.DEFAULTS);
          BmadflowWorker worker = BmadflowWorker.start(defaults, stack.store,
              new BmadflowWorker.Options("limit-unaware", stack.workspaces, new BuiltInAgentRunner(Duration.ZERO)))) {
        new BmadflowClient(defaults.client(), stack.store)
            .start(unaware, DefinitionLoader.load(DefinitionLoader.DEFAULT).definition(), null);
        assertThrows(WorkflowFailedException.class, () -> stack.client.awaitResult(unaware, Duration.ofMinutes(3)));
        List<HistoryEvent> events = stack.temporal.client().fetchHistory(ProjectIds.workflowId(unaware)).getEvents();
        HistoryEvent last = events.get(events.size() - 1);
        assertEquals(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, last.getEventType(), last.toString());
      }
    }
  }

  @Test
  void aLongPhaseContinuesAsNewWhenTheServerSuggestsItAndEndsAsAnUninterruptedOne() throws Exception {
    long suggestAt = 60;
    try (StackFixture stack = DevServerFixture.start(dataDir.resolve("continue-as-new"), Map.of(
            TemporalLimits.DYNAMIC_CONFIG_VARIABLE, "limit.historyCount.suggestContinueAsNew=" + suggestAt));
        BmadflowWorker worker = stack.worker("continuing", 0)) {
      stack.start(PROJECT, null);
      ProjectSnapshot end = stack.await(PROJECT).finalState();
      assertEquals(ProjectSnapshot.COMPLETE, end.phase());
      assertEquals(end.stepsPlanned(), end.stepsCompleted());
      assertEquals(finalState, Outcomes.withoutCheckpoints(end));
      // The implementation phase (the story loop) ran in several runs, each below what the server suggested
      // plus one story's steps.
      String phaseId = childIds(stack, PROJECT).stream()
          .filter(id -> id.startsWith(ProjectIds.phaseWorkflowId(PROJECT, "implementation"))).findFirst().orElseThrow();
      List<HistoryEvent> newest = stack.temporal.client().fetchHistory(phaseId).getEvents();
      String previous = newest.get(0).getWorkflowExecutionStartedEventAttributes().getContinuedExecutionRunId();
      assertFalse(previous.isEmpty(), "the implementation phase did not continue as new");
      var firstRun = stack.temporal.client().fetchHistory(phaseId, previous);
      List<HistoryEvent> first = firstRun.getEvents();
      assertEquals(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, first.get(first.size() - 1).getEventType());
      String recordTo = System.getProperty("bmadflow.recordHistories");
      if (recordTo != null) {
        // Refreshes src/test/resources/histories/ (see RecordedHistoriesTest): both runs of a phase that continued as new.
        java.nio.file.Files.writeString(Path.of(recordTo).resolve("continued-phase-implementation-run1.json"),
            firstRun.toJson(true));
        java.nio.file.Files.writeString(Path.of(recordTo).resolve("continued-phase-implementation-run2.json"),
            stack.temporal.client().fetchHistory(phaseId).toJson(true));
      }
    }
  }

  /** The child workflow ids every run of the project started (the project continues as new between phases). */
  private static List<String> childIds(StackFixture stack, String project) {
    List<String> ids = new java.util.ArrayList<>();
    String run = "";
    do {
      var client = stack.temporal.client();
      List<HistoryEvent> events = (run.isEmpty() ? client.fetchHistory(ProjectIds.workflowId(project))
          : client.fetchHistory(ProjectIds.workflowId(project), run)).getEvents();
      events.stream().filter(HistoryEvent::hasStartChildWorkflowExecutionInitiatedEventAttributes)
          .map(e -> e.getStartChildWorkflowExecutionInitiatedEventAttributes().getWorkflowId()).forEach(ids::add);
      run = events.get(0).getWorkflowExecutionStartedEventAttributes().getContinuedExecutionRunId();
    } while (!run.isEmpty());
    return ids;
  }

  private static BmadflowWorker metricsWorker(StackFixture stack, BmadflowMetrics metrics) {
    return BmadflowWorker.start(stack.temporal, stack.store, new BmadflowWorker.Options("limits-worker", stack.workspaces,
        new BuiltInAgentRunner(Duration.ZERO), metrics, null).withAllowedWorkspaceRoots(List.of(stack.allowedWorkspaces)));
  }

  private static DescribeWorkflowExecutionResponse describe(StackFixture stack, String project) {
    return stack.temporal.service().blockingStub().describeWorkflowExecution(DescribeWorkflowExecutionRequest.newBuilder()
        .setNamespace(stack.temporal.namespace())
        .setExecution(WorkflowExecution.newBuilder().setWorkflowId(ProjectIds.workflowId(project))).build());
  }

  /** The value of {@code bmadflow_history_limit_warnings_total} for a workflow type and kind, 0 when absent. */
  private static double warnings(String scrape, String type, String kind) {
    for (String line : scrape.lines().toList()) {
      if (line.startsWith("bmadflow_history_limit_warnings_total{") && line.contains("workflow_type=\"" + type + "\"")
          && line.contains("kind=\"" + kind + "\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  private static ApplicationFailure refusal(Throwable t) {
    for (; t != null; t = t.getCause()) {
      if (t instanceof ApplicationFailure af && PayloadLimitDataConverter.TYPE.equals(af.getType())) {
        return af;
      }
    }
    return null;
  }

  private static String chain(Throwable t) {
    StringBuilder s = new StringBuilder();
    for (; t != null; t = t.getCause()) {
      s.append(" <- ").append(t);
    }
    return s.toString();
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
      for (Object o : f.getKey().isRepeated() ? (List<?>) f.getValue() : List.of(f.getValue())) {
        max = Math.max(max, largestPayloads((Message) o));
      }
    }
    return max;
  }
}
