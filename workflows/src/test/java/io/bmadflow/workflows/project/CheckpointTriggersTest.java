package io.bmadflow.workflows.project;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.agents.RosterCheck;
import io.bmadflow.workflows.checkpoint.CheckpointActivities;
import io.bmadflow.workflows.checkpoint.CheckpointPolicy;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.CheckpointRequest;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.gates.OperatorDecision;
import io.bmadflow.workflows.phase.PhaseWorkflowImpl;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The checkpoint triggers of the project workflow, on Temporal's time-skipping test environment
 * with simple in-memory activities (agents that write nothing, a store that only records).
 */
class CheckpointTriggersTest {
  private TestWorkflowEnvironment env;
  private final List<CheckpointRequest> taken = new CopyOnWriteArrayList<>();
  private final List<String> verified = new CopyOnWriteArrayList<>();
  private final List<String> validated = new CopyOnWriteArrayList<>();
  private final List<String> published = new CopyOnWriteArrayList<>();
  private volatile boolean qaFails;

  /** Agents that report artifacts, stories, a gate, a critical decision and a risk, instantly. */
  class Agents implements AgentActivities {
    @Override
    public AgentStepResult runStep(AgentStepRequest r) {
      String path = "docs/" + (r.creates() != null ? r.creates() : r.agent() + "-" + r.stepIndex()) + (r.storyId() == null ? "" : "-" + r.storyId());
      List<ArtifactRef> artifacts = List.of(new ArtifactRef(path, Integer.toHexString(path.hashCode()), 10));
      List<String> stories = "shard_documents".equals(r.action()) ? List.of("1.1", "1.2") : List.of();
      GateResult gate = r.validates() != null ? new GateResult(GateResult.PO_CHECKLIST, "APPROVED", null, List.of())
          : "review_implementation".equals(r.action()) ? new GateResult(GateResult.QA_GATE, qaFails ? "FAIL" : "PASS", 90, List.of())
          : null;
      List<Decision> decisions = "architect".equals(r.agent())
          ? List.of(new Decision(null, "PostgreSQL", "fits", null, true, null)) : List.of();
      List<Risk> risks = "pm".equals(r.agent()) ? List.of(new Risk(null, "vendor outage", 4, 4, null, null)) : List.of();
      return new AgentStepResult(r.agent(), artifacts, stories, Map.of(), "done", "test", gate, decisions, risks);
    }

    @Override
    public RosterCheck checkRoster(List<String> agents) {
      return new RosterCheck(List.of(), agents);
    }

    @Override
    public io.bmadflow.workflows.agents.ProbeResult probe(io.bmadflow.workflows.agents.ProbeRequest request) {
      return new io.bmadflow.workflows.agents.ProbeResult("test", List.of(), true, "in memory");
    }
  }

  /** A store that records each request and answers with its reference. */
  class Store implements CheckpointActivities {
    @Override
    public CheckpointRef createCheckpoint(CheckpointRequest r) {
      throw new AssertionError("new workflows use the pipeline");
    }

    @Override
    public io.bmadflow.workflows.checkpoint.CapturedCheckpoint captureCheckpoint(CheckpointRequest r) {
      taken.add(r);
      return new io.bmadflow.workflows.checkpoint.CapturedCheckpoint(r.checkpointId(), "sha256:0", "req", r.parentCheckpointId(),
          Map.of("workflow_state", "valid"), 1e6, false);
    }

    @Override
    public void validateCheckpoint(String projectId, String checkpointId) {
      validated.add(checkpointId);
    }

    @Override
    public CheckpointRef publishCheckpoint(CheckpointRequest r, io.bmadflow.workflows.checkpoint.CapturedCheckpoint captured) {
      published.add(r.checkpointId());
      return new CheckpointRef(r.checkpointId(), r.type().wire(), r.trigger().wire(), r.priority().wire(),
          r.snapshot().phase(), "t", 1, 1, "sha256:0", "mem://" + r.checkpointId(), "t", false);
    }

    @Override
    public void verifyCheckpoint(String projectId, String checkpointId) {
      verified.add(checkpointId);
    }
  }

  private final List<io.bmadflow.workflows.checkpoint.CheckpointEvent> notified = new CopyOnWriteArrayList<>();

