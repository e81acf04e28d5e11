package io.bmadflow.workflows.project;

import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.checkpoint.CapturedCheckpoint;
import io.bmadflow.workflows.checkpoint.CheckpointActivities;
import io.bmadflow.workflows.checkpoint.CheckpointEvent;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.checkpoint.CheckpointPolicy;
import io.bmadflow.workflows.checkpoint.CheckpointPriority;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.CheckpointRequest;
import io.bmadflow.workflows.checkpoint.CheckpointTrigger;
import io.bmadflow.workflows.checkpoint.CheckpointType;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.checkpoint.NotificationActivities;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;

/**
 * Takes a project's checkpoints: the trigger queue, coalescing, the time-based trigger and the
 * creation pipeline (capture, validate, publish, verify).
 *
 * <p>Anything may queue a trigger ({@link #trigger}); one coroutine, started by {@link #start},
 * takes them one checkpoint at a time, so handlers never run activities themselves. Part of the
 * project workflow: the rules of {@code package-info.java} apply.
 */
final class Checkpointer {
  private static final Logger log = Workflow.getLogger(Checkpointer.class);

  /** A reason to checkpoint, waiting to be taken. */
  private record Trigger(long ticket, CheckpointType type, CheckpointTrigger trigger, CheckpointPriority priority,
      String createdBy, String reason, boolean force) {}

  private final CheckpointActivities checkpoints =
      Workflow.newActivityStub(CheckpointActivities.class, ActivityProfiles.checkpointIo());
  private final CheckpointActivities validation =
      Workflow.newActivityStub(CheckpointActivities.class, ActivityProfiles.checkpointValidation());
  private final CheckpointActivities publisher =
      Workflow.newActivityStub(CheckpointActivities.class, ActivityProfiles.checkpointPublish());
  private final NotificationActivities notifications =
      Workflow.newActivityStub(NotificationActivities.class, ActivityProfiles.notification());

  private final ProjectState state;
  private final ProjectVersions versions;
  private final CheckpointPolicy policy;
  private boolean triggersOn;
  private final ProjectRequest origin;
  private final Runnable committed;

  private final List<Trigger> pending = new ArrayList<>();
  private final Map<Long, CheckpointRef> refsByTicket = new TreeMap<>();
  private long nextTicket;
  private long doneTicket = -1;
  private boolean checkpointing;
  private int notificationsInFlight;
  private long checkpointedVersion = -1;

  /**
   * @param origin the request that started the project, without carried state: what a checkpoint
   *     records for a cold restart
   * @param committed run after each committed checkpoint (the search attributes follow it)
   */
  Checkpointer(ProjectState state, ProjectVersions versions, CheckpointPolicy policy, ProjectRequest origin,
      Runnable committed) {
    this.state = state;
    this.versions = versions;
    this.policy = policy;
    this.origin = origin;
    this.committed = committed;
  }

  /** Whether triggers and manual checkpoints exist for this project. */
  boolean triggersOn() {
    return triggersOn;
  }

  /**
   * Turns triggers and manual checkpoints on or off, once, from the main method: until then
   * (during the roster check of a legacy history) there are none.
   */
  void enable(boolean on) {
    triggersOn = on;
  }

  /** Starts the checkpoint and time-based trigger coroutines; call it once from the main method. */
  void start() {
    if (triggersOn) {
      Async.procedure(this::takeCheckpoints);
      Async.procedure(this::timeBasedTrigger);
    }
  }

  /** Whether nothing is queued, written or notified: the project may continue as new. */
  boolean idle() {
    return pending.isEmpty() && !checkpointing && notificationsInFlight == 0;
  }

  /** Waits until every notification was posted (or failed). */
  void awaitNotifications() {
    Workflow.await(() -> notificationsInFlight == 0);
  }

  /** The checkpoint of a phase transition, taken before the next phase starts. */
  void phaseTransition(String reason) {
    if (policy.off()) {
      return;
    }
    if (triggersOn) {
      awaitCheckpoint(trigger(CheckpointType.AUTOMATIC, CheckpointTrigger.PHASE_TRANSITION, CheckpointPriority.MEDIUM,
          "system", reason, true));
    } else {
      checkpoint(CheckpointType.AUTOMATIC, CheckpointTrigger.PHASE_TRANSITION, CheckpointPriority.MEDIUM, "system", reason);
    }
  }

