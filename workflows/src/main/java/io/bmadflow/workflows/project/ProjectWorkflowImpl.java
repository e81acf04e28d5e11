package io.bmadflow.workflows.project;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.RosterCheck;
import io.bmadflow.workflows.checkpoint.CheckpointPolicy;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.definition.PhasePlan;
import io.bmadflow.workflows.definition.PhasePlan.PhaseSteps;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.gates.GateRecord;
import io.bmadflow.workflows.gates.OperatorDecision;
import io.bmadflow.workflows.phase.PhaseRequest;
import io.bmadflow.workflows.phase.PhaseResult;
import io.bmadflow.workflows.phase.PhaseWorkflow;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * Runs a project's phases in order and checkpoints at each transition; see {@link ProjectWorkflow}.
 *
 * <p>The parts: {@link ProjectState} holds and changes the state, {@link Checkpointer} takes the
 * checkpoints, {@link ProjectVersions} holds the version decisions. The handlers here validate
 * and delegate; the main method runs the phases. The determinism rules are in
 * {@code package-info.java}; {@code RecordedHistoriesTest} replays the recorded histories in
 * {@code worker/src/test/resources/histories/} and fails on a change that breaks them.
 */
public class ProjectWorkflowImpl implements ProjectWorkflow {
  private static final Logger log = Workflow.getLogger(ProjectWorkflowImpl.class);

  private ProjectVersions versions;
  private ProjectState state;
  /**
   * Signals delivered in the run's first workflow task, whose handlers run before the main method
   * built the state (signal-with-start, a pause sent right after start, a reset that reapplies
   * signals): applied in order once the state, checkpointer and outbox exist.
   */
  private final List<Runnable> beforeStart = new ArrayList<>();
  private Checkpointer checkpointer;
  private ProjectOutbox outbox;

  @Override
  public ProjectResult run(ProjectRequest request) {
    versions = ProjectVersions.decide(); // First: every version decision at one fixed point.
    String problem = ProjectIds.problem(request.projectId());
    if (problem != null) {
      throw ApplicationFailure.newNonRetryableFailure(problem, Failures.INVALID_INPUT);
    }
    WorkflowDefinition definition = request.definition();
    if (definition == null || definition.sequence().isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "project " + request.projectId() + ": the workflow definition has no steps", Failures.INVALID_INPUT);
    }
    List<PhaseSteps> plan = PhasePlan.of(definition);
    state = new ProjectState(request.projectId(), definition, request.workspace(),
        plan.stream().map(p -> p.phase().wire()).toList());
    CheckpointPolicy policy = request.policy() != null ? request.policy() : CheckpointPolicy.defaults();
    if (request.carried() != null) {
      state.restore(request.carried(), policy, versions.carriesTriggerMemory());
    } else {
      state.usePolicy(policy);
    }
    ProjectRequest origin = new ProjectRequest(request.projectId(), definition, request.workspace(),
        request.maxHistoryEvents(), null, 0, request.agentAttempts(), request.policy());
    outbox = new ProjectOutbox(state, versions);
    checkpointer = new Checkpointer(state, versions, policy, origin, () -> outbox.writeSearchAttributes());
    if (!versions.legacy()) {
      checkpointer.enable(!policy.off());
    }
    if (versions.rosterCheck(request.carried() != null)) {
      checkRoster();
    }
    if (versions.legacy()) {
      checkpointer.enable(versions.triggers() && !policy.off()); // Where legacy histories asked it.
    }
    checkpointer.start();
    outbox.start();
    beforeStart.forEach(Runnable::run);
    beforeStart.clear();
    int maxEvents = request.maxHistoryEvents() > 0 ? request.maxHistoryEvents() : ProjectRequest.DEFAULT_MAX_HISTORY_EVENTS;

