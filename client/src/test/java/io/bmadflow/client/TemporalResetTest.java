package io.bmadflow.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.client.TemporalReset.Outcome;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.ResetReapplyExcludeType;
import io.temporal.api.errordetails.v1.NamespaceNotFoundFailure;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.api.workflowservice.v1.GetSystemInfoResponse;
import io.temporal.api.workflowservice.v1.ResetWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.ResetWorkflowExecutionResponse;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import io.temporal.serviceclient.StatusUtils;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link TemporalReset} against a gRPC double of Temporal's WorkflowService, served over a real
 * socket so the SDK's stubs and their interceptors run as they would against a cluster.
 */
class TemporalResetTest {
  private static final String NAMESPACE = "bmadflow-test";
  private static final String WORKFLOW_ID = "bmad-project-alpha";
  private static final String RUN_ID = "5f0c8a4e-0000-4000-8000-000000000001";
  private static final long EVENT_ID = 42;
  private static final String REASON = "bmadflow reset to checkpoint cp-2026-01-01T00-00-00Z-0001";
  private static final String REQUEST_ID = "reset-cp-2026-01-01T00-00-00Z-0001-5f0c8a4e";
  private static final String NEW_RUN_ID = "9b1d7e2a-0000-4000-8000-000000000002";

  private static final FakeWorkflowService temporal = new FakeWorkflowService();
  private static final List<String> calls = new CopyOnWriteArrayList<>();
  private static Server server;

  private WorkflowServiceStubs service;
  private TemporalReset reset;

  @BeforeAll
  static void startServer() throws Exception {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(ServerInterceptors.intercept(temporal, new CallRecorder()))
        .build()
        .start();
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @BeforeEach
  void connect() {
    temporal.resets.clear();
    temporal.failure = null;
    calls.clear();
    service = WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget("127.0.0.1:" + server.getPort()).build());
    reset = new TemporalReset(service, NAMESPACE);
  }

  @AfterEach
  void disconnect() {
    service.shutdownNow();
    service.awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void sendsExactlyTheGivenResetPointAndReturnsTheNewRun() {
    Outcome outcome = reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, REASON, REQUEST_ID);

    assertEquals(Outcome.Kind.RESET, outcome.kind());
    assertEquals(NEW_RUN_ID, outcome.newRunId());
    assertTrue(outcome.message().contains(NEW_RUN_ID), outcome.message());
    ResetWorkflowExecutionRequest expected = ResetWorkflowExecutionRequest.newBuilder()
        .setNamespace(NAMESPACE)
        .setWorkflowExecution(WorkflowExecution.newBuilder().setWorkflowId(WORKFLOW_ID).setRunId(RUN_ID))
        .setReason(REASON)
        .setWorkflowTaskFinishEventId(EVENT_ID)
        .setRequestId(REQUEST_ID)
        // Back exactly to the checkpoint: signals and updates after it (step reports of the old
        // phase, operator updates) are not replayed on the new run.
        .addResetReapplyExcludeTypes(ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL)
        .addResetReapplyExcludeTypes(ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE)
        .build();
    // Whole-message equality: every field is the given one and nothing else is set (the reapply
    // policy stays the server's default, no identity, no post-reset operations).
    assertEquals(List.of(expected), temporal.resets);
    ResetWorkflowExecutionRequest sent = temporal.resets.get(0);
    assertEquals(NAMESPACE, sent.getNamespace());
    assertEquals(WORKFLOW_ID, sent.getWorkflowExecution().getWorkflowId());
    assertEquals(RUN_ID, sent.getWorkflowExecution().getRunId());
    assertEquals(EVENT_ID, sent.getWorkflowTaskFinishEventId());
    assertEquals(REASON, sent.getReason());
    assertEquals(REQUEST_ID, sent.getRequestId());
    // The stubs ask for the server's capabilities before their first call, then reset once.
    assertEquals(List.of(
        WorkflowServiceGrpc.getGetSystemInfoMethod().getFullMethodName(),
        WorkflowServiceGrpc.getResetWorkflowExecutionMethod().getFullMethodName()), calls);
  }

  @Test
  void aServerWithoutResetIsUnsupported() {
    temporal.failure = Status.UNIMPLEMENTED
        .withDescription("Method temporal.api.workflowservice.v1.WorkflowService/ResetWorkflowExecution is unimplemented")
        .asRuntimeException();

    Outcome outcome = reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, REASON, REQUEST_ID);