  /** Queues an operator's checkpoint; returns its ticket for {@link #awaitCheckpoint}. */
  long manual(ManualCheckpoint request) {
    String by = request.requestedBy() == null ? "user" : request.requestedBy();
    return trigger(CheckpointType.MANUAL, request.trigger(), request.priority(), by,
        request.kind() + " checkpoint: " + (request.reason() == null ? "requested by " + by : request.reason()), true);
  }

  /** Queues what a proposal of the trigger detector asks for. */
  void propose(TriggerDetector.Proposal p) {
    trigger(p.type(), p.trigger(), p.priority(), p.createdBy(), p.reason(), false);
  }

  /** After a step was applied: queues the triggers its changes set off. */
  void afterStep(StepFinished event) {
    if (triggersOn) {
      state.detector().afterStep(event, state.snapshot()).forEach(this::propose);
    }
  }

  /** The checkpoint a ticket became, once taken: null when it was not committed or did not verify. */
  CheckpointRef awaitCheckpoint(long ticket) {
    Workflow.await(() -> doneTicket >= ticket);
    return refsByTicket.get(ticket);
  }

  /** Queues a trigger; returns its ticket. Triggers queued together become one checkpoint. */
  private long trigger(CheckpointType type, CheckpointTrigger trigger, CheckpointPriority priority, String createdBy,
      String reason, boolean force) {
    long ticket = nextTicket++;
    if (triggersOn) {
      pending.add(new Trigger(ticket, type, trigger, priority, createdBy, reason, force));
    }
    return ticket;
  }

  /**
   * Takes the queued triggers as checkpoints, one at a time: everything queued while one is
   * being written becomes the next one (coalesced, the highest priority wins, the reasons are
   * joined), and a batch is skipped when the state has not changed since the last checkpoint,
   * unless an operator or a phase transition asked for it.
   */
  private void takeCheckpoints() {
    while (true) {
      Workflow.await(() -> !pending.isEmpty());
      List<Trigger> batch = List.copyOf(pending);
      pending.clear();
      long lastTicket = batch.get(batch.size() - 1).ticket();
      boolean forced = batch.stream().anyMatch(Trigger::force);
      if (!forced && state.version() == checkpointedVersion) {
        CheckpointRef last = state.lastCheckpoint();
        batch.forEach(t -> refsByTicket.put(t.ticket(), last));
        doneTicket = lastTicket;
        continue;
      }
      Trigger lead = batch.stream().max((a, b) -> Integer.compare(rank(a), rank(b))).orElseThrow();
      CheckpointPriority priority = batch.stream().map(Trigger::priority).max(Enum::compareTo).orElseThrow();
      String reason = batch.stream().map(Trigger::reason).distinct().reduce((a, b) -> a + "; " + b).orElse("");
      checkpointing = true;
      long version = state.version();
      CheckpointRef taken;
      try {
        taken = checkpoint(lead.type(), lead.trigger(), priority, lead.createdBy(), reason);
      } catch (ApplicationFailure e) {
        if (!Failures.PAYLOAD_TOO_LARGE.equals(e.getType())) {
          throw e;
        }
        taken = refused(e);
      } finally {
        checkpointing = false;
      }
      CheckpointRef ref = taken;
      checkpointedVersion = ref == null ? checkpointedVersion : version;
      batch.forEach(t -> refsByTicket.put(t.ticket(), ref));
      doneTicket = lastTicket;
      if (ref != null && (priority == CheckpointPriority.HIGH || priority == CheckpointPriority.CRITICAL)) {
        notifyStakeholders(ref, reason);
      }
    }
  }

  /**
   * Which trigger names a coalesced checkpoint: an operator's request, then a phase transition,
   * then the highest priority. The checkpoint takes the highest priority of its batch.
   */
  private static int rank(Trigger t) {
    return (t.type() == CheckpointType.MANUAL ? 200 : 0)
        + (t.trigger() == CheckpointTrigger.PHASE_TRANSITION ? 100 : 0) + t.priority().ordinal();
  }