    for (int i = request.nextPhase(); i < plan.size(); i++) {
      WorkflowInfo info = Workflow.getInfo();
      if (i > request.nextPhase() && (info.isContinueAsNewSuggested() || info.getHistoryLength() > maxEvents)) {
        awaitQuiet();
        log.info("project {}: continuing as new before phase {} ({} history events)", state.projectId(),
            plan.get(i).phase().wire(), info.getHistoryLength());
        Workflow.continueAsNew(new ProjectRequest(state.projectId(), definition, state.workspace(),
            request.maxHistoryEvents(), state.snapshot(), i, request.agentAttempts(), request.policy()));
      }
      PhaseSteps phaseSteps = plan.get(i);
      String phase = phaseSteps.phase().wire();
      state.enterPhase(phase);
      outbox.writeSearchAttributes();
      log.info("project {}: phase {} starts", state.projectId(), phase);
      PhaseResult result = runPhase(request, phaseSteps, i == request.nextPhase() && request.carried() != null);
      // Every step signal is in history before the child's completion; wait until all are applied.
      Workflow.await(() -> state.stepsIn(result.phase()).size() >= result.stepRuns());
      outbox.setRunningPhase(null);
      boolean last = i == plan.size() - 1;
      if (last) {
        state.enterPhase(ProjectSnapshot.COMPLETE);
      }
      String to = last ? ProjectSnapshot.COMPLETE : plan.get(i + 1).phase().wire();
      checkpointer.phaseTransition(
          "phase transition " + phase + " -> " + to + " (after " + phase + (last ? "" : ", before " + to) + ")");
    }
    checkpointer.awaitNotifications();
    if (!versions.legacy()) {
      Workflow.await(() -> Workflow.isEveryHandlerFinished() && outbox.messagesSent());
    }
    outbox.writeSearchAttributes();
    return new ProjectResult(state.snapshot());
  }

  /** Runs one phase as a child workflow; a phase resumed part way skips the steps its records say already ran. */
  private PhaseResult runPhase(ProjectRequest request, PhaseSteps phaseSteps, boolean resumedHere) {
    String phase = phaseSteps.phase().wire();
    String phaseWorkflowId = ProjectIds.phaseWorkflowId(state.projectId(), phase)
        + (state.runs() > 1 ? "-run" + state.runs() : "");
    outbox.setRunningPhase(phaseWorkflowId);
    PhaseWorkflow child = Workflow.newChildWorkflowStub(PhaseWorkflow.class,
        ChildWorkflowOptions.newBuilder().setWorkflowId(phaseWorkflowId).setTaskQueue(TaskQueues.ORCHESTRATION).build());
    try {
      return child.run(new PhaseRequest(state.projectId(), state.workspace(), phase, state.definition(),
          phaseSteps.stepIndexes(), state.stories(), state.flags(), state.artifacts(), state.lastAgent(), state.paused(),
          request.agentAttempts(), resumedHere ? state.stepsIn(phase) : List.of(), state.openGatesIn(phase),
          state.fallbackAgents(), versions.stepModel()));
    } catch (ChildWorkflowFailure e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "project " + state.projectId() + ": phase " + phase + " failed after step '" + state.step() + "': "
              + Failures.rootMessage(e) + ". Fix the cause, then recover from the last checkpoint", Failures.PHASE_FAILED);
    }
  }

  /** Before continue-as-new: no checkpoint queued or in flight, and (on this code) no handler or message still pending. */
  private void awaitQuiet() {
    Workflow.await(() -> checkpointer.idle() && (versions.legacy() || Workflow.isEveryHandlerFinished() && outbox.messagesSent()));
  }

  /** Refuses to start a definition whose agents no worker can run, naming them. */
  private void checkRoster() {
    WorkflowDefinition definition = state.definition();
    List<String> needed = definition.sequence().stream()
        .filter(DefinitionStep::isAgentStep)
        .map(s -> DefinitionStep.resolveAgent(s.agent()))
        .distinct()
        .sorted()
        .toList();
    AgentActivities roster = Workflow.newActivityStub(AgentActivities.class, ActivityProfiles.agentStep());
    RosterCheck check = roster.checkRoster(needed);
    if (!check.unserved().isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "project " + state.projectId() + ": no worker serves the agent(s) " + String.join(", ", check.unserved())
              + " of definition " + definition.id() + "; served: " + String.join(", ", check.served())
              + ". Configure a command for them (BMADFLOW_AGENT_COMMAND_<NAME> or BMADFLOW_AGENTS_FILE) on the workers",
          Failures.INVALID_INPUT);
    }
    state.enterPhase("starting");
  }

  // ---- queries -------------------------------------------------------------------------------

  @Override
  public ProjectSnapshot state() {
    return (state != null ? state : new ProjectState(null, null, null, List.of())).snapshot();
  }

  @Override
  public double progress() {
    return state().progress();
  }

  @Override
  public String currentStep() {
    return state == null ? null : state.step();
  }

  // ---- signals from the phases ---------------------------------------------------------------

  @Override
  public void stepFinished(StepFinished event) {
    if (checkpointer == null) {
      beforeStart.add(() -> stepFinished(event));
      return;
    }
    if (fromAnotherPhase(event.record().phase(), "stepFinished")) {
      return;
    }
    if (!state.applyStep(event)) {
      return; // A duplicate delivery; the step is already applied.
    }
    checkpointer.afterStep(event);
    if (versions.pauseResend(state.paused())) {
      forwardPause();
    }
    outbox.searchAttributesChanged();
  }

  @Override
  public void gateWaiting(GateRecord gate) {
    if (checkpointer == null) {
      beforeStart.add(() -> gateWaiting(gate));
      return;
    }
    if (fromAnotherPhase(gate.phase(), "gateWaiting")) {
      return;
    }
    state.gateWaiting(gate);
    log.warn("project {}: gate {} ({}) still fails after {} attempts; waiting for an operator to approve or waive it",
        state.projectId(), gate.gateId(), gate.kind(), gate.attempts());
    outbox.searchAttributesChanged();
  }

  /**
   * Whether a phase's signal comes from a phase other than the one running: the signal of a phase
   * run that Temporal reapplied after a reset (the default of {@code temporal workflow reset} and of
   * the Web UI's reset dialog), sent by a phase of the discarded branch of history. A phase signals
   * only while it runs (the project waits for all its signals before it moves on), so such a signal
   * is never one of this run's; it is logged and dropped, and the phase runs again and sends its own.
   */
  private boolean fromAnotherPhase(String phase, String signal) {
    if (phase != null && phase.equals(state.phase())) {
      return false;
    }
    log.warn("project {}: {} from phase {} dropped while phase {} runs (a signal reapplied after a reset)",
        state.projectId(), signal, phase, state.phase());
    return true;
  }

  // ---- operators -----------------------------------------------------------------------------

  @Override
  public void validateDecideGate(OperatorDecision decision) {
    GateRecord pending = state.pendingGate();
    if (pending == null) {
      throw new IllegalArgumentException("project " + state.projectId() + " has no gate waiting for a decision");
    }
    if (decision.gateId() != null && !decision.gateId().equals(pending.gateId())) {
      throw new IllegalArgumentException("gate " + decision.gateId() + " is not waiting; the waiting gate is " + pending.gateId());
    }
    if (!OperatorDecision.APPROVE.equals(decision.action()) && !OperatorDecision.WAIVE.equals(decision.action())) {
      throw new IllegalArgumentException("a gate decision is approve or waive, not " + decision.action());
    }
  }

  @Override
  public String decideGate(OperatorDecision decision) {
    String gateId = state.pendingGate().gateId();
    OperatorDecision decided = new OperatorDecision(gateId, decision.action(), decision.by(), decision.reason());
    if (versions.legacy()) {
      Workflow.newExternalWorkflowStub(PhaseWorkflow.class, outbox.runningPhase()).operatorDecision(decided);
    } else {
      outbox.tellPhase(phase -> phase.operatorDecision(decided));
    }
    return gateId;
  }

  @Override
  public void validateAddDecision(Decision decision) {
    if (decision == null || decision.title() == null || decision.title().isBlank()) {
      throw new IllegalArgumentException("a decision needs a title");
    }
  }

  @Override
  public String addDecision(Decision decision) {
    Decision logged = state.addDecision(decision);
    if (logged.critical() && checkpointer.triggersOn()) {
      checkpointer.propose(state.detector().forCriticalDecision(logged.title(), logged.madeBy()));
    }
    return logged.id();
  }

  @Override
  public void validateReportRisk(Risk risk) {
    if (risk == null || risk.title() == null || risk.title().isBlank()) {
      throw new IllegalArgumentException("a risk needs a title");
    }
  }

  @Override
  public String reportRisk(Risk risk) {
    Risk logged = state.addRisk(risk);
    if (checkpointer.triggersOn()) {
      state.detector().forRisk(logged, logged.reportedBy()).ifPresent(checkpointer::propose);
    }
    return logged.id();
  }

  @Override
  public void validateCreateCheckpoint(ManualCheckpoint request) {
    if (request == null || request.trigger() == null) {
      throw new IllegalArgumentException("a manual checkpoint's kind is user, experiment, milestone or emergency");
    }
    if (!checkpointer.triggersOn()) {
      throw new IllegalArgumentException("project " + state.projectId() + " was started before manual checkpoints existed");
    }
  }

  @Override
  public CheckpointRef createCheckpoint(ManualCheckpoint request) {
    CheckpointRef ref = checkpointer.awaitCheckpoint(checkpointer.manual(request));
    if (ref == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the checkpoint was written but did not verify when read back; see the worker's log", Failures.CHECKPOINT_CORRUPT);
    }
    return ref;
  }

  @Override
  public void requestCheckpoint(ManualCheckpoint request) {
    if (checkpointer == null) {
      beforeStart.add(() -> requestCheckpoint(request));
      return;
    }
    if (request != null && request.trigger() != null) {
      checkpointer.manual(request);
    }
  }

  @Override
  public void validateRestoreComponents(ComponentRestore restore) {
    if (restore == null || restore.components().isEmpty()) {
      throw new IllegalArgumentException("a restore names at least one component");
    }
    for (String component : restore.components()) {
      String problem = ComponentRestore.problem(component);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      if (component.startsWith(ComponentRestore.FILE_PREFIX)) {
        throw new IllegalArgumentException(component + " is a workspace file: files are restored on disk, not into the workflow");
      }
      if (component.startsWith(ComponentRestore.AGENT_PREFIX)
          && !restore.agents().containsKey(component.substring(ComponentRestore.AGENT_PREFIX.length()))) {
        throw new IllegalArgumentException("checkpoint " + restore.checkpointId() + " has no state for " + component);
      }
    }
  }

  @Override
  public String restoreComponents(ComponentRestore restore) {
    List<String> done = state.restoreComponents(restore);
    if (restore.components().contains(ComponentRestore.CONTEXT)) {
      outbox.tellPhase(phase -> phase.restoreContext(restore)); // Else the next phase starts from the restored context.
    }
    outbox.searchAttributesChanged();
    String summary = "restored from " + restore.checkpointId() + " by " + restore.recoveryId() + ": " + String.join("; ", done);
    log.info("project {}: {}", state.projectId(), summary);
    return summary;
  }

  @Override
  public void validateReplaceAgent(String agent) {
    String problem = ComponentRestore.problem(ComponentRestore.AGENT_PREFIX + agent);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    if (ProjectSnapshot.COMPLETE.equals(state.phase())) {
      throw new IllegalArgumentException("project " + state.projectId() + " is complete; there is no agent to replace");
    }
  }

  @Override
  public String replaceAgent(String agent) {
    boolean added = state.addFallback(agent);
    boolean phaseRunning = outbox.runningPhase() != null;
    outbox.tellPhase(phase -> phase.useFallback(agent)); // Else the next phase starts with the project's list.
    String summary = "agent " + agent + (added ? " now runs on its fallback runner" : " already ran on its fallback runner")
        + (phaseRunning ? "; its step in flight in " + state.phase() + " restarts there" : "");
    log.warn("project {}: {}", state.projectId(), summary);
    return summary;
  }

  @Override
  public void pause(String reason) {
    setPaused(true, reason);
  }

  @Override
  public void resume(String reason) {
    setPaused(false, reason);
  }

  private void setPaused(boolean value, String reason) {
    if (checkpointer == null) {
      beforeStart.add(() -> setPaused(value, reason));
      return;
    }
    if (!state.setPaused(value, reason)) {
      return;
    }
    log.info("project {} {}: {}", state.projectId(), value ? "paused" : "resumed", reason);
    forwardPause();
    outbox.searchAttributesChanged();
  }

  /**
   * Tells the running phase whether to pause. A phase that finished or has not started yet cannot
   * be told: the next phase starts with the project's flag, and a step that finishes while the
   * project is paused repeats the message, so a phase that started unaware still stops.
   */
  private void forwardPause() {
    boolean paused = state.paused();
    outbox.tellPhase(phase -> phase.setPaused(paused));
  }
}
