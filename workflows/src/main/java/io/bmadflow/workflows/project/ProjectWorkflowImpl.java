package io.bmadflow.workflows.project;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.SearchAttributes;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.agents.RosterCheck;
import io.bmadflow.workflows.checkpoint.CapturedCheckpoint;
import io.bmadflow.workflows.checkpoint.CheckpointActivities;
import io.bmadflow.workflows.checkpoint.CheckpointEvent;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.checkpoint.NotificationActivities;
import io.bmadflow.workflows.checkpoint.CheckpointPolicy;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.checkpoint.CheckpointPriority;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.CheckpointRequest;
import io.bmadflow.workflows.checkpoint.CheckpointTrigger;
import io.bmadflow.workflows.checkpoint.CheckpointType;
import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.definition.PhasePlan;
import io.bmadflow.workflows.definition.PhasePlan.PhaseSteps;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.gates.GateRecord;
import io.bmadflow.workflows.gates.OperatorDecision;
import io.bmadflow.workflows.phase.PhaseRequest;
import io.bmadflow.workflows.phase.PhaseResult;
import io.bmadflow.workflows.phase.PhaseWorkflow;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInfo;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;

/**
 * Runs a project's phases in order and checkpoints at each transition; see {@link ProjectWorkflow}.
 *
 * <p>Evolving this class: running projects replay their history through it, so a change that
 * adds, removes or reorders commands (activities, child workflows, signals to other workflows,
 * timers, search-attribute upserts) must be wrapped in
 * {@code Workflow.getVersion("kebab-change-id", Workflow.DEFAULT_VERSION, n)} with the old path
 * kept for old histories; {@code RecordedHistoriesTest} replays the recorded histories in
 * {@code worker/src/test/resources/histories/} and fails on a change that breaks them.
 */
public class ProjectWorkflowImpl implements ProjectWorkflow {
  /** The phase name a finished project reports: {@link ProjectSnapshot#COMPLETE}. */
  public static final String COMPLETE = ProjectSnapshot.COMPLETE;

  private static final Logger log = Workflow.getLogger(ProjectWorkflowImpl.class);

  private final CheckpointActivities checkpoints =
      Workflow.newActivityStub(CheckpointActivities.class, ActivityProfiles.checkpointIo());
  private final CheckpointActivities validation =
      Workflow.newActivityStub(CheckpointActivities.class, ActivityProfiles.checkpointValidation());
  private final CheckpointActivities publisher =
      Workflow.newActivityStub(CheckpointActivities.class, ActivityProfiles.checkpointPublish());
  private final NotificationActivities notifications =
      Workflow.newActivityStub(NotificationActivities.class, ActivityProfiles.notification());

  private String projectId;
  private WorkflowDefinition definition;
  private String workspace;
  private final List<String> phases = new ArrayList<>();
  private String phase = "not-started";
  private String step;
  private final Map<String, ArtifactRef> artifacts = new TreeMap<>();
  private final Map<String, AgentState> agents = new TreeMap<>();
  private final List<String> stories = new ArrayList<>();
  private final Map<String, Boolean> flags = new TreeMap<>();
  private final List<StepRecord> steps = new ArrayList<>();
  private final Set<String> stepKeys = new LinkedHashSet<>();
  private final List<Handoff> communicationLog = new ArrayList<>();
  private final List<CheckpointRef> checkpointRefs = new ArrayList<>();
  private final List<Decision> decisions = new ArrayList<>();
  private final List<Risk> risks = new ArrayList<>();
  private final List<GateRecord> gates = new ArrayList<>();
  private GateRecord pendingGate;
  private boolean paused;
  private String pauseReason;
  private int runs = 1;
  private String lastAgent;
  private String currentPhaseWorkflowId;
  private Integer searchAttributesVersion;
  private final Set<String> openGates = new LinkedHashSet<>();
  private final Set<String> fallbackAgents = new java.util.TreeSet<>();
  /** The request that started the project, without carried state: what checkpoints record for a cold restart. */
  private ProjectRequest origin;

