package io.bmadflow.workflows.recovery;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.mockingDetails;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.ProbeResult;
import io.bmadflow.workflows.agents.RosterCheck;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.mockito.invocation.Invocation;

/**
 * The recovery workflow on the Temporal test server, its activities mocked: the recovery
 * activities on the checkpoints queue (where its probes' ping goes too) and the agent activities
 * on the agents queue, as {@code ActivityProfiles} routes them.
 *
 * <p>Every activity answers with a success by default (each check passes, every file of the plan
 * is written, the project's next step finishes); a test stubs what it wants different before
 * {@link #run}.
 */
final class RecoveryWorkflowHarness implements AutoCloseable {
  static final String RECOVERY = "rcv-20260115-143000-0a1b2c3d";
  static final String PROJECT = "p";
  static final String CP = "cp-2026-01-15-14-30-00-0a1b2c3d-0000-4000-8000-000000000000";
  static final String WORKSPACE = "/ws/p";
  static final List<String> AGENTS = List.of("analyst", "pm");

  final RecoveryActivities acts = mock(RecoveryActivities.class, withSettings().withoutAnnotations());
  final AgentActivities agents = mock(AgentActivities.class, withSettings().withoutAnnotations());
  private final TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();

  RecoveryWorkflowHarness() {
    env.newWorker(TaskQueues.ORCHESTRATION).registerWorkflowImplementationTypes(RecoveryWorkflowImpl.class);
    env.newWorker(TaskQueues.CHECKPOINTS).registerActivitiesImplementations(acts);
    env.newWorker(TaskQueues.AGENTS).registerActivitiesImplementations(agents);
    when(acts.chooseCheckpoint(anyString(), any(), any(), any())).thenReturn(checkpoint(false));
    when(acts.planRestore(anyString(), anyString(), any(), any()))
        .thenAnswer(i -> new RestorePlan(i.getArgument(2), List.of("docs/prd.md"), 3, List.of(), List.of()));
    when(acts.backup(anyString(), anyString(), anyString(), any())).thenReturn("backups/" + RECOVERY);
    when(acts.restoreFiles(anyString(), anyString(), any())).thenAnswer(i -> i.getArgument(2));
    when(acts.restart(anyString(), anyString(), anyString(), anyBoolean())).thenReturn("run-2");
    when(acts.restoreComponents(anyString(), anyString(), anyString(), any()))
        .thenAnswer(i -> "restored " + i.getArgument(3));
    when(acts.replaceAgent(anyString(), anyString())).thenAnswer(i -> "agent " + i.getArgument(1) + " moved to its fallback");
    when(acts.check(anyString(), anyString(), any())).thenAnswer(i -> new ValidationCheck(i.getArgument(0), true, 5, "ok"));
    when(acts.awaitProgress(anyString(), anyInt(), anyInt())).thenReturn(1500L);
    when(acts.ping()).thenReturn("checkpoints-worker");
    when(acts.writeReport(any())).thenReturn("docs/state/recoveries/" + RECOVERY + "/");
    when(agents.checkRoster(any())).thenReturn(new RosterCheck(List.of(), AGENTS));
    when(agents.probe(any())).thenReturn(new ProbeResult("agents-worker", List.of(), true, "no-op step ran"));
    env.start();
  }

  /** A project workflow in this state, with 7 steps completed and 3 checkpoints. */
  static Assessment assessment(String status, Assessment.FailingActivity... failing) {
    return new Assessment(status, "run-1", null, "planning", Assessment.NOT_FOUND.equals(status) ? -1 : 7, false,
        WORKSPACE, List.of(failing), 3, CP, 0, 1, List.of());
  }

  /** The checkpoint the mocked selection picks: 5 steps in, holding the analyst's and the pm's state. */
  static CheckpointChoice checkpoint(boolean paused) {
    return new CheckpointChoice(CP, 1_768_487_400_000L, "phase-complete", "planning", "create-prd", 5,
        "the newest checkpoint that verifies", List.of(), AGENTS, WORKSPACE, paused);
  }

  static RecoveryRequest request(RecoveryStrategy strategy, String checkpointId, boolean dryRun, String... components) {
    return new RecoveryRequest(RECOVERY, PROJECT, strategy, checkpointId, null, List.of(components), dryRun, "test",
        "a test", 0);
  }

  /** Runs a recovery of a project in this state to its report. */
  RecoveryReport run(Assessment assessment, RecoveryRequest request) {
    when(acts.assess(PROJECT, RecoveryRequest.DEFAULT_REACHABILITY_WAIT_SECONDS)).thenReturn(assessment);
    RecoveryWorkflow workflow = env.getWorkflowClient().newWorkflowStub(RecoveryWorkflow.class,
        WorkflowOptions.newBuilder().setWorkflowId(RecoveryIds.workflowId(request.recoveryId()))
            .setTaskQueue(TaskQueues.ORCHESTRATION).build());
    return workflow.run(request);
  }

  /** The activities the recovery called, in order, by method name. */
  List<String> calls() {
    return Stream.concat(mockingDetails(acts).getInvocations().stream(), mockingDetails(agents).getInvocations().stream())
        .filter(i -> i.getMethod().getDeclaringClass() == RecoveryActivities.class
            || i.getMethod().getDeclaringClass() == AgentActivities.class)
        .sorted(Comparator.comparingInt(Invocation::getSequenceNumber))
        .map(i -> i.getMethod().getName())
        .toList();
  }

  /** The report's stages as {@code stage:outcome}, in order. */
  static List<String> stages(RecoveryReport report) {
    return report.stages().stream().map(s -> s.stage() + ":" + s.outcome()).toList();
  }

  /** The report's checks as {@code name:pass} or {@code name:fail}, in order. */
  static List<String> checks(RecoveryReport report) {
    return report.checks().stream().map(c -> c.name() + (c.passed() ? ":pass" : ":fail")).toList();
  }

  @Override
  public void close() {
    env.close();
  }
}