    assertEquals(Outcome.Kind.UNSUPPORTED, outcome.kind());
    assertNull(outcome.newRunId());
    assertTrue(outcome.message().contains("recover cold"), outcome.message());
    assertEquals(1, temporal.resets.size());
  }

  @Test
  void aRunTemporalNoLongerHasIsHistoryGone() {
    temporal.failure = Status.NOT_FOUND.withDescription("workflow execution not found").asRuntimeException();

    Outcome outcome = reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, REASON, REQUEST_ID);

    assertEquals(Outcome.Kind.HISTORY_GONE, outcome.kind());
    assertNull(outcome.newRunId());
    assertTrue(outcome.message().contains(RUN_ID), outcome.message());
    assertTrue(outcome.message().contains("workflow execution not found"), outcome.message());
  }

  @Test
  void aMissingNamespaceIsAnErrorNotAGoneHistory() {
    temporal.failure = StatusUtils.newException(
        Status.NOT_FOUND.withDescription("Namespace bmadflow-test is not found."),
        NamespaceNotFoundFailure.newBuilder().setNamespace(NAMESPACE).build(),
        NamespaceNotFoundFailure.getDescriptor());

    BmadflowException e = assertThrows(BmadflowException.class,
        () -> reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, REASON, REQUEST_ID));

    assertTrue(e.getMessage().contains("Namespace bmadflow-test is not found."), e.getMessage());
    assertTrue(e.getMessage().contains("TEMPORAL_NAMESPACE"), e.getMessage());
  }

  @Test
  void aRefusedEventIdFailsNamingItAndTheServersReason() {
    String description = "Workflow task finish ID must be > 1 && <= workflow last event ID.";
    temporal.failure = Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();

    BmadflowException e = assertThrows(BmadflowException.class,
        () -> reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, REASON, REQUEST_ID));

    String message = e.getMessage();
    assertTrue(message.contains("event " + EVENT_ID), message);
    assertTrue(message.contains(description), message);
    assertTrue(message.contains(WORKFLOW_ID) && message.contains(RUN_ID), message);
    assertTrue(message.contains("INVALID_ARGUMENT"), message);
    assertEquals(-1, message.indexOf('\n'), "one line: " + message);
    StatusRuntimeException cause = assertInstanceOf(StatusRuntimeException.class, e.getCause());
    assertEquals(Status.Code.INVALID_ARGUMENT, cause.getStatus().getCode());
  }

  @Test
  void otherServerFailuresAreErrorsWithTheServersReason() {
    temporal.failure = Status.PERMISSION_DENIED.withDescription("Request unauthorized.").asRuntimeException();

    BmadflowException e = assertThrows(BmadflowException.class,
        () -> reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, REASON, REQUEST_ID));

    assertTrue(e.getMessage().contains("PERMISSION_DENIED: Request unauthorized."), e.getMessage());
    assertTrue(e.getMessage().contains("event " + EVENT_ID), e.getMessage());
  }

  @Test
  void invalidInputsAreRefusedWithoutCallingTheServer() {
    assertRefused(() -> reset.reset(null, RUN_ID, EVENT_ID, REASON, REQUEST_ID), "workflow id");
    assertRefused(() -> reset.reset(" ", RUN_ID, EVENT_ID, REASON, REQUEST_ID), "workflow id");
    assertRefused(() -> reset.reset(WORKFLOW_ID, null, EVENT_ID, REASON, REQUEST_ID), "run id");
    assertRefused(() -> reset.reset(WORKFLOW_ID, "", EVENT_ID, REASON, REQUEST_ID), "run id");
    assertRefused(() -> reset.reset(WORKFLOW_ID, RUN_ID, 2, REASON, REQUEST_ID), "event id 2");
    assertRefused(() -> reset.reset(WORKFLOW_ID, RUN_ID, 0, REASON, REQUEST_ID), "event id 0");
    assertRefused(() -> reset.reset(WORKFLOW_ID, RUN_ID, -4, REASON, REQUEST_ID), "event id -4");
    assertRefused(() -> reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, null, REQUEST_ID), "reason");
    assertRefused(() -> reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, "\t", REQUEST_ID), "reason");
    assertRefused(() -> reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, REASON, null), "request id");
    assertRefused(() -> reset.reset(WORKFLOW_ID, RUN_ID, EVENT_ID, REASON, ""), "request id");
    assertThrows(IllegalArgumentException.class, () -> new TemporalReset(service, " "));

    assertEquals(List.of(), calls, "the server saw no call at all");
    assertEquals(List.of(), temporal.resets);
  }

  @Test
  void theEarliestWorkflowTaskStartedIsAcceptedAsAResetPoint() {
    Outcome outcome = reset.reset(WORKFLOW_ID, RUN_ID, TemporalReset.MIN_EVENT_ID, REASON, REQUEST_ID);

    assertEquals(Outcome.Kind.RESET, outcome.kind());
    assertEquals(3, temporal.resets.get(0).getWorkflowTaskFinishEventId());
  }

  private static void assertRefused(org.junit.jupiter.api.function.Executable call, String named) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().contains(named), e.getMessage());
  }

  /** Temporal's WorkflowService as far as a reset needs it; records what it was sent. */
  private static final class FakeWorkflowService extends WorkflowServiceGrpc.WorkflowServiceImplBase {
    final List<ResetWorkflowExecutionRequest> resets = new CopyOnWriteArrayList<>();
    volatile StatusRuntimeException failure;

    /** The SDK's stubs ask for the server's capabilities before their first call; a real server answers. */
    @Override
    public void getSystemInfo(GetSystemInfoRequest request, StreamObserver<GetSystemInfoResponse> response) {
      response.onNext(GetSystemInfoResponse.newBuilder().setServerVersion("1.29.0-double").build());
      response.onCompleted();
    }

    @Override
    public void resetWorkflowExecution(
        ResetWorkflowExecutionRequest request, StreamObserver<ResetWorkflowExecutionResponse> response) {
      resets.add(request);
      if (failure != null) {
        response.onError(failure);
        return;
      }
      response.onNext(ResetWorkflowExecutionResponse.newBuilder().setRunId(NEW_RUN_ID).build());
      response.onCompleted();
    }
  }

  /** Records the name of every method called on the server, whatever it is. */
  private static final class CallRecorder implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      calls.add(call.getMethodDescriptor().getFullMethodName());
      return next.startCall(call, headers);
    }
  }
}
