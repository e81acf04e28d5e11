package io.bmadflow.workflows.phase;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.definition.DefinitionRoute;
import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.definition.PhasePlan;
import io.bmadflow.workflows.gates.GateRecord;
import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.gates.GateVerdict;
import io.bmadflow.workflows.gates.OperatorDecision;
import io.bmadflow.workflows.project.ProjectWorkflow;
import io.bmadflow.workflows.project.StepFinished;
import io.bmadflow.workflows.project.StepRecord;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs a phase's steps in order; see {@link PhaseWorkflow}.
 *
 * <p>Gates: when a step reports a gate that FAILs, the phase runs up to
 * {@link #MAX_IMPROVEMENT_LOOPS} improvement loops (the fix steps, then the gate step again). The
 * fix steps are the conditional steps right after the gate step (the {@code various} owners after
 * the PO checklist, {@code address_qa_feedback} after QA), with their condition set; without
 * such steps, the step before the gate redoes its work. A gate still failing then escalates: the
 * phase waits for an operator to approve or waive it.
 *
 * <p>Steps by kind (with the {@code v4-step-shapes} step model, see {@link PhaseRequest#stepModel()}):
 * a guidance step (no agent) whose condition holds, or has none, is recorded with its action and
 * notes; a routing step takes the first route whose state flag is set, else the route that
 * continues, sets the flags {@code <route>} and {@code <route>_path}, and runs the route's agent
 * when it names one; an agent step whose condition holds runs its agent with its {@code uses},
 * notes and the {@code optional_steps} whose state flags are set. Older requests record every
 * guidance step whatever its condition, as they did.
 */
public class PhaseWorkflowImpl implements PhaseWorkflow {
  /** Improvement loops before a failing gate escalates to an operator. */
  public static final int MAX_IMPROVEMENT_LOOPS = 3;
  /** Stories a run of the story loop takes before it continues as new (sooner when Temporal suggests it). */
  public static final int STORIES_PER_RUN = 20;
  /** The change id of continue-as-new inside the story loop; asked first thing in {@link #run}. */
  static final String CONTINUE_AS_NEW = "phase-continue-as-new";

  private AgentActivities agents;

  private PhaseRequest request;
  private ProjectWorkflow project;
  private final Map<String, Boolean> flags = new HashMap<>();
  private final Map<String, ArtifactRef> artifacts = new TreeMap<>();
  private final List<String> stories = new ArrayList<>();
  private final Map<String, Integer> runs = new HashMap<>();
  private String lastAgent;
  private int stepRuns;
  private boolean paused;
  private OperatorDecision decision;
  /** Steps ({@code stepId}) that ran before this phase was resumed part way. */
  private final Set<String> done = new HashSet<>();
  private final Set<String> fallbacks = new HashSet<>();
  /** This phase's step records, those of earlier runs included: what a continue-as-new carries. */
  private final List<StepRecord> records = new ArrayList<>();

  @Override
  public PhaseResult run(PhaseRequest request) {
    // The phase's fixed point: histories from before continue-as-new lack the marker and keep one run.
    boolean continues = Workflow.getVersion(CONTINUE_AS_NEW, Workflow.DEFAULT_VERSION, 1) >= 1;
    this.request = request;
    this.agents = Workflow.newActivityStub(AgentActivities.class, ActivityProfiles.agentStep(request.agentAttempts()));
    this.paused = this.paused || request.paused();
    this.project =
        Workflow.newExternalWorkflowStub(
            ProjectWorkflow.class, Workflow.getInfo().getParentWorkflowId().orElseThrow());
    flags.putAll(request.flags());
    artifacts.putAll(request.knownArtifacts());
    stories.addAll(request.stories());
    lastAgent = request.lastAgent();
    fallbacks.addAll(request.fallbackAgents());
    for (StepRecord prior : request.resumed()) {
      runs.merge(prior.stepIndex() + "#" + prior.storyId(), 1, Integer::sum);
      if (!request.openGates().contains(request.phase() + "/" + prior.stepId())) {
        done.add(prior.stepId());
      }
    }
    stepRuns = request.resumed().size();
    records.addAll(request.resumed());

    List<Integer> indexes = request.stepIndexes();
    int[] loop = PhasePlan.storyLoop(request.definition(), indexes);
    if (loop == null) {
      runSteps(indexes, null);
    } else {
      runSteps(indexes.subList(0, loop[0]), null);
      List<Integer> loopSteps = indexes.subList(loop[0], loop[1]);
      if (stories.isEmpty()) {
        for (int index : loopSteps) {
          if (!done.contains(gateId(index, null))) {
            skip(index, null, "no stories are defined, so the story loop has nothing to run");
          }
        }
      } else {
        int ranHere = 0;
        List<String> all = List.copyOf(stories);
        for (int s = 0; s < all.size(); s++) {
          int before = stepRuns;
          runSteps(loopSteps, all.get(s));
          ranHere += stepRuns > before ? 1 : 0;
          if (continues && s < all.size() - 1 && ranHere > 0
              && (ranHere >= STORIES_PER_RUN || Workflow.getInfo().isContinueAsNewSuggested())) {
            continueAsNew();
          }
        }
      }
      runSteps(indexes.subList(loop[1], indexes.size()), null);
    }
    return new PhaseResult(request.phase(), stepRuns);
  }

  /**
   * Continues the phase as a new run between two stories: the request carries every record so far
   * (so the steps that ran are not run again), the phase's context and its open gates still open.
   */
  private void continueAsNew() {
    Workflow.await(Workflow::isEveryHandlerFinished);
    Set<String> ranAgain = new HashSet<>();
    records.subList(request.resumed().size(), records.size()).forEach(r -> ranAgain.add(request.phase() + "/" + r.stepId()));
    Workflow.getLogger(PhaseWorkflowImpl.class).info("project {}: phase {} continues as new after {} step runs ({} events)",
        request.projectId(), request.phase(), stepRuns, Workflow.getInfo().getHistoryLength());
    Workflow.continueAsNew(new PhaseRequest(request.projectId(), request.workspace(), request.phase(), request.definition(),
        request.stepIndexes(), List.copyOf(stories), new TreeMap<>(flags), new TreeMap<>(artifacts), lastAgent, paused,
        request.agentAttempts(), List.copyOf(records),
        request.openGates().stream().filter(g -> !ranAgain.contains(g)).toList(), List.copyOf(new java.util.TreeSet<>(fallbacks)),
        request.stepModel()));
  }

  @Override
  public void operatorDecision(OperatorDecision decision) {
    this.decision = decision;
  }

  @Override
  public void restoreContext(io.bmadflow.workflows.project.ComponentRestore restore) {
    artifacts.putAll(restore.artifacts());
    flags.putAll(restore.flags());
    restore.stories().stream().filter(s -> !stories.contains(s)).forEach(stories::add);
  }

  @Override
  public void useFallback(String agent) {
    fallbacks.add(agent);
  }

  @Override
  public void setPaused(boolean paused) {
    this.paused = paused;
  }

  private void runSteps(List<Integer> indexes, String storyId) {
    for (int pos = 0; pos < indexes.size(); pos++) {
      int index = indexes.get(pos);
      if (done.contains(gateId(index, storyId))) {
        continue; // It ran before the phase was resumed; its record is in the project's state.
      }
      DefinitionStep step = step(index);
      Workflow.await(() -> !paused);
      if (v4StepShapes()) {
        if (step.isRouting()) {
          route(index, storyId);
        } else if (step.condition() != null && !flags.getOrDefault(step.condition(), false)) {
          skip(index, storyId, "condition '" + step.condition() + "' is false");
        } else if (!step.isAgentStep()) {
          report(record(index, storyId, null, StepRecord.COMPLETED, guidance(step), null), null, null);
        } else {
          runGatedStep(indexes, pos, storyId);
        }
      } else if (!step.isAgentStep()) {
        report(record(index, storyId, null, StepRecord.COMPLETED, "guidance step, no agent work", null), null, null);
      } else if (step.condition() != null && !flags.getOrDefault(step.condition(), false)) {
        skip(index, storyId, "condition '" + step.condition() + "' is false");
      } else {
        runGatedStep(indexes, pos, storyId);
      }
    }
  }

  private boolean v4StepShapes() {
    return request.stepModel() >= PhaseRequest.V4_STEP_SHAPES;
  }

  /** What a guidance step records: its action and its notes. */
  private static String guidance(DefinitionStep step) {
    String what = step.action() != null ? step.action() : step.step();
    return "guidance (no agent runs): " + what + (step.notes() != null ? ": " + step.notes().strip() : "");
  }

  /**
   * Runs a routing step: the first route whose flag is set, else the first that continues; sets
   * the route's flags and runs its agent if it names one.
   */
  private void route(int index, String storyId) {
    DefinitionStep step = step(index);
    DefinitionRoute taken = null;
    for (DefinitionRoute route : step.routes()) {
      if (flags.getOrDefault(route.name(), false)) {
        taken = route;
        break;
      }
    }
    boolean byFlag = taken != null;
    if (taken == null) {
      taken = step.routes().stream().filter(r -> r.continueTo() != null).findFirst().orElse(null);
    }
    List<String> names = step.routes().stream().map(DefinitionRoute::name).toList();
    if (taken == null) {
      skip(index, storyId, "no route's flag (" + String.join(", ", names) + ") is set and no route continues");
      return;
    }
    Map<String, Boolean> routeFlags = new TreeMap<>();
    routeFlags.put(taken.name(), true);
    routeFlags.put(taken.name() + "_path", true);
    flags.putAll(routeFlags);
    String why = "route " + taken.name() + (byFlag ? " (its flag is set)" : " (the default: no flag of "
        + String.join(", ", names) + " is set)");
    if (taken.agent() != null) {
      AgentStepResult result = runAgent(index, storyId, taken.agent(),
          step.action() != null ? step.action() : taken.uses(), taken.uses(), taken.notes());
      report(record(index, storyId, result.agent(), StepRecord.COMPLETED, why + ": " + result.summary(),
          result.executedBy()), result, null, routeFlags);
    } else {
      report(record(index, storyId, null, StepRecord.COMPLETED, why + ": continue " + taken.continueTo()
          + (taken.notes() != null ? "; " + taken.notes().strip() : ""), null), null, null, routeFlags);
    }
  }

  /** Runs an agent step and, when it reports a gate, the gate's loops and escalation. */
  private void runGatedStep(List<Integer> indexes, int pos, String storyId) {
    int index = indexes.get(pos);
    AgentStepResult result = runAgent(index, storyId);
    GateResult gate = result.gate();
    if (gate == null) {
      report(completed(index, storyId, result), result, null);
      return;
    }
    List<Integer> fixSteps = fixSteps(indexes, pos);
    GateVerdict verdict = GateVerdict.of(gate);
    int attempts = 1;
    while (verdict == GateVerdict.FAIL && attempts <= MAX_IMPROVEMENT_LOOPS) {
      report(completed(index, storyId, result), result, null);
      setFixFlags(fixSteps, true);
      for (int fix : fixSteps) {
        Workflow.await(() -> !paused);
        AgentStepResult fixed = runAgent(fix, storyId);
        report(completed(fix, storyId, fixed), fixed, null);
      }
      result = runAgent(index, storyId);
      gate = result.gate() != null ? result.gate() : gate;
      verdict = GateVerdict.of(gate);
      attempts++;
    }
    String decidedBy = "agent";
    String note = String.join("; ", gate.issues());
    if (verdict == GateVerdict.FAIL) {
      String gateId = gateId(index, storyId);
      project.gateWaiting(new GateRecord(gateId, request.phase(), gate.gate(), result.agent(), verdict,
          gate.score(), attempts, null, note));
      Workflow.await(() -> decision != null && (decision.gateId() == null || decision.gateId().equals(gateId)));
      verdict = OperatorDecision.WAIVE.equals(decision.action()) ? GateVerdict.WAIVED : GateVerdict.PASS;
      decidedBy = "operator";
      note = decision.action() + " by " + decision.by() + ": " + decision.reason();
      decision = null;
    }
    // A passed gate clears the fix flags; CONCERNS keeps them, so the fix steps run once.
    setFixFlags(fixSteps, verdict == GateVerdict.CONCERNS);
    report(completed(index, storyId, result), result, new GateRecord(gateId(index, storyId), request.phase(),
        gate.gate(), result.agent(), verdict, gate.score(), attempts, decidedBy, note));
  }

  /** The steps that fix what a gate found: its conditional successors, else its predecessor. */
  private List<Integer> fixSteps(List<Integer> indexes, int gatePos) {
    List<Integer> fixes = new ArrayList<>();
    for (int pos = gatePos + 1; pos < indexes.size(); pos++) {
      DefinitionStep next = step(indexes.get(pos));
      if (!next.isAgentStep() || next.condition() == null) {
        break;
      }
      fixes.add(indexes.get(pos));
    }
    if (fixes.isEmpty() && gatePos > 0 && step(indexes.get(gatePos - 1)).isAgentStep()) {
      fixes.add(indexes.get(gatePos - 1));
    }
    return fixes;
  }

  private void setFixFlags(List<Integer> fixSteps, boolean value) {
    for (int fix : fixSteps) {
      String condition = step(fix).condition();
      if (condition != null) {
        flags.put(condition, value);
      }
    }
  }

  private AgentStepResult runAgent(int index, String storyId) {
    DefinitionStep step = step(index);
    return runAgent(index, storyId, step.agent(), step.action(), step.uses(), step.notes());
  }

  private AgentStepResult runAgent(int index, String storyId, String bmadAgent, String action, String uses, String notes) {
    DefinitionStep step = step(index);
    String agent = DefinitionStep.resolveAgent(bmadAgent);
    AgentStepRequest stepRequest = v4StepShapes()
        ? new AgentStepRequest(request.projectId(), request.workspace(), request.phase(), index, agent, action,
            step.creates(), step.updates(), step.validates(), step.requires(), storyId, handoffPrompt(agent), artifacts,
            false, uses, optionalStepsOn(step), notes)
        : new AgentStepRequest(
            request.projectId(),
            request.workspace(),
            request.phase(),
            index,
            agent,
            step.action(),
            step.creates(),
            step.updates(),
            step.validates(),
            step.requires(),
            storyId,
            handoffPrompt(agent),
            artifacts);
    AgentStepResult result = runOnRunner(stepRequest);
    result.artifacts().forEach(a -> artifacts.put(a.path(), a));
    flags.putAll(result.flags());
    for (String story : result.stories()) {
      if (!stories.contains(story)) {
        stories.add(story);
      }
    }
    lastAgent = agent;
    return result;
  }

  /**
   * Runs the step on the agent's primary runner, or its fallback once a hot recovery asked for
   * it: an attempt in flight when the switch arrives is cancelled and the step runs again on the
   * fallback.
   */
  private AgentStepResult runOnRunner(AgentStepRequest stepRequest) {
    String agent = stepRequest.agent();
    while (true) {
      AgentStepRequest attempt = fallbacks.contains(agent) ? stepRequest.withFallback() : stepRequest;
      Promise<AgentStepResult>[] running = new Promise[1];
      CancellationScope scope = Workflow.newCancellationScope(() -> {
        running[0] = Async.function(agents::runStep, attempt);
      });
      scope.run();
      Workflow.await(() -> running[0].isCompleted() || (!attempt.useFallback() && fallbacks.contains(agent)));
      if (running[0].isCompleted()) {
        return running[0].get();
      }
      scope.cancel("agent " + agent + " was switched to its fallback runner");
    }
  }

  /** The step's optional sub-steps whose state flag is set. */
  private List<String> optionalStepsOn(DefinitionStep step) {
    return step.optionalSteps().stream().filter(o -> flags.getOrDefault(o, false)).toList();
  }

  private StepRecord completed(int index, String storyId, AgentStepResult result) {
    String detail = result.summary();
    DefinitionStep step = step(index);
    if (v4StepShapes() && !step.optionalSteps().isEmpty()) {
      List<String> on = optionalStepsOn(step);
      List<String> off = step.optionalSteps().stream().filter(o -> !on.contains(o)).toList();
      detail += "; optional steps run: " + (on.isEmpty() ? "none" : String.join(", ", on))
          + (off.isEmpty() ? "" : "; not turned on (no state flag): " + String.join(", ", off));
    }
    return record(index, storyId, result.agent(), StepRecord.COMPLETED, detail, result.executedBy());
  }

  private void skip(int index, String storyId, String why) {
    report(record(index, storyId, null, StepRecord.SKIPPED, why, null), null, null);
  }

  private StepRecord record(int index, String storyId, String agent, String outcome, String detail, String executedBy) {
    int attempt = runs.merge(index + "#" + storyId, 1, Integer::sum);
    String kind = !v4StepShapes() ? null : agent != null ? DefinitionStep.AGENT : step(index).kind();
    return new StepRecord(index, request.phase(), step(index).label(), agent, storyId, outcome, detail, executedBy, attempt,
        kind);
  }

  private void report(StepRecord record, AgentStepResult result, GateRecord gate) {
    report(record, result, gate, Map.of());
  }

  private void report(StepRecord record, AgentStepResult result, GateRecord gate, Map<String, Boolean> stepFlags) {
    project.stepFinished(new StepFinished(record, result, gate, stepFlags));
    records.add(record);
    stepRuns++;
  }

  private DefinitionStep step(int index) {
    return request.definition().sequence().get(index);
  }

  private static String gateId(int index, String storyId) {
    return index + (storyId == null ? "" : "#" + storyId);
  }

  private String handoffPrompt(String agent) {
    if (lastAgent == null || lastAgent.equals(agent)) {
      return null;
    }
    String key = (lastAgent + "_to_" + agent).replace('-', '_').toLowerCase(Locale.ROOT);
    return request.definition().handoffPrompts().get(key);
  }

}