  /** Records the notifications it receives. */
  class Webhook implements io.bmadflow.workflows.checkpoint.NotificationActivities {
    @Override
    public void notifyCheckpoint(io.bmadflow.workflows.checkpoint.CheckpointEvent event) {
      notified.add(event);
    }
  }

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    Worker orchestration = env.newWorker(TaskQueues.ORCHESTRATION);
    orchestration.registerWorkflowImplementationTypes(ProjectWorkflowImpl.class, PhaseWorkflowImpl.class);
    env.newWorker(TaskQueues.AGENTS).registerActivitiesImplementations(new Agents());
    env.newWorker(TaskQueues.CHECKPOINTS).registerActivitiesImplementations(new Store(), new Webhook());
    env.start();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  private static DefinitionStep agent(String agent, String creates, String action, String validates, String repeats, String condition) {
    return new DefinitionStep(null, agent, null, action, creates, null, validates, null, null, condition, false, null, repeats, null);
  }

  static WorkflowDefinition definition() {
    return new WorkflowDefinition("test", "test", "", "greenfield", null, List.of(
        agent("analyst", "project-brief.md", null, null, null, null),
        agent("pm", "prd.md", null, null, null, null),
        agent("architect", "architecture.md", null, null, null, null),
        agent("po", null, null, "all_artifacts", null, null),
        agent("po", null, "shard_documents", null, null, null),
        agent("sm", "story.md", "create_story", null, "for_each_story", null),
        agent("dev", null, "implement_story", null, null, null),
        agent("qa", null, "review_implementation", null, null, null),
        agent("dev", null, "address_qa_feedback", null, null, "qa_left_unchecked_items"),
        new DefinitionStep("repeat_development_cycle", null, null, "continue_for_all_stories", null, null, null, null, null, null, false, null, null, null)),
        Map.of());
  }

  private ProjectWorkflow startProject(String id) {
    ProjectWorkflow project = env.getWorkflowClient().newWorkflowStub(ProjectWorkflow.class,
        WorkflowOptions.newBuilder().setWorkflowId("bmadflow-project-" + id).setTaskQueue(TaskQueues.ORCHESTRATION).build());
    WorkflowClient.start(project::run, new ProjectRequest(id, definition(), "/ws", 0, null, 0, 1,
        new CheckpointPolicy(Duration.ofHours(4), 15, 2, List.of(50, 100))));
    return project;
  }