  @Override
  public ProjectResult run(ProjectRequest request) {
    String problem = ProjectIds.problem(request.projectId());
    if (problem != null) {
      throw ApplicationFailure.newNonRetryableFailure(problem, Failures.INVALID_INPUT);
    }
    if (request.definition() == null || request.definition().sequence().isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "project " + request.projectId() + ": the workflow definition has no steps",
          Failures.INVALID_INPUT);
    }
    projectId = request.projectId();
    definition = request.definition();
    workspace = request.workspace();
    origin = new ProjectRequest(projectId, definition, workspace, request.maxHistoryEvents(), null, 0,
        request.agentAttempts(), request.policy());
    if (request.carried() != null) {
      restore(request.carried());
    }
    List<PhaseSteps> plan = PhasePlan.of(definition);
    phases.clear();
    plan.forEach(p -> phases.add(p.phase().wire()));
    if (request.carried() == null && Workflow.getVersion("roster-check", Workflow.DEFAULT_VERSION, 1) >= 1) {
      checkRoster();
    }
    int maxEvents = request.maxHistoryEvents() > 0 ? request.maxHistoryEvents() : ProjectRequest.DEFAULT_MAX_HISTORY_EVENTS;
    policy = request.policy() != null ? request.policy() : CheckpointPolicy.defaults();
    detector = new TriggerDetector(policy);
    triggersOn = Workflow.getVersion("checkpoint-triggers", Workflow.DEFAULT_VERSION, 1) >= 1 && !policy.off();
    if (triggersOn) {
      Async.procedure(this::checkpointer);
      Async.procedure(this::timeBasedTrigger);
    }

