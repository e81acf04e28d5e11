package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.phase.PhaseWorkflowImpl;
import io.bmadflow.workflows.project.ProjectWorkflowImpl;
import io.bmadflow.workflows.recovery.RecoveryIds;
import io.bmadflow.workflows.recovery.RecoveryWorkflowImpl;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.ValidationCheck;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * The seed's recovery scenarios end to end on the dev stack, through the CLI: a lost cluster
 * recovered cold, a corrupted newest checkpoint, a deleted PRD, a dry run, a storage outage
 * during recovery, warm/selective/progressive restores into a running project, and the reset
 * command's cold fallback. The tests run in order on one project's history.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecoveryTest {
  private static final String PROJECT = "recovered";

  @TempDir static Path dataDir;
  static StackFixture fixture;
  static Map<String, Object> uninterrupted;
  static Map<String, String> uninterruptedWorkspace;
  static BmadflowWorker worker;
  static Path workspace;

  @BeforeAll
  static void runUninterrupted() throws Exception {
    try (StackFixture baseline = new StackFixture(dataDir.resolve("baseline-stack"));
        BmadflowWorker w = baseline.worker("baseline", 0)) {
      baseline.start(PROJECT, dataDir.resolve("baseline-ws"));
      uninterrupted = Outcomes.withoutCheckpoints(baseline.await(PROJECT).finalState());
    }
    uninterruptedWorkspace = Outcomes.workspace(dataDir.resolve("baseline-ws"));
    // The workers' default workspace of the project: where a recovery from a lost cluster (which
    // no longer knows the project's run, and so its workspace) restores it.
    workspace = dataDir.resolve("stack").resolve("workspaces").resolve(PROJECT);
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
    if (fixture != null) {
      fixture.close();
    }
  }

  @Test
  @Order(1)
  void aLostClusterIsRecoveredColdFromS3AndFinishesLikeAnUninterruptedRun() throws Exception {
    Path stackDir = dataDir.resolve("stack");
    fixture = new StackFixture(stackDir);
    BmadflowWorker first = fixture.worker("before-the-loss", 100);
    fixture.start(PROJECT, null);
    assertEquals(workspace.toAbsolutePath().normalize(), fixture.workspaces.resolve(PROJECT).toAbsolutePath().normalize());
    ProjectSnapshot atLoss = fixture.awaitState(PROJECT, s -> s.stepsCompleted() >= 12 && s.checkpoints().size() >= 2);
    first.kill();
    fixture.close(); // Temporal's history is gone with it; S3's data stays on disk.

    fixture = new StackFixture(stackDir);
    worker = fixture.worker("after-the-loss", 0);
    StackFixture.CliResult result = fixture.cli("recover", "--project", PROJECT, "--reason", "cluster lost");
    assertEquals(0, result.code(), result.out() + result.err());
    assertTrue(result.out().contains("Outcome: **recovered**"), result.out());
    assertTrue(result.out().contains("Strategy: cold"), result.out());
    assertTrue(result.out().contains("complete system failure"), result.out());
    for (String check : List.of(ValidationCheck.CONTEXT, ValidationCheck.WORKFLOW_STATE, ValidationCheck.AGENT_STATES,
        ValidationCheck.COMMUNICATION, ValidationCheck.FUNCTIONALITY)) {
      assertTrue(result.out().contains("| " + check + " | pass |"), check + " did not pass:\n" + result.out());
    }

    ProjectSnapshot end = fixture.await(PROJECT).finalState();
    assertEquals(uninterrupted, Outcomes.withoutCheckpoints(end));
    assertEquals(Outcomes.stateHash(end), sha(uninterrupted));
    assertEquals(uninterruptedWorkspace, Outcomes.workspace(workspace));
    assertTrue(end.stepsCompleted() > atLoss.stepsCompleted());

    String recoveryId = fixture.store.recoveries(PROJECT).get(0);
    StackFixture.CliResult shown = fixture.cli("recovery", "show", recoveryId);
    assertEquals(0, shown.code(), shown.err());
    assertTrue(shown.out().contains("# Recovery " + recoveryId + " of project " + PROJECT), shown.out());
    replayAndRecord(List.of(RecoveryIds.workflowId(recoveryId), ProjectIds.workflowId(PROJECT)), "recovery-cold");
  }

  /**
   * The recovery's history and the restarted project's (resumed part way through a phase) replay
   * on the current code; with {@code -Dbmadflow.recordHistories=DIR} they are written there for
   * {@link RecordedHistoriesTest}.
   */
  private static void replayAndRecord(List<String> workflowIds, String label) throws Exception {
    String recordTo = System.getProperty("bmadflow.recordHistories");
    for (String workflowId : workflowIds) {
      WorkflowExecutionHistory history = fixture.temporal.client().fetchHistory(workflowId);
      WorkflowReplayer.replayWorkflowExecution(history.toJson(false), ProjectWorkflowImpl.class, PhaseWorkflowImpl.class,
          RecoveryWorkflowImpl.class);
      if (recordTo != null) {
        String kind = workflowId.startsWith("bmadflow-recovery-") ? "workflow" : "project";
        Files.writeString(Path.of(recordTo).resolve(label + "-" + kind + ".json"), history.toJson(true));
      }
    }
  }

  @Test
  @Order(2)
  void aCorruptedNewestCheckpointIsSkippedAndTheOneBeforeItIsUsed() throws Exception {
    List<CheckpointSummary> checkpoints = fixture.store.list(PROJECT);
    String newest = checkpoints.get(checkpoints.size() - 1).checkpointId();
    String before = checkpoints.get(checkpoints.size() - 2).checkpointId();
    String key = PackagePaths.packagePrefix(fixture.store.settings().prefix(), PROJECT, newest) + PackagePaths.WORKFLOW_STATE;
    fixture.s3.putObject(b -> b.bucket(fixture.store.settings().bucket()).key(key),
        RequestBody.fromString("{\"tampered\": true}"));

    StackFixture.CliResult result = fixture.cli("recover", "--project", PROJECT, "--strategy", "cold", "--json");
    assertEquals(0, result.code(), result.out() + result.err());
    RecoveryReport report = PackageJson.read(result.out().getBytes(StandardCharsets.UTF_8), RecoveryReport.class);
    assertEquals(before, report.checkpoint().checkpointId());
    assertEquals(newest, report.checkpoint().skipped().get(0).checkpointId());
    assertTrue(report.checkpoint().skipped().get(0).reason().contains("does not verify"), report.checkpoint().skipped().toString());
    assertTrue(report.checkpoint().skipped().get(0).reason().contains(PackagePaths.WORKFLOW_STATE));

    ProjectSnapshot end = fixture.await(PROJECT).finalState();
    assertEquals(uninterrupted, Outcomes.withoutCheckpoints(end));
    assertEquals(uninterruptedWorkspace, Outcomes.workspace(workspace));
  }

  @Test
  @Order(3)
  void aDeletedPrdIsRestoredWithoutTouchingOtherFiles() throws Exception {
    Path prd = workspace.resolve("docs/prd.md");
    Files.delete(prd);
    Map<String, Long> othersBefore = Outcomes.modificationTimes(workspace);
    Map<String, String> hashesBefore = Outcomes.workspace(workspace);
    String runBefore = fixture.client.status(PROJECT).runId();

    StackFixture.CliResult result = fixture.cli("recover", "--project", PROJECT, "--components", "file:docs/prd.md");
    assertEquals(0, result.code(), result.out() + result.err());
    assertTrue(result.out().contains("Strategy: selective"), result.out());
    assertTrue(result.out().contains("| file:docs/prd.md | pass |"), result.out());

    assertEquals(uninterruptedWorkspace.get("docs/prd.md"), Outcomes.workspace(workspace).get("docs/prd.md"));
    Map<String, Long> othersAfter = Outcomes.modificationTimes(workspace);
    othersAfter.remove("docs/prd.md");
    assertEquals(othersBefore, othersAfter);
    Map<String, String> hashesAfter = Outcomes.workspace(workspace);
    hashesAfter.remove("docs/prd.md");
    assertEquals(hashesBefore, hashesAfter);
    assertEquals(runBefore, fixture.client.status(PROJECT).runId(), "a file restore must not touch the workflow");

    StackFixture.CliResult traversal = fixture.cli("recover", "--project", PROJECT, "--components", "file:../outside.md");
    assertEquals(2, traversal.code());
    assertTrue(traversal.err().contains("not a safe workspace path"), traversal.err());
  }

  @Test
  @Order(4)
  void aDryRunPrintsThePlanAndChangesNothing() throws Exception {
    Map<String, String> s3Before = s3Objects();
    Map<String, Long> timesBefore = Outcomes.modificationTimes(workspace);
    Map<String, String> filesBefore = Outcomes.workspace(workspace);
    String runBefore = fixture.client.status(PROJECT).runId();

    StackFixture.CliResult result = fixture.cli("recover", "--project", PROJECT, "--strategy", "cold", "--dry-run");
    assertEquals(0, result.code(), result.out() + result.err());
    assertTrue(result.out().contains("Outcome: **planned**"), result.out());
    assertTrue(result.out().contains("## Checkpoint"), result.out());
    assertTrue(result.out().contains("Why: the newest checkpoint that verifies"), result.out());
    assertTrue(result.out().contains("## Plan"), result.out());
    assertTrue(result.out().contains("Work lost:"), result.out());

    assertEquals(s3Before, s3Objects());
    assertEquals(timesBefore, Outcomes.modificationTimes(workspace));
    assertEquals(filesBefore, Outcomes.workspace(workspace));
    assertEquals(runBefore, fixture.client.status(PROJECT).runId());
  }

  @Test
  @Order(5)
  void aRecoveryWaitsOutAStorageOutageAndReportsIt() throws Exception {
    fixture.stack.stopS3();
    CompletableFuture<Void> restart = CompletableFuture.runAsync(() -> {
      try {
        Thread.sleep(3_000);
        fixture.stack.startS3();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    StackFixture.CliResult result = fixture.cli("recover", "--project", PROJECT, "--strategy", "cold", "--dry-run", "--json");
    restart.join();
    assertEquals(0, result.code(), result.out() + result.err());
    RecoveryReport report = PackageJson.read(result.out().getBytes(StandardCharsets.UTF_8), RecoveryReport.class);
    assertTrue(report.assessment().storageOutageMillis() >= 2_000, "outage " + report.assessment().storageOutageMillis());
    assertTrue(report.assessment().storageAttempts() > 1);
    assertTrue(report.scenario().startsWith("network partition"), report.scenario());
  }

  @Test
  @Order(6)
  void warmSelectiveAndProgressiveRestoresWorkOnARunningProject() throws Exception {
    String project = "running";
    worker.close();
    worker = fixture.worker("slow", 100);
    fixture.start(project, dataDir.resolve("ws-running"));
    fixture.awaitState(project, s -> s.stepsCompleted() >= 8);
    fixture.client.pause(project, "test");
    fixture.awaitState(project, ProjectSnapshot::paused);
    fixture.client.createCheckpoint(project, new ManualCheckpoint("user", "before restores", "test"));

    StackFixture.CliResult selective = fixture.cli("recover", "--project", project, "--strategy", "selective",
        "--components", "agent:analyst,context");
    assertEquals(0, selective.code(), selective.out() + selective.err());
    assertTrue(selective.out().contains("| agent:analyst | pass |"), selective.out());
    assertTrue(selective.out().contains("| context_consistency | pass |"), selective.out());

    StackFixture.CliResult warm = fixture.cli("recover", "--project", project, "--strategy", "warm");
    assertEquals(0, warm.code(), warm.out() + warm.err());
    assertTrue(warm.out().contains("| agent_states | pass |"), warm.out());
    assertTrue(warm.out().contains("| workflow_state | pass |"), warm.out());

    StackFixture.CliResult progressive = fixture.cli("recover", "--project", project, "--strategy", "progressive", "--json");
    assertEquals(0, progressive.code(), progressive.out() + progressive.err());
    RecoveryReport report = PackageJson.read(progressive.out().getBytes(StandardCharsets.UTF_8), RecoveryReport.class);
    List<String> order = report.checks().stream().map(ValidationCheck::name).toList();
    assertEquals(ValidationCheck.CONTEXT, order.get(0), order.toString());
    assertTrue(order.indexOf("agent:analyst") > 0 && order.indexOf("agent:pm") > order.indexOf("agent:analyst"), order.toString());
    assertTrue(report.resumedInMillis() >= 0, "the project did not resume");
    ProjectSnapshot end = fixture.await(project).finalState();
    assertEquals("complete", end.phase());
  }

  @Test
  @Order(7)
  void resetFallsBackToColdRecoveryWhereTheServerCannotReset() throws Exception {
    // An earlier checkpoint that verifies (test 2 corrupted one, somewhere among the older ones).
    List<CheckpointSummary> checkpoints = fixture.store.list(PROJECT);
    String target = null;
    for (int i = checkpoints.size() - 3; i >= 0 && target == null; i--) {
      if (fixture.store.verify(PROJECT, checkpoints.get(i).checkpointId()).ok()) {
        target = checkpoints.get(i).checkpointId();
      }
    }
    StackFixture.CliResult result = fixture.cli("reset", "--project", PROJECT, "--checkpoint", target);
    assertEquals(0, result.code(), result.out() + result.err());
    assertTrue(result.out().contains("Falling back to a cold recovery from checkpoint " + target), result.out());
    assertTrue(result.out().contains("Strategy: cold"), result.out());
    ProjectSnapshot end = fixture.await(PROJECT).finalState();
    assertEquals(uninterrupted, Outcomes.withoutCheckpoints(end));
  }

  @Test
  @Order(8)
  void aFailingAgentIsMovedToItsFallbackByAHotRecoveryWithoutRestartingTheWorkflow() throws Exception {
    worker.close();
    // pm's primary runner always fails; its fallback is the built-in pm, used only when a recovery asks.
    worker = fixture.worker("failing-pm", io.bmadflow.activities.agents.AgentRoster.fromEnvironment(Map.of(
        "BMADFLOW_AGENT_COMMAND_PM", "/bin/false", "BMADFLOW_AGENT_FALLBACK_PM", "builtin",
        "BMADFLOW_AGENT_FALLBACK_AFTER", "0"), new io.bmadflow.activities.agents.BuiltInAgentRunner(java.time.Duration.ZERO)));
    Path hotWorkspace = dataDir.resolve("ws-hot");
    fixture.start(PROJECT, hotWorkspace);
    String run = fixture.client.status(PROJECT).runId();

    RecoveryReport plan = null;
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (System.nanoTime() < deadline && (plan == null || !"hot".equals(plan.strategy()))) {
      StackFixture.CliResult dry = fixture.cli("recover", "--project", PROJECT, "--dry-run", "--json");
      plan = PackageJson.read(dry.out().getBytes(StandardCharsets.UTF_8), RecoveryReport.class);
    }
    assertEquals("hot", plan.strategy(), "the assessment never saw pm failing: " + plan.scenario());
    assertTrue(plan.scenario().contains("agent failure: agent pm is failing"), plan.scenario());

    StackFixture.CliResult result = fixture.cli("recover", "--project", PROJECT, "--json");
    assertEquals(0, result.code(), result.out() + result.err());
    RecoveryReport report = PackageJson.read(result.out().getBytes(StandardCharsets.UTF_8), RecoveryReport.class);
    assertEquals("hot", report.strategy());
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    assertTrue(report.resumedInMillis() >= 0);

    ProjectSnapshot end = fixture.await(PROJECT).finalState();
    assertEquals(run, fixture.client.status(PROJECT).runId(), "a hot recovery must not restart the workflow");
    assertEquals(uninterrupted, Outcomes.withoutCheckpoints(end));
    assertTrue(end.steps().stream().filter(s -> "pm".equals(s.agent()))
        .allMatch(s -> s.executedBy().endsWith("(fallback)")), "pm's steps did not run on the fallback");
    assertEquals(List.of("pm"), end.fallbackAgents());
  }

  @Test
  @Order(9)
  void badRequestsAreRefusedBeforeAnythingRuns() {
    StackFixture.CliResult strategy = fixture.cli("recover", "--project", PROJECT, "--strategy", "lukewarm");
    assertEquals(2, strategy.code());
    assertTrue(strategy.err().contains("unknown recovery strategy 'lukewarm'"), strategy.err());
    StackFixture.CliResult both = fixture.cli("recover", "--project", PROJECT, "--at", "2026-01-01T00:00:00Z",
        "--checkpoint", "cp-2026-01-01-00-00-00-00000000-0000-0000-0000-000000000000");
    assertEquals(2, both.code());
    StackFixture.CliResult time = fixture.cli("recover", "--project", PROJECT, "--at", "yesterday");
    assertEquals(2, time.code());
    assertTrue(time.err().contains("ISO-8601"), time.err());
    StackFixture.CliResult tooEarly = fixture.cli("recover", "--project", PROJECT, "--at", "2000-01-01T00:00:00Z");
    assertEquals(1, tooEarly.code(), tooEarly.out());
    assertTrue(tooEarly.out().contains("has no checkpoint taken at or before 2000-01-01T00:00:00Z"), tooEarly.out());
    StackFixture.CliResult unknown = fixture.cli("recovery", "show", "rcv-20000101-000000-00000000");
    assertEquals(1, unknown.code());
    assertTrue(unknown.err().contains("no report of recovery rcv-20000101-000000-00000000"), unknown.err());
    StackFixture.CliResult hotOnCompleted = fixture.cli("recover", "--project", PROJECT, "--strategy", "hot");
    assertNotEquals(0, hotOnCompleted.code());
    assertFalse((hotOnCompleted.out() + hotOnCompleted.err()).isBlank());
  }

  @Test
  @Order(10)
  void anInteractiveRecoveryWalksTheManualStepsAndAsksBeforeChangingAnything() throws Exception {
    java.io.InputStream stdin = System.in;
    try {
      // Choose the suggested checkpoint, then decline: nothing changes.
      System.setIn(new java.io.ByteArrayInputStream("\nn\n".getBytes(StandardCharsets.UTF_8)));
      Map<String, String> before = s3Objects();
      StackFixture.CliResult declined = fixture.cli("recover", "--project", PROJECT, "--interactive");
      assertEquals(0, declined.code(), declined.out() + declined.err());
      for (String step : List.of("== 1. Failure analysis", "== 2. Recovery planning", "== 3. Checkpoint selection",
          "== 4. Recovery execution", "Work lost:", "Nothing was changed.")) {
        assertTrue(declined.out().contains(step), step + " missing:\n" + declined.out());
      }
      assertEquals(before, s3Objects());

      // Choose the second candidate and confirm: it is restored.
      List<CheckpointSummary> all = fixture.store.list(PROJECT);
      String second = all.get(all.size() - 2).checkpointId();
      System.setIn(new java.io.ByteArrayInputStream("2\ny\n".getBytes(StandardCharsets.UTF_8)));
      StackFixture.CliResult confirmed = fixture.cli("recover", "--project", PROJECT, "--interactive");
      assertEquals(0, confirmed.code(), confirmed.out() + confirmed.err());
      assertTrue(confirmed.out().contains("== 5. Workflow resumption and report"), confirmed.out());
      assertTrue(confirmed.out().contains("Outcome: **recovered**"), confirmed.out());
      assertTrue(confirmed.out().contains("- " + second + ", taken"), confirmed.out());
      assertEquals("complete", fixture.await(PROJECT).finalState().phase());
    } finally {
      System.setIn(stdin);
    }
  }

  @Test
  @Order(11)
  void readinessReportsThePointsTheEstimatesAndTheScore() throws Exception {
    StackFixture.CliResult human = fixture.cli("readiness", "--project", PROJECT);
    assertEquals(0, human.code(), human.err());
    assertTrue(human.out().contains("Recovery readiness of project " + PROJECT + ": score"), human.out());
    assertTrue(human.out().contains("recovery time estimates"), human.out());

    StackFixture.CliResult json = fixture.cli("readiness", "--project", PROJECT, "--json");
    assertEquals(0, json.code(), json.err());
    io.bmadflow.infra.recovery.Readiness r = PackageJson.read(json.out().getBytes(StandardCharsets.UTF_8),
        io.bmadflow.infra.recovery.Readiness.class);
    assertEquals(fixture.store.list(PROJECT).stream().filter(c -> "passed".equals(c.validationStatus())).count(),
        r.recoveryPoints());
    assertTrue(r.newestPointAgeSeconds() >= 0 && r.newestPointAgeSeconds() < 600, "age " + r.newestPointAgeSeconds());
    assertTrue(r.estimatedSeconds().containsKey("cold"), r.estimatedSeconds().toString());
    assertEquals("the project's recoveries", r.estimateSource());
    assertTrue(r.planAgeSeconds() >= 0 && r.planAgeSeconds() < 600);
    assertEquals(0, r.drillsRun());
    double sum = r.scoreParts().stream().mapToDouble(io.bmadflow.infra.recovery.Readiness.ScorePart::points).sum();
    assertEquals(Math.round(sum * 10) / 10.0, r.score(), 0.001);
    // Points, depth, freshness and a cold estimate within target; no drills: 30 + 10 + ~20 + 0 + 0 + 10.
    assertTrue(r.score() > 65 && r.score() <= 70, "score " + r.score());
  }

  private static String sha(Map<String, Object> comparable) {
    return io.bmadflow.infra.checkpoint.Sha256.hex(comparable.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** Every object in the bucket with its ETag. */
  private static Map<String, String> s3Objects() {
    Map<String, String> objects = new TreeMap<>();
    fixture.s3.listObjectsV2Paginator(b -> b.bucket(fixture.store.settings().bucket()))
        .contents().forEach(o -> objects.put(o.key(), o.eTag()));
    return objects;
  }
}
