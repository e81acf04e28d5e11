package io.bmadflow.workflows.project;

import io.bmadflow.workflows.SearchAttributes;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.phase.PhaseWorkflow;
import io.temporal.common.SearchAttributeUpdate;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.SignalExternalWorkflowException;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The commands the project workflow's handlers ask for: messages to the running phase and
 * search-attribute upserts, sent by a coroutine of the main method, never by a handler.
 *
 * <p>Why: when a signal and an update arrive in one workflow task, the update's acceptance is
 * recorded before that task's commands, and on replay a command a signal handler sent lands before
 * it (TMPRL1100); see the determinism rules in {@code package-info.java}. Histories from before
 * the replay-safe core sent them at once, from the handler, and replay that way.
 */
final class ProjectOutbox {
  /** A message for the phase that was running when a handler asked for it. */
  private record PhaseMessage(String phaseWorkflowId, Consumer<PhaseWorkflow> message) {}

  private final ProjectState state;
  private final ProjectVersions versions;
  private final List<PhaseMessage> queued = new ArrayList<>();
  private boolean searchAttributesStale;
  private String runningPhase;

  ProjectOutbox(ProjectState state, ProjectVersions versions) {
    this.state = state;
    this.versions = versions;
  }

  /** Starts the sending coroutine; call it once from the main method. */
  void start() {
    if (!versions.legacy()) {
      Async.procedure(this::send);
    }
  }

  /** The workflow id of the phase running now, or null between phases. */
  String runningPhase() {
    return runningPhase;
  }

  void setRunningPhase(String phaseWorkflowId) {
    runningPhase = phaseWorkflowId;
  }

  /** Whether every message to a phase asked for was sent (an upsert may still be due). */
  boolean messagesSent() {
    return queued.isEmpty();
  }

  /** Tells the running phase something, if a phase runs; a phase that finished meanwhile is not an error. */
  void tellPhase(Consumer<PhaseWorkflow> message) {
    if (runningPhase == null) {
      return;
    }
    PhaseMessage m = new PhaseMessage(runningPhase, message);
    if (versions.legacy()) {
      deliver(m);
    } else {
      queued.add(m);
    }
  }

  /** After a handler changed what the search attributes show. */
  void searchAttributesChanged() {
    if (versions.legacy()) {
      writeSearchAttributes();
    } else {
      searchAttributesStale = true;
    }
  }

  /** Upserts the search attributes now, when the project was started with them: for the main method and its coroutines. */
  void writeSearchAttributes() {
    if (!versions.searchAttributes() || !Workflow.getTypedSearchAttributes().containsKey(SearchAttributes.PROJECT)) {
      return;
    }
    String phase = state.phase();
    String status = state.pendingGate() != null ? "waiting-for-operator" : state.paused() ? "paused"
        : ProjectSnapshot.COMPLETE.equals(phase) ? "complete" : "running";
    List<SearchAttributeUpdate<?>> updates = new ArrayList<>();
    updates.add(SearchAttributes.PHASE.valueSet(phase));
    updates.add(SearchAttributes.STATUS.valueSet(status));
    if (state.step() != null) {
      updates.add(SearchAttributes.STEP.valueSet(state.step()));
    }
    CheckpointRef last = state.lastCheckpoint();
    if (last != null) {
      updates.add(SearchAttributes.LAST_CHECKPOINT.valueSet(last.checkpointId()));
    }
    Workflow.upsertTypedSearchAttributes(updates.toArray(new SearchAttributeUpdate<?>[0]));
  }

  /** The coroutine: sends the queued messages in order, then the search attributes they made stale. */
  private void send() {
    while (true) {
      Workflow.await(() -> !queued.isEmpty() || searchAttributesStale);
      while (!queued.isEmpty()) {
        deliver(queued.remove(0));
      }
      if (searchAttributesStale) {
        searchAttributesStale = false;
        writeSearchAttributes();
      }
    }
  }

  private static void deliver(PhaseMessage m) {
    try {
      m.message().accept(Workflow.newExternalWorkflowStub(PhaseWorkflow.class, m.phaseWorkflowId()));
    } catch (ApplicationFailure | SignalExternalWorkflowException phaseNotRunning) {
      // The phase finished: the next one starts from the project's state.
    }
  }
}
