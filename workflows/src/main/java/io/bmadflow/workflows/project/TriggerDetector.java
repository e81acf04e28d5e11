package io.bmadflow.workflows.project;

import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.checkpoint.CheckpointPolicy;
import io.bmadflow.workflows.checkpoint.CheckpointPriority;
import io.bmadflow.workflows.checkpoint.CheckpointTrigger;
import io.bmadflow.workflows.checkpoint.CheckpointType;
import io.bmadflow.workflows.gates.GateRecord;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Decides which checkpoint triggers a change of the project's state sets off: the seed's automatic
 * triggers that follow from a step (quality gate, critical decision, team handoff, risk event) and
 * its intelligent ones (progress, complexity, resource, context). Pure and deterministic, so it runs
 * inside the project workflow; the workflow queues what it proposes.
 */
final class TriggerDetector {

  /** A trigger the workflow should queue. */
  record Proposal(CheckpointType type, CheckpointTrigger trigger, CheckpointPriority priority, String createdBy, String reason) {}

  private final CheckpointPolicy policy;
  private final Set<String> handoffPairs = new LinkedHashSet<>();
  private final Set<Integer> progressReached = new LinkedHashSet<>();
  private final Map<String, Integer> complexityLevels = new TreeMap<>();
  private final Map<String, String> contextHashes = new TreeMap<>();
  private Set<String> roster = Set.of();

  TriggerDetector(CheckpointPolicy policy) {
    this.policy = policy;
  }

  /** A detector that remembers what {@code memory} says it saw (after continue-as-new or a restore). */
  TriggerDetector(CheckpointPolicy policy, TriggerMemory memory) {
    this.policy = policy;
    handoffPairs.addAll(memory.handoffPairs());
    progressReached.addAll(memory.progressReached());
    complexityLevels.putAll(memory.complexityLevels());
    contextHashes.putAll(memory.contextHashes());
    roster = Set.copyOf(memory.roster());
  }

  /** What this detector has seen, to carry with the project's state. */
  TriggerMemory memory() {
    return new TriggerMemory(List.copyOf(handoffPairs), List.copyOf(progressReached), complexityLevels, contextHashes,
        new TreeSet<>(roster).stream().toList());
  }

  /** The triggers a finished step sets off, given the state after it was applied. */
  List<Proposal> afterStep(StepFinished event, ProjectSnapshot state) {
    List<Proposal> out = new ArrayList<>();
    GateRecord gate = event.gate();
    if (gate != null) {
      out.add(new Proposal(CheckpointType.AUTOMATIC, CheckpointTrigger.QUALITY_GATE,
          gate.verdict().proceeds() && !"operator".equals(gate.decidedBy()) ? CheckpointPriority.MEDIUM : CheckpointPriority.HIGH,
          gate.agent(), "after gate " + gate.gateId() + " (" + gate.kind() + "): " + gate.verdict()));
    }
    AgentStepResult result = event.result();
    if (result != null) {
      result.decisions().stream().filter(Decision::critical).forEach(d -> out.add(forCriticalDecision(d.title(), result.agent())));
      result.risks().forEach(r -> forRisk(r, result.agent()).ifPresent(out::add));
    }
    List<Handoff> log = state.communicationLog();
    if (!log.isEmpty()) {
      Handoff last = log.get(log.size() - 1);
      if (handoffPairs.add(last.from() + "->" + last.to())) {
        out.add(new Proposal(CheckpointType.AUTOMATIC, CheckpointTrigger.TEAM_HANDOFF, CheckpointPriority.LOW, "system",
            "handoff " + last.from() + " -> " + last.to()));
      }
    }
    int percent = (int) Math.floor(state.progress() * 100);
    for (int milestone : policy.progressMilestones()) {
      if (percent >= milestone && progressReached.add(milestone)) {
        out.add(new Proposal(CheckpointType.INTELLIGENT, CheckpointTrigger.PROGRESS,
            milestone >= 100 ? CheckpointPriority.HIGH : CheckpointPriority.MEDIUM, "system", milestone + "% progress"));
      }
    }
    complexity("stories", state.stories().size(), out);
    complexity("artifacts", state.artifacts().size(), out);
    complexity("decisions", state.decisions().size(), out);
    Set<String> now = Set.copyOf(state.agents().keySet());
    if (!roster.isEmpty() && !now.equals(roster)) {
      Set<String> joined = new TreeSet<>(now);
      joined.removeAll(roster);
      out.add(new Proposal(CheckpointType.INTELLIGENT, CheckpointTrigger.RESOURCE, CheckpointPriority.LOW, "system",
          "agent roster changed" + (joined.isEmpty() ? "" : ": " + String.join(", ", joined) + " joined")));
    }
    roster = now;
    context("business", state.artifacts(), out, "docs/project-brief.md", "docs/prd.md");
    context("technical", state.artifacts(), out, "docs/fullstack-architecture.md", "docs/architecture.md", "docs/front-end-spec.md");
    return out;
  }

  /** A critical decision, from an agent or an operator. */
  Proposal forCriticalDecision(String title, String madeBy) {
    return new Proposal(CheckpointType.AUTOMATIC, CheckpointTrigger.CRITICAL_DECISION, CheckpointPriority.HIGH, madeBy,
        "critical decision: " + title);
  }

  /** A risk event when the risk's score reaches the policy's threshold. */
  java.util.Optional<Proposal> forRisk(Risk risk, String reportedBy) {
    if (risk.score() < policy.riskThreshold()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(new Proposal(CheckpointType.AUTOMATIC, CheckpointTrigger.RISK_EVENT,
        risk.score() >= 20 ? CheckpointPriority.CRITICAL : CheckpointPriority.HIGH, reportedBy,
        "risk '" + risk.title() + "' scores " + risk.score()));
  }

  private void complexity(String what, int count, List<Proposal> out) {
    int level = count / policy.complexityStep();
    Integer before = complexityLevels.put(what, level);
    if (before != null && level > before) {
      out.add(new Proposal(CheckpointType.INTELLIGENT, CheckpointTrigger.COMPLEXITY, CheckpointPriority.LOW, "system",
          what + " grew to " + count));
    }
  }

  /** A context trigger when the documents behind a context change after they first appeared. */
  private void context(String context, Map<String, ArtifactRef> artifacts, List<Proposal> out, String... paths) {
    StringBuilder hashes = new StringBuilder();
    for (String path : paths) {
      ArtifactRef ref = artifacts.get(path);
      hashes.append(ref == null ? "-" : ref.sha256()).append(',');
    }
    String before = contextHashes.put(context, hashes.toString());
    boolean existed = before != null && !before.replace("-", "").replace(",", "").isEmpty();
    if (existed && !before.equals(hashes.toString())) {
      out.add(new Proposal(CheckpointType.INTELLIGENT, CheckpointTrigger.CONTEXT, CheckpointPriority.MEDIUM, "system",
          "the " + context + " context changed"));
    }
  }
}
