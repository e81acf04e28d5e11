package io.bmadflow.workflows.project;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.checkpoint.CheckpointActivities;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.checkpoint.CheckpointPriority;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.CheckpointRequest;
import io.bmadflow.workflows.checkpoint.CheckpointTrigger;
import io.bmadflow.workflows.checkpoint.CheckpointType;
import io.bmadflow.workflows.definition.PhasePlan;
import io.bmadflow.workflows.definition.PhasePlan.PhaseSteps;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.phase.PhaseRequest;
import io.bmadflow.workflows.phase.PhaseResult;
import io.bmadflow.workflows.phase.PhaseWorkflow;
import io.temporal.failure.ApplicationFailure;
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

/** Runs a project's phases in order and checkpoints at each transition; see {@link ProjectWorkflow}. */
public class ProjectWorkflowImpl implements ProjectWorkflow {
  /** The phase name a finished project reports. */
  public static final String COMPLETE = "complete";

  private static final Logger log = Workflow.getLogger(ProjectWorkflowImpl.class);

  private final CheckpointActivities checkpoints =
      Workflow.newActivityStub(CheckpointActivities.class, ActivityProfiles.checkpointIo());

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
  private String lastAgent;

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
    List<PhaseSteps> plan = PhasePlan.of(definition);
    plan.forEach(p -> phases.add(p.phase().wire()));

    for (int i = 0; i < plan.size(); i++) {
      PhaseSteps phaseSteps = plan.get(i);
      phase = phaseSteps.phase().wire();
      log.info("project {}: phase {} starts", projectId, phase);
      PhaseWorkflow child =
          Workflow.newChildWorkflowStub(
              PhaseWorkflow.class,
              ChildWorkflowOptions.newBuilder()
                  .setWorkflowId(ProjectIds.phaseWorkflowId(projectId, phase))
                  .setTaskQueue(TaskQueues.ORCHESTRATION)
                  .build());
      PhaseResult result =
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
                  lastAgent));
      // Every step signal is in history before the child's completion; wait until all are applied.
      Workflow.await(() -> stepRunsIn(result.phase()) >= result.stepRuns());
      String from = phase;
      boolean last = i == plan.size() - 1;
      if (last) {
        phase = COMPLETE;
      }
      String to = last ? COMPLETE : plan.get(i + 1).phase().wire();
      checkpoint(
          CheckpointTrigger.PHASE_TRANSITION,
          CheckpointPriority.MEDIUM,
          "phase transition " + from + " -> " + to);
    }
    return new ProjectResult(state());
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
        definition == null ? 0 : PhasePlan.plannedStepRuns(definition, stories.size()),
        Map.copyOf(artifacts),
        Map.copyOf(agents),
        List.copyOf(stories),
        Map.copyOf(flags),
        List.copyOf(steps),
        List.copyOf(communicationLog),
        List.copyOf(checkpointRefs));
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
    if (result == null) {
      return;
    }
    String agent = result.agent();
    if (lastAgent != null && !lastAgent.equals(agent)) {
      communicationLog.add(new Handoff(lastAgent, agent, record.phase(), handoffText(agent)));
    }
    lastAgent = agent;
    result.artifacts().forEach(a -> artifacts.put(a.path(), a));
    flags.putAll(result.flags());
    result.stories().stream().filter(s -> !stories.contains(s)).forEach(stories::add);
    AgentState before = agents.getOrDefault(agent, AgentState.fresh(agent));
    List<String> produced = new ArrayList<>(before.artifacts());
    result.artifacts().stream()
        .map(ArtifactRef::path)
        .filter(p -> !produced.contains(p))
        .forEach(produced::add);
    agents.put(
        agent,
        new AgentState(
            agent, before.kind(), before.tasksCompleted() + 1, null, produced, result.summary()));
  }

  private String handoffText(String agent) {
    String key = (lastAgent + "_to_" + agent).replace('-', '_');
    return definition.handoffPrompts().getOrDefault(key, lastAgent + " hands over to " + agent);
  }

  private long stepRunsIn(String phaseName) {
    return steps.stream().filter(s -> s.phase().equals(phaseName)).count();
  }

  private void checkpoint(CheckpointTrigger trigger, CheckpointPriority priority, String reason) {
    long now = Workflow.currentTimeMillis();
    WorkflowInfo info = Workflow.getInfo();
    CheckpointRequest request =
        new CheckpointRequest(
            CheckpointIds.of(now, Workflow.randomUUID()),
            now,
            CheckpointType.AUTOMATIC,
            trigger,
            priority,
            "system",
            reason,
            info.getWorkflowId(),
            info.getRunId(),
            info.getHistoryLength(),
            state(),
            checkpointRefs.isEmpty() ? null : checkpointRefs.get(checkpointRefs.size() - 1).checkpointId());
    CheckpointRef ref = checkpoints.createCheckpoint(request);
    checkpointRefs.add(ref);
    log.info("project {}: checkpoint {} committed ({})", projectId, ref.checkpointId(), reason);
  }
}
