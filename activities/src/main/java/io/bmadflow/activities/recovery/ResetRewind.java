package io.bmadflow.activities.recovery;

import io.bmadflow.activities.Heartbeats;
import io.bmadflow.activities.StoreFailures;
import io.bmadflow.activities.Workspace;
import io.bmadflow.activities.WorkspaceGuard;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import io.bmadflow.infra.checkpoint.VerificationReport;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.recovery.RecoveryReports;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.StepFinished;
import io.bmadflow.workflows.recovery.CheckpointChoice;
import io.bmadflow.workflows.recovery.RecoveryIds;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.RestorePlan;
import io.bmadflow.workflows.recovery.StageTiming;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityInfo;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowTaskFailedCause;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import io.temporal.api.workflowservice.v1.TerminateWorkflowExecutionRequest;
import io.temporal.failure.ApplicationFailure;
import io.bmadflow.workflows.Failures;
import io.temporal.client.WorkflowClient;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewinds a project's workspace after Temporal reset its workflow: the worker's half of a reset.
 *
 * <p>A reset ({@code bmadflow reset}, {@code temporal workflow reset}, the Web UI's reset dialog)
 * gives the project a new run whose history is the old run's up to the reset point: the workflow
 * is back there, but the files the agents wrote after that point are still in the workspace, and
 * the steps after it run again on them. Workflow code cannot see a reset (its history up to the
 * reset point must replay unchanged), so the worker does it: before any activity of a project
 * touches the workspace ({@link WorkspaceGuard}), this guard asks Temporal, once per run, whether
 * the project's run was made by a reset, and if so, before anything else:
 *
 * <ol>
 *   <li>finds the reset point (the {@code WorkflowTaskFailed} event with cause
 *       {@code RESET_WORKFLOW}, the last one when the run was reset more than once) and the run
 *       whose history it forked;
 *   <li>finds the newest checkpoint of the run's own history (taken in one of the runs its
 *       history came from, at an event at or before the point where that part of the history
 *       ends) at or before the reset point;
 *   <li>when that checkpoint holds the workspace at the reset point (it was taken at the reset
 *       point's workflow task, or no step finished between the two), backs up what it will
 *       change to the bucket, writes the checkpoint's files back and removes the files it does
 *       not hold (all staged; see {@link WorkspaceRestore});
 *   <li>writes a recovery report ({@code bmadflow recovery show}): strategy {@code reset-rewind},
 *       outcome {@code recovered}, or {@code failed} naming what could not be rewound (no
 *       checkpoint at or before the reset point, steps that finished after the checkpoint, a
 *       checkpoint that does not verify), in which case the workspace is left as it is.
 * </ol>
 *
 * <p>The report's id is derived from the run, so it is also the mark that the run's rewind was
 * done: a retried activity, or another worker, finds it and does not rewind twice. A failure to
 * read Temporal or the bucket fails the activity attempt, which Temporal retries; no step runs
 * before the workspace was rewound or the report says why it was not.
 */
public final class ResetRewind implements WorkspaceGuard {
  private static final Logger log = LoggerFactory.getLogger(ResetRewind.class);
  static final String STRATEGY = "reset-rewind";
  private static final String PROJECT_WORKFLOW = "ProjectWorkflow";
  private static final String PHASE_WORKFLOW = "PhaseWorkflow";
  private static final int CACHE = 10_000;
  private static final int MAX_STEPS_LISTED = 20;

  private final WorkflowClient temporal;
  private final CheckpointStore store;
  private final String workerName;
  private final ProjectExecutions executions;
  private final ProjectWorkspaces workspaces;
  private final WorkspaceRestore restore;
  /** Project runs this worker has checked: not made by a reset, or rewound. */
  private final Set<String> checkedRuns = Collections.synchronizedSet(Collections.newSetFromMap(lru()));
  /** Phase runs to their project's run. */
  private final Map<String, String> parentRuns = Collections.synchronizedMap(lru());
  private final Map<String, Object> locks = new ConcurrentHashMap<>();

  public ResetRewind(WorkflowClient temporal, CheckpointStore store, WorkspaceRoot workspaceRoot, String workerName) {
    this.temporal = temporal;
    this.store = store;
    this.workerName = workerName;
    OpenCheckpoints checkpoints = new OpenCheckpoints(store);
    this.executions = new ProjectExecutions(temporal);
    this.workspaces = new ProjectWorkspaces(executions, workspaceRoot);
    this.restore = new WorkspaceRestore(store, checkpoints, executions, workspaces);
  }

  @Override
  public void beforeUse(String projectId) {
    ActivityInfo info = Activity.getExecutionContext().getInfo();
    String projectRun = projectRun(projectId, info);
    if (projectRun == null) {
      return;
    }
    if (PHASE_WORKFLOW.equals(info.getWorkflowType())) {
      requireCurrent(projectId, info, projectRun);
    }
    if (checkedRuns.contains(projectRun)) {
      return;
    }
    synchronized (locks.computeIfAbsent(projectId, p -> new Object())) {
      if (!checkedRuns.contains(projectRun)) {
        Heartbeats.during(() -> {
          StoreFailures.run(() -> rewindIfReset(projectId, projectRun));
          return null;
        });
        checkedRuns.add(projectRun);
      }
    }
  }

  /** The project's run an activity belongs to: its own run, or its phase's parent; null for others. */
  private String projectRun(String projectId, ActivityInfo info) {
    String projectWorkflow = ProjectIds.workflowId(projectId);
    if (PROJECT_WORKFLOW.equals(info.getWorkflowType())) {
      return projectWorkflow.equals(info.getWorkflowId()) ? info.getRunId() : null;
    }
    if (!PHASE_WORKFLOW.equals(info.getWorkflowType())) {
      return null;
    }
    String cached = parentRuns.get(info.getRunId());
    if (cached != null) {
      return cached;
    }
    WorkflowExecution parent = temporal.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
            DescribeWorkflowExecutionRequest.newBuilder()
                .setNamespace(executions.namespace())
                .setExecution(WorkflowExecution.newBuilder().setWorkflowId(info.getWorkflowId()).setRunId(info.getRunId()))
                .build())
        .getWorkflowExecutionInfo().getParentExecution();
    if (!projectWorkflow.equals(parent.getWorkflowId()) || parent.getRunId().isEmpty()) {
      return null;
    }
    parentRuns.put(info.getRunId(), parent.getRunId());
    return parent.getRunId();
  }

  /**
   * Refuses an activity of a phase whose project run was replaced (by a reset, which leaves the
   * old run's running phases running, or a restart): the workspace belongs to the new run.
   */
  private void requireCurrent(String projectId, ActivityInfo info, String projectRun) {
    String current = executions.describe(ProjectIds.workflowId(projectId)).getWorkflowExecutionInfo().getExecution().getRunId();
    if (!current.equals(projectRun)) {
      throw ApplicationFailure.newNonRetryableFailure("phase " + info.getWorkflowId() + " (run " + info.getRunId()
          + ") belongs to run " + projectRun + " of project " + projectId + ", which is no longer the project's current run ("
          + current + "; a reset or a restart replaced it): its steps do not touch the workspace any more",
          Failures.REPLACED_RUN);
    }
  }

  /**
   * Terminates the phases the reset left running: children the base run started after the reset
   * point and had not seen close. Temporal does not stop them; they would go on writing to the
   * workspace and hold their workflow ids, so the new run could not start its own phase of the
   * same name. A phase already running at the reset point ({@code keep}) is left alone: Temporal
   * (1.27 and later) reports its end to the new run.
   */
  private void retireLeftoverPhases(String workflowId, Reset reset, String runId, List<Phase> keep) {
    Map<String, String> open = new LinkedHashMap<>(); // run id -> workflow id
    scan(WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(reset.baseRunId()).build(), event -> {
      switch (event.getEventType()) {
        case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED -> {
          WorkflowExecution child = event.getChildWorkflowExecutionStartedEventAttributes().getWorkflowExecution();
          open.put(child.getRunId(), child.getWorkflowId());
        }
        case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED ->
            open.remove(event.getChildWorkflowExecutionCompletedEventAttributes().getWorkflowExecution().getRunId());
        case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED ->
            open.remove(event.getChildWorkflowExecutionFailedEventAttributes().getWorkflowExecution().getRunId());
        case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED ->
            open.remove(event.getChildWorkflowExecutionCanceledEventAttributes().getWorkflowExecution().getRunId());
        case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT ->
            open.remove(event.getChildWorkflowExecutionTimedOutEventAttributes().getWorkflowExecution().getRunId());
        case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED ->
            open.remove(event.getChildWorkflowExecutionTerminatedEventAttributes().getWorkflowExecution().getRunId());
        default -> { }
      }
      return true;
    });
    keep.forEach(phase -> open.remove(phase.runId())); // Still the new run's: its end reaches the new run.
    open.forEach((childRun, childId) -> {
      try {
        temporal.getWorkflowServiceStubs().blockingStub().terminateWorkflowExecution(
            TerminateWorkflowExecutionRequest.newBuilder()
                .setNamespace(executions.namespace())
                .setWorkflowExecution(WorkflowExecution.newBuilder().setWorkflowId(childId).setRunId(childRun))
                .setReason("left over from run " + reset.baseRunId() + " of " + workflowId + ", which was reset to event "
                    + reset.eventId() + " (new run " + runId + ")")
                .setIdentity("bmadflow worker " + workerName)
                .build());
        log.warn("{}: phase {} (run {}) of the reset run {} terminated", workflowId, childId, childRun, reset.baseRunId());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
          throw e; // Retried with the activity; NOT_FOUND: it closed by itself meanwhile.
        }
      }
    });
  }

  /** A reset of the run's history: the event that replaced the workflow task, and the run it forked. */
  record Reset(long eventId, String baseRunId, long atMillis) {}

  /** A step's report in the history: its event and label. */
  record StepSignal(long eventId, String label) {}

  /** A phase (child workflow) the run had started and not seen close: its workflow id and run. */
  record Phase(String workflowId, String runId) {}

  /**
   * What the project run's history says about resets: the resets, the step reports, and the phases
   * in flight at the last reset point (started before it and not closed by then).
   */
  record Lineage(List<Reset> resets, List<StepSignal> steps, List<Phase> inFlight) {
    Reset last() {
      return resets.get(resets.size() - 1);
    }

    /** Whether a checkpoint taken at event {@code eventId} of run {@code runId} is part of this history. */
    boolean holds(String runId, long eventId) {
      long from = 0;
      for (Reset r : resets) {
        if (r.baseRunId().equals(runId) && eventId > from && eventId <= r.eventId()) {
          return true;
        }
        from = r.eventId();
      }
      return false;
    }

    /** The steps that reported between two events. */
    List<String> stepsBetween(long after, long before) {
      return steps.stream().filter(s -> s.eventId() > after && s.eventId() < before).map(StepSignal::label).toList();
    }
  }

  private void rewindIfReset(String projectId, String runId) {
    String workflowId = ProjectIds.workflowId(projectId);
    Optional<Lineage> read = lineage(workflowId, runId);
    if (read.isEmpty()) {
      return;
    }
    Lineage lineage = read.get();
    Reset reset = lineage.last();
    retireLeftoverPhases(workflowId, reset, runId, lineage.inFlight());
    String recoveryId = RecoveryIds.of(reset.atMillis(),
        UUID.nameUUIDFromBytes(("reset-rewind:" + workflowId + "/" + runId).getBytes(StandardCharsets.UTF_8)));
    if (store.readRecoveryFile(projectId, recoveryId, RecoveryReports.JSON) != null) {
      return; // Rewound already, by this worker before a restart or by another one.
    }
    long started = System.currentTimeMillis();
    log.warn("project {}: run {} was reset to event {} of run {}; rewinding the workspace before any step runs ({})",
        projectId, runId, reset.eventId(), reset.baseRunId(), recoveryId);
    List<String> actions = new ArrayList<>();
    actions.add("Temporal reset workflow " + workflowId + " run " + reset.baseRunId() + " to event " + reset.eventId()
        + " at " + Instant.ofEpochMilli(reset.atMillis()) + "; new run " + runId);
    String outcome = RecoveryReport.RECOVERED;
    String error = null;
    CheckpointChoice choice = null;
    RestorePlan plan = null;
    String backup = "none: nothing was changed";
    String workLost = null;

    Target target = target(projectId, lineage);
    if (!lineage.inFlight().isEmpty()) {
      // Temporal resets the project's run, not its children: a phase running at the reset point
      // goes on (its end reaches the new run), or its result, when it had ended, is copied into
      // the new run. The files its later steps wrote belong to that result and must stay.
      outcome = RecoveryReport.FAILED;
      error = "the reset point (event " + reset.eventId() + ") is inside phase " + lineage.inFlight().stream()
          .map(p -> p.workflowId() + " (run " + p.runId() + ")").toList() + ", which Temporal does not reset: the"
          + " phase's steps after the reset point stand, so the workspace is left as it is (rewinding it would lose"
          + " their files). Reset to a checkpoint taken at a phase transition (its trigger is `phase_transition`)"
          + " to rewind the files too";
    } else if (target == null) {
      outcome = RecoveryReport.FAILED;
      error = "no checkpoint of this run's history was taken at or before event " + reset.eventId()
          + ": nothing to rewind the workspace to, so it keeps the files written after the reset point, and the steps"
          + " after it run again on them";
    } else {
      List<String> between = lineage.stepsBetween(target.eventId(), reset.eventId());
      VerificationReport verified = store.verify(projectId, target.summary().checkpointId());
      if (!between.isEmpty()) {
        outcome = RecoveryReport.FAILED;
        error = "the reset point (event " + reset.eventId() + ") is not a checkpoint's: the newest checkpoint before it, "
            + target.summary().checkpointId() + " (event " + target.eventId() + "), lacks the files of " + between.size()
            + " step(s) that finished between the two (" + listed(between) + "), and no checkpoint holds the workspace"
            + " at the reset point; the workspace is left as it is. Reset to a checkpoint's event"
            + " (`bmadflow checkpoint show` prints it) to rewind the files too";
      } else if (!verified.ok()) {
        outcome = RecoveryReport.FAILED;
        error = "checkpoint " + target.summary().checkpointId() + " (event " + target.eventId()
            + "), which holds the workspace at the reset point, does not verify (" + verified.failures().stream()
            .map(f -> f.path() + ": " + f.problem()).limit(5).toList() + "); the workspace is left as it is";
      } else {
        String checkpointId = target.summary().checkpointId();
        choice = choice(projectId, checkpointId, reset, target);
        RestorePlan planned = restore.planRestore(projectId, checkpointId, List.of("workspace"), null);
        List<String> changed = new ArrayList<>(planned.filesToWrite());
        changed.addAll(planned.filesNotInCheckpoint());
        if (!changed.isEmpty()) {
          backup = restore.backup(recoveryId, projectId, checkpointId, changed);
        }
        restore.restoreFiles(projectId, checkpointId, planned.filesToWrite());
        removeNewer(projectId, planned.filesNotInCheckpoint());
        List<String> done = new ArrayList<>();
        done.add(planned.filesToWrite().size() + " workspace file(s) written back from checkpoint " + checkpointId
            + ", " + planned.filesUnchanged() + " unchanged");
        if (!planned.filesNotInCheckpoint().isEmpty()) {
          done.add(planned.filesNotInCheckpoint().size() + " file(s) written after the checkpoint removed (backed up): "
              + listed(planned.filesNotInCheckpoint()));
        }
        plan = new RestorePlan(List.of("workspace"), planned.filesToWrite(), planned.filesUnchanged(), List.of(), done,
            planned.warnings());
        actions.addAll(done);
        workLost = "none: the steps after the checkpoint are after the reset point and run again";
      }
    }
    if (error != null) {
      log.error("project {}: the workspace was not rewound after the reset to event {}: {}", projectId, reset.eventId(), error);
      actions.add("workspace not rewound: " + error);
    } else {
      log.warn("project {}: workspace rewound to checkpoint {} after the reset to event {}", projectId,
          choice.checkpointId(), reset.eventId());
    }
    long finished = System.currentTimeMillis();
    RecoveryReport report = new RecoveryReport(recoveryId, projectId, "reset", STRATEGY,
        "the project's run was made by a Temporal reset: the workspace goes back to the checkpoint of the reset point",
        "temporal-reset", false, outcome, error, "worker " + workerName,
        "reset of run " + reset.baseRunId() + " to event " + reset.eventId(), null, choice, plan, workLost, backup,
        actions, List.of(), List.of(new StageTiming("rewind", finished - started, outcome, error)), started, finished,
        runId, -1);
    RecoveryReports.write(store, report);
  }

  /** The checkpoint to rewind to, with the event it records. */
  private record Target(CheckpointSummary summary, long eventId) {}

  /** The newest checkpoint of this history at or before the reset point, or null. */
  private Target target(String projectId, Lineage lineage) {
    long resetPoint = lineage.last().eventId();
    Target best = null;
    for (CheckpointSummary summary : store.list(projectId)) {
      CheckpointMetadata.TemporalReference at = store.metadata(projectId, summary.checkpointId()).temporal();
      if (at == null || at.runId() == null || at.historyEventId() > resetPoint
          || !lineage.holds(at.runId(), at.historyEventId())) {
        continue;
      }
      if (best == null || at.historyEventId() > best.eventId()) {
        best = new Target(summary, at.historyEventId());
      }
    }
    return best;
  }

  private CheckpointChoice choice(String projectId, String checkpointId, Reset reset, Target target) {
    StoredCheckpoint checkpoint = store.open(projectId, checkpointId);
    ProjectSnapshot state = checkpoint.state();
    String why = target.eventId() == reset.eventId()
        ? "taken at the reset point's workflow task (event " + reset.eventId() + ")"
        : "the newest checkpoint before the reset point (event " + target.eventId() + " of " + reset.eventId()
            + "), and no step finished between them";
    return new CheckpointChoice(checkpointId, Instant.parse(target.summary().creationTimestamp()).toEpochMilli(),
        target.summary().triggerReason(), state.phase(), state.step(), state.stepsCompleted(), why, List.of(),
        List.copyOf(new java.util.TreeSet<>(state.agents().keySet())), workspaces.of(projectId).explicit(),
        state.pausedByOperator());
  }

  private void removeNewer(String projectId, List<String> files) {
    Workspace workspace = workspaces.of(projectId).workspace();
    for (String path : files) {
      Path file = workspace.fileIfExists(path); // Never through a link: a link is no file of the workspace.
      if (file != null) {
        try {
          Files.delete(file);
        } catch (IOException e) {
          throw new UncheckedIOException("removing " + path + " from " + workspace.root() + " after the reset", e);
        }
      }
    }
  }

  /**
   * The resets and step reports in the run's history; empty when the run was not made by a reset
   * (its first event names it as the run it started, and no reset event follows).
   */
  private Optional<Lineage> lineage(String workflowId, String runId) {
    List<Reset> resets = new ArrayList<>();
    List<StepSignal> steps = new ArrayList<>();
    Map<Long, Phase> open = new LinkedHashMap<>(); // initiated event id -> phase
    List<Phase> inFlight = new ArrayList<>();
    boolean[] copied = {false};
    boolean found = scan(WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(runId).build(), event -> {
      if (event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED) {
        String original = event.getWorkflowExecutionStartedEventAttributes().getOriginalExecutionRunId();
        // The run's own start, or a reset's copy of another run's history?
        copied[0] = !original.isEmpty() && !original.equals(runId);
        return copied[0];
      }
      if (event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
          && event.getWorkflowTaskFailedEventAttributes().getCause()
              == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW) {
        resets.add(new Reset(event.getEventId(), event.getWorkflowTaskFailedEventAttributes().getBaseRunId(),
            event.getEventTime().getSeconds() * 1000 + event.getEventTime().getNanos() / 1_000_000));
        inFlight.clear();
        inFlight.addAll(open.values());
      } else if (event.getEventType() == EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) {
        var started = event.getChildWorkflowExecutionStartedEventAttributes();
        open.put(started.getInitiatedEventId(), new Phase(started.getWorkflowExecution().getWorkflowId(),
            started.getWorkflowExecution().getRunId()));
      } else if (closedChild(event) > 0) {
        open.remove(closedChild(event));
      } else if (event.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
          && "stepFinished".equals(event.getWorkflowExecutionSignaledEventAttributes().getSignalName())) {
        steps.add(new StepSignal(event.getEventId(), label(event)));
      }
      return true;
    });
    return !found || !copied[0] || resets.isEmpty() ? Optional.empty()
        : Optional.of(new Lineage(resets, steps, List.copyOf(inFlight)));
  }

  /** The initiated event id of the child a close event closes, or 0 for other events. */
  private static long closedChild(HistoryEvent event) {
    return switch (event.getEventType()) {
      case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED -> event.getChildWorkflowExecutionCompletedEventAttributes().getInitiatedEventId();
      case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED -> event.getChildWorkflowExecutionFailedEventAttributes().getInitiatedEventId();
      case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED -> event.getChildWorkflowExecutionCanceledEventAttributes().getInitiatedEventId();
      case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT -> event.getChildWorkflowExecutionTimedOutEventAttributes().getInitiatedEventId();
      case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED -> event.getChildWorkflowExecutionTerminatedEventAttributes().getInitiatedEventId();
      default -> 0;
    };
  }

  /**
   * Reads a run's history page by page, keeping nothing but what {@code visit} keeps, until
   * {@code visit} returns false; false when the run does not exist (any more).
   */
  private boolean scan(WorkflowExecution execution, java.util.function.Predicate<HistoryEvent> visit) {
    ByteString page = ByteString.EMPTY;
    boolean first = true;
    do {
      GetWorkflowExecutionHistoryResponse response;
      try {
        response = temporal.getWorkflowServiceStubs().blockingStub().getWorkflowExecutionHistory(
            GetWorkflowExecutionHistoryRequest.newBuilder()
                .setNamespace(executions.namespace())
                .setExecution(execution)
                .setNextPageToken(page)
                .setMaximumPageSize(first ? 1 : 1000) // The first event alone tells most runs apart.
                .build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
          return false;
        }
        throw e;
      }
      first = false;
      for (HistoryEvent event : response.getHistory().getEventsList()) {
        if (!visit.test(event)) {
          return true;
        }
      }
      page = response.getNextPageToken();
    } while (!page.isEmpty());
    return true;
  }

  private String label(HistoryEvent event) {
    try {
      StepFinished finished = temporal.getOptions().getDataConverter().fromPayloads(0,
          Optional.of(event.getWorkflowExecutionSignaledEventAttributes().getInput()), StepFinished.class, StepFinished.class);
      return finished == null || finished.record() == null ? "a step" : "'" + finished.record().label() + "'";
    } catch (RuntimeException unreadable) {
      return "a step (event " + event.getEventId() + ")";
    }
  }

  private static String listed(List<String> items) {
    return items.size() <= MAX_STEPS_LISTED ? String.join(", ", items)
        : String.join(", ", items.subList(0, MAX_STEPS_LISTED)) + " and " + (items.size() - MAX_STEPS_LISTED) + " more";
  }

  private static <K, V> Map<K, V> lru() {
    return new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > CACHE;
      }
    };
  }
}