  /** A checkpoint after every {@code timeBasedInterval} of active work; paused time does not count. */
  private void timeBasedTrigger() {
    long remaining = policy.timeBasedInterval().toMillis();
    while (true) {
      Workflow.await(() -> !state.paused());
      long started = Workflow.currentTimeMillis();
      boolean interrupted = Workflow.await(Duration.ofMillis(remaining), state::paused);
      remaining -= Workflow.currentTimeMillis() - started;
      if (!interrupted || remaining <= 0) {
        remaining = policy.timeBasedInterval().toMillis();
        if (state.version() != checkpointedVersion) {
          trigger(CheckpointType.AUTOMATIC, CheckpointTrigger.TIME_BASED, CheckpointPriority.LOW, "system",
              policy.timeBasedInterval().toMinutes() + " minutes of active work", false);
        }
      }
    }
  }

  /** Posts the checkpoint to the webhook, in the background: a failed notification never fails a checkpoint. */
  private void notifyStakeholders(CheckpointRef ref, String reason) {
    notificationsInFlight++;
    Async.procedure(() -> {
      try {
        notifications.notifyCheckpoint(CheckpointEvent.of(state.projectId(), reason, ref));
      } catch (ActivityFailure e) {
        log.warn("project {}: checkpoint {} was not notified: {}", state.projectId(), ref.checkpointId(), e.getMessage());
      } finally {
        notificationsInFlight--;
      }
    });
  }

  /**
   * A checkpoint whose request the data converter refused for Temporal's blob size limit: it is
   * not taken (null), the project goes on, and the first refusal is logged as a risk, so an
   * operator sees it in the project's state (later ones are only logged, so refusals cannot feed
   * risk-event checkpoints that are refused in turn).
   */
  private CheckpointRef refused(ApplicationFailure e) {
    String title = "checkpoints refused: " + e.getOriginalMessage();
    log.error("project {}: checkpoint not taken: {}", state.projectId(), e.getOriginalMessage());
    if (state.snapshot().risks().stream().noneMatch(r -> r.title().startsWith("checkpoints refused: "))) {
      state.addRisk(new Risk(null, title, 5, 4, "bmadflow", null));
    }
    return null;
  }

  /** Writes one checkpoint through the pipeline; null when it was not committed or did not verify. */
  private CheckpointRef checkpoint(
      CheckpointType type, CheckpointTrigger trigger, CheckpointPriority priority, String createdBy, String reason) {
    String projectId = state.projectId();
    long now = Workflow.currentTimeMillis();
    WorkflowInfo info = Workflow.getInfo();
    CheckpointRef previous = state.lastCheckpoint();
    CheckpointRequest request =
        new CheckpointRequest(
            CheckpointIds.of(now, Workflow.randomUUID()),
            now,
            type,
            trigger,
            priority,
            createdBy,
            reason,
            info.getWorkflowId(),
            info.getRunId(),
            // The history length counts up to this workflow task's WorkflowTaskStarted event; the
            // task's WorkflowTaskCompleted event follows it: a valid ResetWorkflowExecution point.
            info.getHistoryLength() + 1,
            state.snapshot(),
            previous == null ? null : previous.checkpointId(),
            origin);
    CheckpointRef ref;
    if (versions.pipeline()) {
      // The creation pipeline, a step per activity: capture and store the content, validate it
      // read back, then commit its metadata and registry entry.
      CapturedCheckpoint captured = checkpoints.captureCheckpoint(request);
      if (!captured.alreadyCommitted()) {
        try {
          validation.validateCheckpoint(projectId, captured.checkpointId());
        } catch (ActivityFailure e) {
          log.error("project {}: checkpoint {} failed validation and is not committed: {}", projectId,
              captured.checkpointId(), e.getMessage());
          return null;
        }
      }
      ref = publisher.publishCheckpoint(request, captured);
    } else {
      ref = checkpoints.createCheckpoint(request);
    }
    if (versions.verify()) {
      // A package counts as a recovery point only once it has been read back and verified.
      try {
        checkpoints.verifyCheckpoint(projectId, ref.checkpointId());
        ref = ref.asVerified();
      } catch (ActivityFailure e) {
        log.error("project {}: checkpoint {} was committed but does not verify; it is not counted: {}", projectId,
            ref.checkpointId(), e.getMessage());
        return null;
      }
    }
    state.addCheckpoint(ref);
    committed.run();
    log.info("project {}: checkpoint {} committed ({})", projectId, ref.checkpointId(), reason);
    return ref;
  }
}
