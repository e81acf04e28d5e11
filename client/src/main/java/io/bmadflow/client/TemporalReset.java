package io.bmadflow.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.ResetReapplyExcludeType;
import io.temporal.api.errordetails.v1.NamespaceNotFoundFailure;
import io.temporal.api.workflowservice.v1.ResetWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.ResetWorkflowExecutionResponse;
import io.temporal.serviceclient.StatusUtils;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Resets a project's workflow run to the workflow task a checkpoint was taken in.
 *
 * <p>A checkpoint's metadata ({@code temporal} section) records the workflow id, the run id and
 * the id of the {@code WorkflowTaskCompleted} event of the workflow task that decided the
 * checkpoint; that event is a valid reset point. Temporal terminates the current run of the
 * workflow and starts a new run whose history is the old run's up to that event. Signals and
 * updates received after it are not reapplied: the new run is exactly where the checkpoint was
 * (the old phase's step reports and later operator updates would otherwise run again).
 *
 * <p>Where Temporal cannot reset (the server does not implement it, as Temporal's Java test server
 * of the dev stack, or the run's history is gone), {@link #reset} says so in its {@link Outcome}
 * and the caller falls back to a cold recovery from the checkpoint package. Any other failure is
 * a {@link BmadflowException}.
 */
public final class TemporalReset {
  /**
   * The smallest event id a reset can target: the first {@code WorkflowTaskStarted} of a history
   * (1 is {@code WorkflowExecutionStarted}, 2 the first {@code WorkflowTaskScheduled}). Temporal
   * accepts the id of a {@code WorkflowTaskCompleted}, {@code WorkflowTaskTimedOut},
   * {@code WorkflowTaskFailed} or {@code WorkflowTaskStarted} event; a checkpoint records a
   * {@code WorkflowTaskCompleted}, so 4 or later.
   */
  public static final long MIN_EVENT_ID = 3;

  /** How long a reset may take: the server rebuilds the run's state from its history. */
  private static final long DEADLINE_SECONDS = 30;

  private final WorkflowServiceStubs service;
  private final String namespace;

  /**
   * @param service the connection to Temporal, such as {@code TemporalConnection.service()}; not
   *     closed by this class
   * @param namespace the namespace of the workflow, such as {@code TemporalConnection.namespace()}
   */
  public TemporalReset(WorkflowServiceStubs service, String namespace) {
    this.service = Objects.requireNonNull(service, "service");
    if (namespace == null || namespace.isBlank()) {
      throw new IllegalArgumentException("Temporal reset: the namespace is blank; check TEMPORAL_NAMESPACE");
    }
    this.namespace = namespace;
  }

  /**
   * The result of {@link #reset}.
   *
   * @param kind what happened
   * @param newRunId the run Temporal started, for {@link Kind#RESET}; null otherwise
   * @param message one line for a human saying what happened and, where Temporal could not reset,
   *     what to do
   */
  public record Outcome(Kind kind, String newRunId, String message) {
    public Outcome {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(message, "message");
      if ((kind == Kind.RESET) != (newRunId != null)) {
        throw new IllegalArgumentException("a new run id comes with RESET and only with it: " + kind + ", " + newRunId);
      }
    }

    /** What a reset request came to. */
    public enum Kind {
      /** Temporal reset the run; {@link Outcome#newRunId()} is the new run. */
      RESET,
      /** The server does not implement reset (Temporal's Java test server); recover cold. */
      UNSUPPORTED,
      /** The run no longer exists (retention passed, or the cluster was lost); recover cold. */
      HISTORY_GONE
    }
  }

  /**
   * Resets run {@code runId} of workflow {@code workflowId} to event {@code eventId}.
   *
   * <p>The inputs are checked before anything is sent. {@code requestId} makes the call
   * idempotent: while the run a reset created is the workflow's current run, Temporal answers a
   * repeated request with the same id with that run instead of resetting again. A caller derives
   * it from what it resets (for example the checkpoint id and the run id) and can then retry a
   * call that timed out.
   *
   * @param workflowId the workflow, non-blank
   * @param runId the run the checkpoint was taken in, non-blank (Temporal would otherwise reset
   *     whatever run is current)
   * @param eventId a {@code WorkflowTaskCompleted} event of that run, at least {@link #MIN_EVENT_ID}
   * @param reason why, recorded in the history of both runs; non-blank
   * @param requestId the idempotency key, non-blank
   * @return {@link Outcome.Kind#RESET} with the new run id, or {@link Outcome.Kind#UNSUPPORTED}
   *     or {@link Outcome.Kind#HISTORY_GONE} when the caller should recover cold
   * @throws IllegalArgumentException when an input is invalid (nothing was sent)
   * @throws BmadflowException when Temporal refused or failed the reset for another reason (a bad
   *     event id, the server unreachable, no permission, ...)
   */
  public Outcome reset(String workflowId, String runId, long eventId, String reason, String requestId) {
    String what = describe(workflowId, runId, eventId);
    requireNonBlank(workflowId, "workflow id", what);
    requireNonBlank(runId, "run id", what);
    if (eventId < MIN_EVENT_ID) {
      throw new IllegalArgumentException(what + ": event id " + eventId + " cannot be a reset point (the earliest is "
          + MIN_EVENT_ID + ", the first WorkflowTaskStarted; a checkpoint records a WorkflowTaskCompleted)");
    }
    requireNonBlank(reason, "reason", what);
    requireNonBlank(requestId, "request id", what);

    ResetWorkflowExecutionRequest request = ResetWorkflowExecutionRequest.newBuilder()
        .setNamespace(namespace)
        .setWorkflowExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(runId))
        .setReason(reason)
        .setWorkflowTaskFinishEventId(eventId)
        .setRequestId(requestId)
        // Back exactly to the checkpoint: signals and updates after it (step reports of the old
        // phase, operator updates) are not replayed on the new run.
        .addResetReapplyExcludeTypes(ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL)
        .addResetReapplyExcludeTypes(ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE)
        .build();
    ResetWorkflowExecutionResponse response;
    try {
      response = service.blockingStub()
          .withDeadlineAfter(DEADLINE_SECONDS, TimeUnit.SECONDS)
          .resetWorkflowExecution(request);
    } catch (StatusRuntimeException e) {
      return failed(what, e);
    }
    return new Outcome(Outcome.Kind.RESET, response.getRunId(),
        "workflow " + workflowId + " reset from run " + runId + " to event " + eventId + "; new run " + response.getRunId());
  }

  private Outcome failed(String what, StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    String description = e.getStatus().getDescription();
    String server = code + (description != null ? ": " + description.replaceAll("\\s*\\R\\s*", " ") : "");
    if (code == Status.Code.UNIMPLEMENTED) {
      return new Outcome(Outcome.Kind.UNSUPPORTED, null,
          what + ": this Temporal server cannot reset workflows (" + server
              + "; the dev stack's test server cannot); recover cold from the checkpoint package instead");
    }
    if (code == Status.Code.NOT_FOUND && !StatusUtils.hasFailure(e, NamespaceNotFoundFailure.class)) {
      return new Outcome(Outcome.Kind.HISTORY_GONE, null,
          what + ": Temporal no longer has this run (" + server
              + "; its retention passed or the cluster was replaced); recover cold from the checkpoint package instead");
    }
    throw new BmadflowException(what + " failed (" + server + ")" + hint(code), e);
  }

  private String hint(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT -> "; most likely the event is not a workflow task event of that run, so the"
          + " checkpoint's Temporal reference is wrong: use another checkpoint or recover cold";
      case NOT_FOUND -> "; namespace " + namespace + " does not exist: check TEMPORAL_NAMESPACE";
      case UNAVAILABLE -> "; check TEMPORAL_ADDRESS and that the server is running, then retry";
      case DEADLINE_EXCEEDED -> "; the reset may still complete: retry with the same request id, which does not"
          + " reset twice";
      case PERMISSION_DENIED, UNAUTHENTICATED -> "; check TEMPORAL_API_KEY or the TLS certificate and the"
          + " permissions on namespace " + namespace;
      default -> "";
    };
  }

  private String describe(String workflowId, String runId, long eventId) {
    return "Temporal reset of workflow " + workflowId + " run " + runId + " to event " + eventId
        + " in namespace " + namespace;
  }

  private static void requireNonBlank(String value, String name, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + ": the " + name + " is blank");
    }
  }
}
