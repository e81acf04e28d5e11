package io.bmadflow.workflows.project;

import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.checkpoint.CheckpointPolicy;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.definition.PhasePlan;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.gates.GateRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The whole state of one project run, and the only place it changes.
 *
 * <p>The project workflow's handlers and main method change the project through these methods
 * and nothing else; {@link #snapshot()} is what queries return, checkpoints capture and
 * continue-as-new carries, and {@link #restore} takes such a snapshot back whole, the trigger
 * detector's memory included. Pure data and logic: no commands, so it can be unit tested and
 * its changes never decide what the workflow's history looks like.
 */
final class ProjectState {
  private final String projectId;
  private final WorkflowDefinition definition;
  private final String workspace;
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
  private final Set<String> openGates = new LinkedHashSet<>();
  private final Set<String> fallbackAgents = new TreeSet<>();
  private GateRecord pendingGate;
  private boolean paused;
  private String pauseReason;
  private int runs = 1;
  private String lastAgent;
  private long version;
  private TriggerDetector detector;

  ProjectState(String projectId, WorkflowDefinition definition, String workspace, List<String> phases) {
    this.projectId = projectId;
    this.definition = definition;
    this.workspace = workspace;
    this.phases.addAll(phases);
    this.detector = new TriggerDetector(CheckpointPolicy.defaults());
  }

  /**
   * Takes a carried snapshot back whole (continue-as-new, cold restart); the detector remembers
   * what the snapshot says it saw when {@code withMemory}, else it starts fresh, as it once did.
   */
  void restore(ProjectSnapshot carried, CheckpointPolicy policy, boolean withMemory) {
    phase = carried.phase();
    step = carried.step();
    artifacts.putAll(carried.artifacts());
    agents.putAll(carried.agents());
    stories.addAll(carried.stories());
    flags.putAll(carried.flags());
    steps.addAll(carried.steps());
    carried.steps().forEach(s -> stepKeys.add(key(s)));
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
    lastAgent = steps.stream().filter(s -> s.agent() != null).reduce((a, b) -> b).map(StepRecord::agent).orElse(null);
    detector = withMemory && carried.triggerMemory() != null
        ? new TriggerDetector(policy, carried.triggerMemory()) : new TriggerDetector(policy);
  }

  /** Sets the checkpoint policy of a project that was not restored. */
  void usePolicy(CheckpointPolicy policy) {
    detector = new TriggerDetector(policy);
  }

  ProjectSnapshot snapshot() {
    return new ProjectSnapshot(projectId, definition == null ? null : definition.id(), workspace, List.copyOf(phases),
        phase, step, steps.size(),
        definition == null ? 0 : Math.max(steps.size(), PhasePlan.plannedStepRuns(definition, stories.size())),
        Map.copyOf(artifacts), Map.copyOf(agents), List.copyOf(stories), Map.copyOf(flags), List.copyOf(steps),
        List.copyOf(communicationLog), List.copyOf(checkpointRefs), List.copyOf(decisions), List.copyOf(risks),
        List.copyOf(gates), pendingGate, paused, runs, List.copyOf(openGates), List.copyOf(fallbackAgents), pauseReason,
        detector.memory());
  }

  // ---- reading -------------------------------------------------------------------------------

  String projectId() { return projectId; }
  WorkflowDefinition definition() { return definition; }
  String workspace() { return workspace; }
  String phase() { return phase; }
  String step() { return step; }
  boolean paused() { return paused; }
  int runs() { return runs; }
  String lastAgent() { return lastAgent; }
  GateRecord pendingGate() { return pendingGate; }
  TriggerDetector detector() { return detector; }

  /** A number that changes whenever the state does: a checkpoint of an unchanged state is skipped. */
  long version() { return version; }

  List<String> stories() { return List.copyOf(stories); }
  Map<String, Boolean> flags() { return Map.copyOf(flags); }
  Map<String, ArtifactRef> artifacts() { return Map.copyOf(artifacts); }
  List<String> fallbackAgents() { return List.copyOf(fallbackAgents); }

  /** The checkpoint committed last, or null. */
  CheckpointRef lastCheckpoint() {
    return checkpointRefs.isEmpty() ? null : checkpointRefs.get(checkpointRefs.size() - 1);
  }

  /** The records of the steps of {@code phaseName} that ran so far. */
  List<StepRecord> stepsIn(String phaseName) {
    return steps.stream().filter(s -> s.phase().equals(phaseName)).toList();
  }

  /** The gate steps of {@code phaseName} whose improvement loop is running. */
  List<String> openGatesIn(String phaseName) {
    return openGates.stream().filter(g -> g.startsWith(phaseName + "/")).toList();
  }

  // ---- changing ------------------------------------------------------------------------------

  void enterPhase(String value) {
    phase = value;
  }

  void addCheckpoint(CheckpointRef ref) {
    checkpointRefs.add(ref);
  }

  /** Applies a finished step; false when it is a duplicate delivery, already applied. */
  boolean applyStep(StepFinished event) {
    StepRecord record = event.record();
    if (!stepKeys.add(key(record))) {
      return false;
    }
    steps.add(record);
    step = record.label();
    AgentStepResult result = event.result();
    if (result != null) {
      applyAgentResult(record, result);
    }
    flags.putAll(event.flags());
    GateRecord gate = event.gate();
    String gateKey = record.phase() + "/" + record.stepId();
    if (gate != null) {
      openGates.remove(gateKey);
      gates.add(gate);
      if (pendingGate != null && pendingGate.gateId().equals(gate.gateId())) {
        pendingGate = null;
      }
      agents.computeIfPresent(gate.agent(), (name, a) -> a.withQualityContribution(gate.gateId() + ": " + gate.verdict()));
    } else if (result != null && result.gate() != null) {
      openGates.add(gateKey); // A failing gate's attempt: its improvement loop runs on.
    }
    version++;
    return true;
  }

  private void applyAgentResult(StepRecord record, AgentStepResult result) {
    String agent = result.agent();
    AgentState before = agents.getOrDefault(agent, AgentState.fresh(agent));
    List<String> handoffs = new ArrayList<>(before.handoffs());
    if (lastAgent != null && !lastAgent.equals(agent)) {
      communicationLog.add(new Handoff(lastAgent, agent, record.phase(), handoffText(agent)));
      String handoff = lastAgent + " -> " + agent;
      handoffs.add(handoff);
      agents.computeIfPresent(lastAgent, (name, a) -> a.withHandoff(handoff));
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

  private String handoffText(String agent) {
    String key = (lastAgent + "_to_" + agent).replace('-', '_');
    return definition.handoffPrompts().getOrDefault(key, lastAgent + " hands over to " + agent);
  }

  void gateWaiting(GateRecord gate) {
    pendingGate = gate;
  }

  /** Logs an operator's decision with the next id, in the current phase. */
  Decision addDecision(Decision decision) {
    Decision logged = new Decision("D" + (decisions.size() + 1), decision.title(), decision.rationale(),
        decision.madeBy() == null ? "operator" : decision.madeBy(), decision.critical(), phase);
    decisions.add(logged);
    version++;
    return logged;
  }

  /** Logs an operator's risk with the next id, in the current phase. */
  Risk addRisk(Risk risk) {
    Risk logged = new Risk("R" + (risks.size() + 1), risk.title(), risk.probability(), risk.impact(),
        risk.reportedBy() == null ? "operator" : risk.reportedBy(), phase);
    risks.add(logged);
    version++;
    return logged;
  }

  /** Pauses or resumes; false when the project already was so. */
  boolean setPaused(boolean value, String reason) {
    if (paused == value) {
      return false;
    }
    paused = value;
    pauseReason = value ? reason : null;
    version++;
    return true;
  }

  /** Moves an agent to its fallback runner; false when it already ran there. */
  boolean addFallback(String agent) {
    boolean added = fallbackAgents.add(agent);
    version++;
    return added;
  }

  /** Restores the named components of a checkpoint; returns what was restored, one entry each. */
  List<String> restoreComponents(ComponentRestore restore) {
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
          Map<String, StepRecord> byKey = new LinkedHashMap<>();
          restore.steps().forEach(r -> byKey.put(key(r), r));
          steps.forEach(r -> byKey.putIfAbsent(key(r), r));
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
    version++;
    return done;
  }

  private static String key(StepRecord record) {
    return record.phase() + "/" + record.key();
  }
}