    for (int i = request.nextPhase(); i < plan.size(); i++) {
      WorkflowInfo info = Workflow.getInfo();
      if (i > request.nextPhase() && (info.isContinueAsNewSuggested() || info.getHistoryLength() > maxEvents)) {
        Workflow.await(() -> pendingTriggers.isEmpty() && !checkpointing && notificationsInFlight == 0);
        log.info("project {}: continuing as new before phase {} ({} history events)", projectId,
            plan.get(i).phase().wire(), info.getHistoryLength());
        runs++;
        Workflow.continueAsNew(new ProjectRequest(projectId, definition, workspace, request.maxHistoryEvents(), state(), i,
            request.agentAttempts(), request.policy()));
      }
      PhaseSteps phaseSteps = plan.get(i);
      phase = phaseSteps.phase().wire();
      upsertSearchAttributes();
      log.info("project {}: phase {} starts", projectId, phase);
      currentPhaseWorkflowId = ProjectIds.phaseWorkflowId(projectId, phase) + (runs > 1 ? "-run" + runs : "");
      PhaseWorkflow child =
          Workflow.newChildWorkflowStub(
              PhaseWorkflow.class,
              ChildWorkflowOptions.newBuilder()
                  .setWorkflowId(currentPhaseWorkflowId)
                  .setTaskQueue(TaskQueues.ORCHESTRATION)
                  .build());
      // A phase resumed part way (after a recovery) skips the steps its records say already ran.
      String phaseName = phase;
      List<StepRecord> resumed = i == request.nextPhase() && request.carried() != null
          ? steps.stream().filter(s -> s.phase().equals(phaseName)).toList() : List.of();
      PhaseResult result;
      try {
        result =
            child.run(
                new PhaseRequest(
                    projectId,
                    workspace,
                    phase,
                    definition,
                    phaseSteps.stepIndexes(),
                    List.copyOf(stories),
                    Map.copyOf(flags),
                    Map.copyOf(artifacts),
                    lastAgent,
                    paused,
                    request.agentAttempts(),
                    resumed,
                    openGates.stream().filter(g -> g.startsWith(phaseName + "/")).toList(),
                    List.copyOf(fallbackAgents)));
      } catch (ChildWorkflowFailure e) {
        throw ApplicationFailure.newNonRetryableFailure(
            "project " + projectId + ": phase " + phase + " failed after step '" + step + "': " + Failures.rootMessage(e)
                + ". Fix the cause, then recover from the last checkpoint", Failures.PHASE_FAILED);
      }
      // Every step signal is in history before the child's completion; wait until all are applied.
      Workflow.await(() -> stepRunsIn(result.phase()) >= result.stepRuns());
      currentPhaseWorkflowId = null;
      String from = phase;
      boolean last = i == plan.size() - 1;
      if (last) {
        phase = COMPLETE;
      }
      String to = last ? COMPLETE : plan.get(i + 1).phase().wire();
      String reason = "phase transition " + from + " -> " + to + " (after " + from + (last ? "" : ", before " + to) + ")";
      if (policy.off()) {
        continue;
      }
      if (triggersOn) {
        awaitCheckpoint(trigger(CheckpointType.AUTOMATIC, CheckpointTrigger.PHASE_TRANSITION, CheckpointPriority.MEDIUM,
            "system", reason, true));
      } else {
        checkpoint(CheckpointType.AUTOMATIC, CheckpointTrigger.PHASE_TRANSITION, CheckpointPriority.MEDIUM, "system", reason);
      }
    }
    Workflow.await(() -> notificationsInFlight == 0);
    upsertSearchAttributes();
    return new ProjectResult(state());
  }

  /** Refuses to start a definition whose agents no worker can run, naming them. */
  private void checkRoster() {
    List<String> needed = definition.sequence().stream()
        .filter(s -> s.isAgentStep())
        .map(s -> DefinitionStep.resolveAgent(s.agent()))
        .distinct()
        .sorted()
        .toList();
    AgentActivities roster = Workflow.newActivityStub(AgentActivities.class, ActivityProfiles.agentStep());
    RosterCheck check = roster.checkRoster(needed);
    if (!check.unserved().isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "project " + projectId + ": no worker serves the agent(s) " + String.join(", ", check.unserved())
              + " of definition " + definition.id() + "; served: " + String.join(", ", check.served())
              + ". Configure a command for them (BMADFLOW_AGENT_COMMAND_<NAME> or BMADFLOW_AGENTS_FILE) on the workers",
          Failures.INVALID_INPUT);
    }
    phase = "starting";
  }


  private void restore(ProjectSnapshot carried) {
    phase = carried.phase();
    step = carried.step();
    artifacts.putAll(carried.artifacts());
    agents.putAll(carried.agents());
    stories.addAll(carried.stories());
    flags.putAll(carried.flags());
    steps.addAll(carried.steps());
    carried.steps().forEach(s -> stepKeys.add(s.phase() + "/" + s.key()));
    communicationLog.addAll(carried.communicationLog());
    checkpointRefs.addAll(carried.checkpoints());
    decisions.addAll(carried.decisions());
    risks.addAll(carried.risks());
    gates.addAll(carried.gates());
    paused = carried.paused();
    pauseReason = carried.pauseReason();
    runs = carried.runs() + 1;
    openGates.addAll(carried.openGates());
    fallbackAgents.addAll(carried.fallbackAgents());
    if (!steps.isEmpty()) {
      lastAgent = steps.stream().filter(s -> s.agent() != null).reduce((a, b) -> b).map(StepRecord::agent).orElse(null);
    }
  }

  @Override
  public ProjectSnapshot state() {
    return new ProjectSnapshot(
        projectId,
        definition == null ? null : definition.id(),
        workspace,
        List.copyOf(phases),
        phase,
        step,
        steps.size(),
        definition == null ? 0 : Math.max(steps.size(), PhasePlan.plannedStepRuns(definition, stories.size())),
        Map.copyOf(artifacts),
        Map.copyOf(agents),
        List.copyOf(stories),
        Map.copyOf(flags),
        List.copyOf(steps),
        List.copyOf(communicationLog),
        List.copyOf(checkpointRefs),
        List.copyOf(decisions),
        List.copyOf(risks),
        List.copyOf(gates),
        pendingGate,
        paused,
        runs,
        List.copyOf(openGates),
        List.copyOf(fallbackAgents),
        pauseReason);
  }

  @Override
  public double progress() {
    return state().progress();
  }

  @Override
  public String currentStep() {
    return step;
  }

  @Override
  public void stepFinished(StepFinished event) {
    StepRecord record = event.record();
    if (!stepKeys.add(record.phase() + "/" + record.key())) {
      return; // A duplicate delivery; the step is already applied.
    }
    steps.add(record);
    step = record.label();
    AgentStepResult result = event.result();
    if (result != null) {
      applyAgentResult(record, result);
    }
    GateRecord gate = event.gate();
    String gateKey = record.phase() + "/" + record.stepId();
    if (gate != null) {
      openGates.remove(gateKey);
    } else if (result != null && result.gate() != null) {
      openGates.add(gateKey); // A failing gate's attempt: its improvement loop runs on.
    }
    if (gate != null) {
      gates.add(gate);
      if (pendingGate != null && pendingGate.gateId().equals(gate.gateId())) {
        pendingGate = null;
      }
      agents.computeIfPresent(gate.agent(), (name, a) -> withQuality(a, gate.gateId() + ": " + gate.verdict()));
    }
    detectTriggers(event);
    if (paused && Workflow.getVersion("pause-resend", Workflow.DEFAULT_VERSION, 1) >= 1) {
      forwardPause();
    }
    upsertSearchAttributes();
  }

  private void applyAgentResult(StepRecord record, AgentStepResult result) {
    String agent = result.agent();
    AgentState before = agents.getOrDefault(agent, AgentState.fresh(agent));
    List<String> handoffs = new ArrayList<>(before.handoffs());
    if (lastAgent != null && !lastAgent.equals(agent)) {
      communicationLog.add(new Handoff(lastAgent, agent, record.phase(), handoffText(agent)));
      String handoff = lastAgent + " -> " + agent;
      handoffs.add(handoff);
      agents.computeIfPresent(lastAgent, (name, a) -> new AgentState(a.agent(), a.kind(), a.tasksCompleted(),
          a.currentTask(), a.artifacts(), a.lastSummary(), a.decisions(), a.qualityContributions(), append(a.handoffs(), handoff)));
    }
    lastAgent = agent;
    result.artifacts().forEach(a -> artifacts.put(a.path(), a));
    flags.putAll(result.flags());
    result.stories().stream().filter(s -> !stories.contains(s)).forEach(stories::add);
    List<String> produced = new ArrayList<>(before.artifacts());
    result.artifacts().stream().map(ArtifactRef::path).filter(p -> !produced.contains(p)).forEach(produced::add);
    List<String> decided = new ArrayList<>(before.decisions());
    for (Decision d : result.decisions()) {
      Decision logged = new Decision("D" + (decisions.size() + 1), d.title(), d.rationale(), agent, d.critical(), record.phase());
      decisions.add(logged);
      decided.add(logged.id());
    }
    for (Risk r : result.risks()) {
      risks.add(new Risk("R" + (risks.size() + 1), r.title(), r.probability(), r.impact(), agent, record.phase()));
    }
    agents.put(agent, new AgentState(agent, before.kind(), before.tasksCompleted() + 1, null, produced,
        result.summary(), decided, before.qualityContributions(), handoffs));
  }

  private static AgentState withQuality(AgentState a, String contribution) {
    return new AgentState(a.agent(), a.kind(), a.tasksCompleted(), a.currentTask(), a.artifacts(), a.lastSummary(),
        a.decisions(), append(a.qualityContributions(), contribution), a.handoffs());
  }

  private static List<String> append(List<String> list, String item) {
    List<String> out = new ArrayList<>(list);
    out.add(item);
    return out;
  }

  @Override
  public void gateWaiting(GateRecord gate) {
    pendingGate = gate;
    log.warn("project {}: gate {} ({}) still fails after {} attempts; waiting for an operator to approve or waive it",
        projectId, gate.gateId(), gate.kind(), gate.attempts());
    upsertSearchAttributes();
  }

  @Override
  public void validateDecideGate(OperatorDecision decision) {
    if (pendingGate == null) {
      throw new IllegalArgumentException("project " + projectId + " has no gate waiting for a decision");
    }
    if (decision.gateId() != null && !decision.gateId().equals(pendingGate.gateId())) {
      throw new IllegalArgumentException("gate " + decision.gateId() + " is not waiting; the waiting gate is " + pendingGate.gateId());
    }
    if (!OperatorDecision.APPROVE.equals(decision.action()) && !OperatorDecision.WAIVE.equals(decision.action())) {
      throw new IllegalArgumentException("a gate decision is approve or waive, not " + decision.action());
    }
  }

  @Override
  public String decideGate(OperatorDecision decision) {
    String gateId = pendingGate.gateId();
    Workflow.newExternalWorkflowStub(PhaseWorkflow.class, currentPhaseWorkflowId)
        .operatorDecision(new OperatorDecision(gateId, decision.action(), decision.by(), decision.reason()));
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
    Decision logged = new Decision("D" + (decisions.size() + 1), decision.title(), decision.rationale(),
        decision.madeBy() == null ? "operator" : decision.madeBy(), decision.critical(), phase);
    decisions.add(logged);
    stateVersion++;
    if (logged.critical() && triggersOn) {
      TriggerDetector.Proposal p = detector.forCriticalDecision(logged.title(), logged.madeBy());
      trigger(p.type(), p.trigger(), p.priority(), p.createdBy(), p.reason(), false);
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
    Risk logged = new Risk("R" + (risks.size() + 1), risk.title(), risk.probability(), risk.impact(),
        risk.reportedBy() == null ? "operator" : risk.reportedBy(), phase);
    risks.add(logged);
    stateVersion++;
    if (triggersOn) {
      detector.forRisk(logged, logged.reportedBy())
          .ifPresent(p -> trigger(p.type(), p.trigger(), p.priority(), p.createdBy(), p.reason(), false));
    }
    return logged.id();
  }

  @Override
  public void validateCreateCheckpoint(ManualCheckpoint request) {
    if (request == null || request.trigger() == null) {
      throw new IllegalArgumentException("a manual checkpoint's kind is user, experiment, milestone or emergency");
    }
    if (!triggersOn) {
      throw new IllegalArgumentException("project " + projectId + " was started before manual checkpoints existed");
    }
  }

  @Override
  public CheckpointRef createCheckpoint(ManualCheckpoint request) {
    CheckpointRef ref = awaitCheckpoint(manual(request));
    if (ref == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the checkpoint was written but did not verify when read back; see the worker's log", Failures.CHECKPOINT_CORRUPT);
    }
    return ref;
  }

  @Override
  public void requestCheckpoint(ManualCheckpoint request) {
    if (request != null && request.trigger() != null) {
      manual(request);
    }
  }

  private long manual(ManualCheckpoint request) {
    String by = request.requestedBy() == null ? "user" : request.requestedBy();
    return trigger(CheckpointType.MANUAL, request.trigger(), request.priority(), by,
        request.kind() + " checkpoint: " + (request.reason() == null ? "requested by " + by : request.reason()), true);
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
    List<String> done = new ArrayList<>();
    for (String component : restore.components()) {
      switch (component) {
        case ComponentRestore.CONTEXT -> {
          artifacts.putAll(restore.artifacts());
          flags.putAll(restore.flags());
          restore.stories().stream().filter(s -> !stories.contains(s)).forEach(stories::add);
          done.add("context (" + restore.artifacts().size() + " artifact references, " + restore.flags().size() + " flags)");
        }
        case ComponentRestore.PROGRESS -> {
          // Records the checkpoint has replace the current ones; records after it stay.
          Map<String, StepRecord> byKey = new java.util.LinkedHashMap<>();
          restore.steps().forEach(r -> byKey.put(r.phase() + "/" + r.key(), r));
          steps.forEach(r -> byKey.putIfAbsent(r.phase() + "/" + r.key(), r));
          steps.clear();
          steps.addAll(byKey.values());
          stepKeys.clear();
          stepKeys.addAll(byKey.keySet());
          List<Handoff> log = new ArrayList<>(restore.communicationLog());
          if (communicationLog.size() > log.size()) {
            log.addAll(communicationLog.subList(log.size(), communicationLog.size()));
          }
          communicationLog.clear();
          communicationLog.addAll(log);
          done.add("progress (" + restore.steps().size() + " step records, " + restore.communicationLog().size() + " handoffs)");
        }
        case ComponentRestore.AGENTS -> {
          agents.putAll(restore.agents());
          done.add("agents (" + String.join(", ", restore.agents().keySet()) + ")");
        }
        default -> {
          String agent = component.substring(ComponentRestore.AGENT_PREFIX.length());
          agents.put(agent, restore.agents().get(agent));
          done.add("agent " + agent);
        }
      }
    }
    stateVersion++;
    if (restore.components().contains(ComponentRestore.CONTEXT) && currentPhaseWorkflowId != null) {
      try {
        Workflow.newExternalWorkflowStub(PhaseWorkflow.class, currentPhaseWorkflowId).restoreContext(restore);
      } catch (ApplicationFailure phaseNotRunning) {
        // The next phase starts from the project's (restored) context.
      }
    }
    upsertSearchAttributes();
    String summary = "restored from " + restore.checkpointId() + " by " + restore.recoveryId() + ": " + String.join("; ", done);
    log.info("project {}: {}", projectId, summary);
    return summary;
  }

  @Override
  public void validateReplaceAgent(String agent) {
    String problem = ComponentRestore.problem(ComponentRestore.AGENT_PREFIX + agent);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    if (COMPLETE.equals(phase)) {
      throw new IllegalArgumentException("project " + projectId + " is complete; there is no agent to replace");
    }
  }

  @Override
  public String replaceAgent(String agent) {
    boolean added = fallbackAgents.add(agent);
    stateVersion++;
    if (currentPhaseWorkflowId != null) {
      try {
        Workflow.newExternalWorkflowStub(PhaseWorkflow.class, currentPhaseWorkflowId).useFallback(agent);
      } catch (ApplicationFailure phaseNotRunning) {
        // The next phase starts with the project's list.
      }
    }
    String summary = "agent " + agent + (added ? " now runs on its fallback runner" : " already ran on its fallback runner")
        + (currentPhaseWorkflowId == null ? "" : "; its step in flight in " + phase + " restarts there");
    log.warn("project {}: {}", projectId, summary);
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
    if (paused == value) {
      return;
    }
    paused = value;
    pauseReason = value ? reason : null;
    stateVersion++;
    log.info("project {} {}: {}", projectId, value ? "paused" : "resumed", reason);
    forwardPause();
    upsertSearchAttributes();
  }

  private Integer checkpointVerifyVersion;
  private Integer checkpointPipelineVersion;

  private boolean pipelineVersion() {
    if (checkpointPipelineVersion == null) {
      checkpointPipelineVersion = Workflow.getVersion("checkpoint-pipeline", Workflow.DEFAULT_VERSION, 1);
    }
    return checkpointPipelineVersion >= 1;
  }

  private boolean verifyVersion() {
    if (checkpointVerifyVersion == null) {
      checkpointVerifyVersion = Workflow.getVersion("checkpoint-verify", Workflow.DEFAULT_VERSION, 1);
    }
    return checkpointVerifyVersion >= 1;
  }

  /**
   * Tells the running phase whether to pause. A phase that finished or has not started yet cannot
   * be told: the next phase starts with the project's flag, and a step that finishes while the
   * project is paused repeats the message, so a phase that started unaware still stops.
   */
  private void forwardPause() {
    if (currentPhaseWorkflowId == null) {
      return;
    }
    try {
      Workflow.newExternalWorkflowStub(PhaseWorkflow.class, currentPhaseWorkflowId).setPaused(paused);
    } catch (ApplicationFailure phaseNotRunning) {
      // See above.
    }
  }

  /** Keeps the Web UI's search attributes current, when the project was started with them. */
  private void upsertSearchAttributes() {
    if (searchAttributesVersion == null) {
      searchAttributesVersion = Workflow.getVersion("search-attributes", Workflow.DEFAULT_VERSION, 1);
    }
    if (searchAttributesVersion < 1 || !Workflow.getTypedSearchAttributes().containsKey(SearchAttributes.PROJECT)) {
      return;
    }
    String status = pendingGate != null ? "waiting-for-operator" : paused ? "paused" : COMPLETE.equals(phase) ? "complete" : "running";
    var updates = new ArrayList<io.temporal.common.SearchAttributeUpdate<?>>();
    updates.add(SearchAttributes.PHASE.valueSet(phase));
    updates.add(SearchAttributes.STATUS.valueSet(status));
    if (step != null) {
      updates.add(SearchAttributes.STEP.valueSet(step));
    }
    if (!checkpointRefs.isEmpty()) {
      updates.add(SearchAttributes.LAST_CHECKPOINT.valueSet(checkpointRefs.get(checkpointRefs.size() - 1).checkpointId()));
    }
    Workflow.upsertTypedSearchAttributes(updates.toArray(new io.temporal.common.SearchAttributeUpdate<?>[0]));
  }

  private String handoffText(String agent) {
    String key = (lastAgent + "_to_" + agent).replace('-', '_');
    return definition.handoffPrompts().getOrDefault(key, lastAgent + " hands over to " + agent);
  }

  private long stepRunsIn(String phaseName) {
    return steps.stream().filter(s -> s.phase().equals(phaseName)).count();
  }

  private CheckpointRef checkpoint(
      CheckpointType type, CheckpointTrigger trigger, CheckpointPriority priority, String createdBy, String reason) {
    long now = Workflow.currentTimeMillis();
    WorkflowInfo info = Workflow.getInfo();
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
            state(),
            checkpointRefs.isEmpty() ? null : checkpointRefs.get(checkpointRefs.size() - 1).checkpointId(),
            origin);
    CheckpointRef ref;
    if (pipelineVersion()) {
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
    if (verifyVersion()) {
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
    checkpointRefs.add(ref);
    upsertSearchAttributes();
    log.info("project {}: checkpoint {} committed ({})", projectId, ref.checkpointId(), reason);
    return ref;
  }

  // ---- checkpoint triggers -------------------------------------------------------------------

  /** A reason to checkpoint, waiting to be taken. */
  private record Trigger(long ticket, CheckpointType type, CheckpointTrigger trigger, CheckpointPriority priority,
      String createdBy, String reason, boolean force) {}

  private CheckpointPolicy policy = CheckpointPolicy.defaults();
  private boolean triggersOn;
  private final List<Trigger> pendingTriggers = new ArrayList<>();
  private long nextTicket;
  private long doneTicket = -1;
  private boolean checkpointing;
  private int notificationsInFlight;
  private long stateVersion;
  private long checkpointedVersion = -1;
  private final Map<Long, CheckpointRef> refsByTicket = new TreeMap<>();
  private TriggerDetector detector = new TriggerDetector(CheckpointPolicy.defaults());

  /** Queues a trigger; returns its ticket. Triggers queued together become one checkpoint. */
  private long trigger(CheckpointType type, CheckpointTrigger trigger, CheckpointPriority priority, String createdBy,
      String reason, boolean force) {
    long ticket = nextTicket++;
    if (triggersOn) {
      pendingTriggers.add(new Trigger(ticket, type, trigger, priority, createdBy, reason, force));
    }
    return ticket;
  }

  private CheckpointRef awaitCheckpoint(long ticket) {
    Workflow.await(() -> doneTicket >= ticket);
    return refsByTicket.get(ticket);
  }

  /**
   * Takes the queued triggers as checkpoints, one at a time: everything queued while one is
   * being written becomes the next one (coalesced, the highest priority wins, the reasons are
   * joined), and a batch is skipped when the state has not changed since the last checkpoint,
   * unless an operator or a phase transition asked for it.
   */
  private void checkpointer() {
    while (true) {
      Workflow.await(() -> !pendingTriggers.isEmpty());
      List<Trigger> batch = List.copyOf(pendingTriggers);
      pendingTriggers.clear();
      long lastTicket = batch.get(batch.size() - 1).ticket();
      boolean forced = batch.stream().anyMatch(Trigger::force);
      if (!forced && stateVersion == checkpointedVersion) {
        CheckpointRef last = checkpointRefs.isEmpty() ? null : checkpointRefs.get(checkpointRefs.size() - 1);
        batch.forEach(t -> refsByTicket.put(t.ticket(), last));
        doneTicket = lastTicket;
        continue;
      }
      Trigger lead = batch.stream().max((a, b) -> Integer.compare(rank(a), rank(b))).orElseThrow();
      CheckpointPriority priority = batch.stream().map(Trigger::priority).max(Enum::compareTo).orElseThrow();
      String reason = batch.stream().map(Trigger::reason).distinct().reduce((a, b) -> a + "; " + b).orElse("");
      checkpointing = true;
      long version = stateVersion;
      CheckpointRef ref;
      try {
        ref = checkpoint(lead.type(), lead.trigger(), priority, lead.createdBy(), reason);
      } finally {
        checkpointing = false;
      }
      checkpointedVersion = ref == null ? checkpointedVersion : version;
      batch.forEach(t -> refsByTicket.put(t.ticket(), ref));
      doneTicket = lastTicket;
      if (ref != null && (priority == CheckpointPriority.HIGH || priority == CheckpointPriority.CRITICAL)) {
        notifyStakeholders(ref, reason);
      }
    }
  }

  /** Posts the checkpoint to the webhook, in the background: a failed notification never fails a checkpoint. */
  private void notifyStakeholders(CheckpointRef ref, String reason) {
    notificationsInFlight++;
    Async.procedure(() -> {
      try {
        notifications.notifyCheckpoint(CheckpointEvent.of(projectId, reason, ref));
      } catch (ActivityFailure e) {
        log.warn("project {}: checkpoint {} was not notified: {}", projectId, ref.checkpointId(), e.getMessage());
      } finally {
        notificationsInFlight--;
      }
    });
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
      Workflow.await(() -> !paused);
      long started = Workflow.currentTimeMillis();
      boolean interrupted = Workflow.await(java.time.Duration.ofMillis(remaining), () -> paused);
      remaining -= Workflow.currentTimeMillis() - started;
      if (!interrupted || remaining <= 0) {
        remaining = policy.timeBasedInterval().toMillis();
        if (stateVersion != checkpointedVersion) {
          trigger(CheckpointType.AUTOMATIC, CheckpointTrigger.TIME_BASED, CheckpointPriority.LOW, "system",
              policy.timeBasedInterval().toMinutes() + " minutes of active work", false);
        }
      }
    }
  }

  /** After a step was applied: queue the triggers its changes set off. */
  private void detectTriggers(StepFinished event) {
    stateVersion++;
    if (!triggersOn) {
      return;
    }
    for (TriggerDetector.Proposal p : detector.afterStep(event, state())) {
      trigger(p.type(), p.trigger(), p.priority(), p.createdBy(), p.reason(), false);
    }
  }
}