  private Set<String> triggers() {
    return taken.stream().map(r -> r.trigger().wire()).collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  @Test
  void eachAutomaticAndIntelligentTriggerFiresAndNoStateIsCheckpointedTwice() {
    startProject("triggers");
    ProjectSnapshot end = env.getWorkflowClient().newUntypedWorkflowStub("bmadflow-project-triggers")
        .getResult(ProjectResult.class).finalState();
    assertEquals("complete", end.phase());
    // The reasons of all checkpoints, coalesced or not, name every trigger that fired.
    String reasons = taken.stream().map(CheckpointRequest::reason).collect(Collectors.joining("\n"));
    for (String expected : List.of("phase transition", "after gate", "critical decision: PostgreSQL",
        "risk 'vendor outage' scores 16", "handoff analyst -> pm", "50% progress", "100% progress",
        "agent roster changed", "stories grew to 2", "artifacts grew to")) {
      assertTrue(reasons.contains(expected), expected + " missing from:\n" + reasons);
    }
    assertTrue(triggers().contains("phase_transition"));
    assertTrue(taken.stream().anyMatch(r -> r.trigger().wire().equals("risk_event") && r.priority().wire().equals("high")
        || r.reason().contains("risk 'vendor outage'")), "the risk was checkpointed");
    // Never two checkpoints of the same state: every automatic one follows a change.
    List<Integer> versions = taken.stream().map(r -> r.snapshot().steps().size() * 1000 + r.snapshot().decisions().size() * 10
        + r.snapshot().risks().size()).toList();
    for (int i = 1; i < versions.size(); i++) {
      boolean forced = taken.get(i).trigger().wire().equals("phase_transition");
      assertTrue(forced || !versions.get(i).equals(versions.get(i - 1)), "checkpoint " + i + " repeats the state before it");
    }
    // Triggers that arrive together make one checkpoint: the architect's step is a handoff and a
    // critical decision at once.
    List<CheckpointRequest> architect = taken.stream()
        .filter(r -> r.reason().contains("critical decision: PostgreSQL") || r.reason().contains("handoff pm -> architect")).toList();
    assertEquals(1, architect.size(), architect.stream().map(CheckpointRequest::reason).toList().toString());
    assertTrue(architect.get(0).reason().contains("critical decision: PostgreSQL") && architect.get(0).reason().contains("handoff pm -> architect"));
    assertEquals("high", architect.get(0).priority().wire(), "the batch takes its highest priority");
    // High and critical checkpoints are notified, and only those.
    Set<String> highOrCritical = taken.stream().filter(r -> r.priority().wire().equals("high") || r.priority().wire().equals("critical"))
        .map(CheckpointRequest::checkpointId).collect(Collectors.toSet());
    assertTrue(!highOrCritical.isEmpty());
    assertEquals(highOrCritical, notified.stream().map(e -> e.checkpointId()).collect(Collectors.toSet()));
    // The pipeline: every checkpoint was captured, validated before it was published, then
    // read back and verified before it counted.
    List<String> ids = taken.stream().map(CheckpointRequest::checkpointId).toList();
    assertEquals(ids, validated);
    assertEquals(ids, published);
    assertEquals(ids, verified);
    assertTrue(end.checkpoints().stream().allMatch(CheckpointRef::verified));
    // Each request builds on the one before it.
    for (int i = 1; i < taken.size(); i++) {
      assertEquals(taken.get(i - 1).checkpointId(), taken.get(i).parentCheckpointId());
    }
  }

  @Test
  void timeBasedCheckpointsCountActiveTimeOnlyAndSkipAnUnchangedState() {
    qaFails = true; // The project will wait at the QA gate for an operator: active, but idle.
    ProjectWorkflow project = startProject("timed");
    env.sleep(Duration.ofMinutes(1));
    ProjectSnapshot waiting = project.state();
    assertTrue(waiting.pendingGate() != null, "waiting for an operator");
    int before = taken.size();
    // Whether the last checkpoint already holds the newest state depends on how triggers were
    // coalesced; a decision that triggers nothing makes sure the state has changed since.
    project.addDecision(new Decision(null, "Use feature flags", "safer rollout", "ops", false, null));
    env.sleep(Duration.ofHours(4).plusMinutes(1));
    List<String> timed = taken.stream().filter(r -> r.trigger().wire().equals("time_based")).map(CheckpointRequest::reason).toList();
    assertEquals(1, timed.size(), "one time-based checkpoint after 4 h of active work: " + triggers());
    env.sleep(Duration.ofHours(4).plusMinutes(1));
    assertEquals(1, taken.stream().filter(r -> r.trigger().wire().equals("time_based")).count(), "skipped: nothing changed");

    project.pause("night");
    int paused = taken.size();
    env.sleep(Duration.ofHours(9));
    assertEquals(paused, taken.size(), "paused time does not count");
    project.resume("morning");
    env.sleep(Duration.ofHours(3));
    assertEquals(paused, taken.size(), "3 h of active work is not 4");
    env.sleep(Duration.ofHours(1).plusMinutes(1));
    assertEquals(2, taken.stream().filter(r -> r.trigger().wire().equals("time_based")).count(),
        "the pause and resume changed the state, and 4 active hours passed");
    assertTrue(taken.size() > before);

    // Two manual requests at once: one checkpoint each, since an operator asked (forced), and the
    // update answers with the committed reference.
    CheckpointRef ref = project.createCheckpoint(new ManualCheckpoint("emergency", "before a risky migration", "ops"));
    CheckpointRequest last = taken.get(taken.size() - 1);
    assertEquals(ref.checkpointId(), last.checkpointId());
    assertEquals("emergency", last.trigger().wire());
    assertEquals("critical", last.priority().wire());
    assertEquals("manual", last.type().wire());
    qaFails = false;
    project.decideGate(new OperatorDecision(null, OperatorDecision.WAIVE, "ops", "known flaky test"));
    env.getWorkflowClient().newUntypedWorkflowStub("bmadflow-project-timed").getResult(ProjectResult.class);
  }
}
