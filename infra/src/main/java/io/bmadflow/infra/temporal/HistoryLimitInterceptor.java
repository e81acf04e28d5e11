package io.bmadflow.infra.temporal;

import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowOutboundCallsInterceptorBase;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * Warns once per workflow run when its history reaches half the server's limit, in bytes or in
 * events ({@link TemporalLimits#historyBytesWarning()}, {@link TemporalLimits#historyEventsWarning()}):
 * a log line at WARN and a {@link Warning} to the listener (the worker counts it in
 * {@code bmadflow_history_limit_warnings_total}, which an alert watches).
 *
 * <p>It looks at {@code Workflow.getInfo().getHistorySize()} and {@code getHistoryLength()} (the
 * history as of the workflow task being run) each time a workflow schedules an activity or a child
 * workflow, signals another workflow or continues as new. It adds no command and no marker, so it
 * changes no history and needs no version; during replay it stays silent (the warning was given
 * when the history was first made).
 */
public final class HistoryLimitInterceptor extends WorkerInterceptorBase {
  /** What reached half its limit. */
  public enum Kind {
    SIZE, EVENTS;

    /** The metric tag value: {@code size} or {@code events}. */
    public String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** One warning: a run whose history reached {@code value}, half of {@code limit} or more. */
  public record Warning(String workflowType, String workflowId, String runId, Kind kind, long value, long limit) {}

  private final TemporalLimits limits;
  private final Consumer<Warning> listener;

  /** @param listener told of each warning (not during replay), or null */
  public HistoryLimitInterceptor(TemporalLimits limits, Consumer<Warning> listener) {
    this.limits = limits;
    this.listener = listener == null ? w -> { } : listener;
  }

  @Override
  public WorkflowInboundCallsInterceptor interceptWorkflow(WorkflowInboundCallsInterceptor next) {
    return new WorkflowInboundCallsInterceptorBase(next) {
      @Override
      public void init(WorkflowOutboundCallsInterceptor outbound) {
        super.init(new Watch(outbound));
      }
    };
  }

  /** One run's watch: each kind warns once. */
  private final class Watch extends WorkflowOutboundCallsInterceptorBase {
    private boolean sizeWarned;
    private boolean eventsWarned;

    Watch(WorkflowOutboundCallsInterceptor next) {
      super(next);
    }

    @Override
    public <R> ActivityOutput<R> executeActivity(ActivityInput<R> input) {
      check();
      return super.executeActivity(input);
    }

    @Override
    public <R> ChildWorkflowOutput<R> executeChildWorkflow(ChildWorkflowInput<R> input) {
      check();
      return super.executeChildWorkflow(input);
    }

    @Override
    public SignalExternalOutput signalExternalWorkflow(SignalExternalInput input) {
      check();
      return super.signalExternalWorkflow(input);
    }

    @Override
    public void continueAsNew(ContinueAsNewInput input) {
      check();
      super.continueAsNew(input);
    }

    private void check() {
      WorkflowInfo info = Workflow.getInfo();
      if (!sizeWarned && info.getHistorySize() >= limits.historyBytesWarning()) {
        sizeWarned = true;
        warn(info, Kind.SIZE, info.getHistorySize(), limits.historyBytes(), "bytes");
      }
      if (!eventsWarned && info.getHistoryLength() >= limits.historyEventsWarning()) {
        eventsWarned = true;
        warn(info, Kind.EVENTS, info.getHistoryLength(), limits.historyEvents(), "events");
      }
    }

    private void warn(WorkflowInfo info, Kind kind, long value, long limit, String unit) {
      if (Workflow.isReplaying()) {
        return;
      }
      Logger log = Workflow.getLogger(HistoryLimitInterceptor.class);
      log.warn(String.format(Locale.ROOT,
          "workflow %s %s (run %s): history reached %,d %s, half or more of the server's limit of %,d %s at which it"
              + " terminates the run; this run should continue as new soon",
          info.getWorkflowType(), info.getWorkflowId(), info.getRunId(), value, unit, limit, unit));
      listener.accept(new Warning(info.getWorkflowType(), info.getWorkflowId(), info.getRunId(), kind, value, limit));
    }
  }
}
