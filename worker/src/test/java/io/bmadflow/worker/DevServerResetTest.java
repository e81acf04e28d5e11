package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reset, for real, on the Temporal dev server: a running project reset to its third checkpoint,
 * by the official {@code temporal workflow reset} (which reapplies the later signals) and by
 * {@code bmadflow reset}, has its workspace rewound by the worker before any step runs again and
 * ends with the workspace and state of an uninterrupted run; a reset to an event no checkpoint
 * covers says in its report what could not be rewound.
 */
class DevServerResetTest {
  /** Long enough steps that the project is still running when the test resets it. */
  private static final long STEP_MS = 150;
  /** The trigger that names a checkpoint taken between two phases (any other is taken while a phase runs). */
  private static final String PHASE_TRANSITION = io.bmadflow.workflows.checkpoint.CheckpointTrigger.PHASE_TRANSITION.wire();

  @TempDir static Path dataDir;
  static StackFixture stack;
  static BmadflowWorker worker;

  @BeforeAll
  static void startStack() throws Exception {
    stack = DevServerFixture.start(dataDir.resolve("stack"));
    worker = stack.worker("reset-worker", STEP_MS);
  }

  /** A project's uninterrupted twin: the same project id (the agents write it into their files), its own workspace. */
  record Twin(Map<String, Object> state, Map<String, String> workspace) {}

  private static Twin uninterrupted(String project) throws Exception {
    Path workspace = ws(project + "-twin");
    stack.start(project, workspace);
    return new Twin(Outcomes.comparable(stack.await(project).finalState()), Outcomes.workspace(workspace));
  }

  @AfterAll
  static void stop() {
    if (worker != null) {
      worker.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  void theTemporalClisResetToTheThirdCheckpointRewindsTheWorkspace() throws Exception {
    String project = "reset-by-cli";
    Twin twin = uninterrupted(project);
    Reached reached = runPastTheThirdCheckpoint(project);
    // The official CLI with its defaults: the signals after the reset point are reapplied.
    temporalCli("workflow", "reset", "--workflow-id", ProjectIds.workflowId(project), "--run-id", reached.at().runId(),
        "--event-id", String.valueOf(reached.at().historyEventId()), "--reason", "operator reset to the third checkpoint");
    assertEndsAsUninterruptedWithTheWorkspaceRewound(project, reached, twin);
  }

  @Test
  void bmadflowResetToTheThirdCheckpointRewindsTheWorkspace() throws Exception {
    String project = "reset-by-bmadflow";
    Twin twin = uninterrupted(project);
    Reached reached = runPastTheThirdCheckpoint(project);
    StackFixture.CliResult reset = stack.cli("reset", "--project", project, "--checkpoint", reached.checkpoint().checkpointId());
    assertEquals(0, reset.code(), reset.err());
    assertTrue(reset.out().contains("rewind"), reset.out());
    StackFixture.CliResult status = stack.cli("status", "--project", project);
    assertTrue(status.out().contains("web ui:     " + stack.stack.workflowLink(project)), status.out());
    assertEndsAsUninterruptedWithTheWorkspaceRewound(project, reached, twin);
  }

  @Test
  void aResetToAnEventNoCheckpointCoversSaysWhatWasNotRewound() throws Exception {
    String project = "reset-uncovered";
    Twin twin = uninterrupted(project);
    Reached reached = runPastTheThirdCheckpoint(project);
    List<HistoryEvent> history = stack.temporal.client().fetchHistory(ProjectIds.workflowId(project), reached.at().runId())
        .getEvents();
    long firstTask = history.stream().filter(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
        .findFirst().orElseThrow().getEventId();
    temporalCli("workflow", "reset", "--workflow-id", ProjectIds.workflowId(project), "--run-id", reached.at().runId(),
        "--event-id", String.valueOf(firstTask), "--reason", "reset to the first workflow task");
    ProjectSnapshot end = stack.await(project).finalState();
    assertEquals(ProjectSnapshot.COMPLETE, end.phase());
    RecoveryReport report = rewindReport(project);
    assertEquals(RecoveryReport.FAILED, report.outcome(), report.toString());
    assertTrue(report.error().contains("no checkpoint of this run's history was taken at or before event " + firstTask),
        report.error());
    assertEquals(null, report.checkpoint());
    // Nothing was rewound, and the steps that ran again rewrote their files: the same end.
    assertEquals(twin.workspace(), Outcomes.workspace(ws(project)));
    assertEquals(twin.state(), Outcomes.comparable(end));
  }

  @Test
  void aResetIntoARunningPhaseLeavesThatPhasesFilesAndSaysWhy() throws Exception {
    String project = "reset-mid-phase";
    Twin twin = uninterrupted(project);
    // The first checkpoint inside a phase (a handoff while planning runs); two later, planning has ended.
    Reached reached = runPast(project, c -> !PHASE_TRANSITION.equals(c.trigger()), 1);
    temporalCli("workflow", "reset", "--workflow-id", ProjectIds.workflowId(project), "--run-id", reached.at().runId(),
        "--event-id", String.valueOf(reached.at().historyEventId()), "--reason", "reset into a running phase");
    ProjectSnapshot end = stack.await(project).finalState();
    assertEquals(ProjectSnapshot.COMPLETE, end.phase());
    RecoveryReport report = rewindReport(project);
    assertEquals(RecoveryReport.FAILED, report.outcome(), report.toString());
    assertTrue(report.error().contains("is inside phase [" + ProjectIds.phaseWorkflowId(project, reached.checkpoint().phase())
        + " (run "), report.error());
    assertTrue(report.error().contains("which Temporal does not reset"), report.error());
    // The phase went on (Temporal copied its end into the new run), its files kept: the same end.
    assertEquals(twin.workspace(), Outcomes.workspace(ws(project)));
    assertEquals(twin.state(), Outcomes.comparable(end));
  }

  /** Where a project was when the test reset it: a checkpoint and the event it records. */
  record Reached(CheckpointRef checkpoint, CheckpointMetadata.TemporalReference at, Map<String, String> workspaceAtReset) {}

  /**
   * Runs the project past its third checkpoint, the second taken at a phase transition (between
   * phases, where a reset rewinds the files); which of the triggers of a phase's end fold into one
   * checkpoint varies with timing, so it is found by its trigger, not by its index.
   */
  private Reached runPastTheThirdCheckpoint(String project) throws Exception {
    return runPast(project, c -> PHASE_TRANSITION.equals(c.trigger()), 2);
  }

  /**
   * Starts the project and waits until it is two checkpoints past the {@code nth} (1-based) that
   * {@code which} accepts: files change after it.
   */
  private Reached runPast(String project, java.util.function.Predicate<CheckpointRef> which, int nth) throws Exception {
    stack.start(project, ws(project));
    CheckpointRef chosen = stack.awaitPast(project, which, nth);
    CheckpointMetadata.TemporalReference at = stack.store.metadata(project, chosen.checkpointId()).temporal();
    assertNotNull(at, "the checkpoint records no Temporal reference");
    return new Reached(chosen, at, Outcomes.workspace(ws(project)));
  }

  private void assertEndsAsUninterruptedWithTheWorkspaceRewound(String project, Reached reached, Twin twin)
      throws Exception {
    ProjectSnapshot end = stack.await(project).finalState();
    assertEquals(twin.state(), Outcomes.comparable(end));
    assertEquals(twin.workspace(), Outcomes.workspace(ws(project)));

    RecoveryReport report = rewindReport(project);
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), String.valueOf(report.error()));
    assertEquals(reached.checkpoint().checkpointId(), report.checkpoint().checkpointId());
    assertNotEquals(reached.at().runId(), report.newRunId());
    // The workspace had moved on from the checkpoint, so the rewind changed files: it ran.
    Map<String, String> atCheckpoint = checkpointWorkspace(project, reached.checkpoint().checkpointId());
    assertNotEquals(atCheckpoint, reached.workspaceAtReset(), "the project had not moved on from the checkpoint");
    assertFalse(report.plan().actions().isEmpty(), report.toString());
    // The report is the one `bmadflow recovery show` prints.
    StackFixture.CliResult shown = stack.cli("recovery", "show", "--project", project, report.recoveryId());
    assertEquals(0, shown.code(), shown.err());
    assertTrue(shown.out().contains("reset-rewind") && shown.out().contains(reached.checkpoint().checkpointId()), shown.out());
  }

  /** The workspace files a checkpoint holds, with their SHA-256. */
  private static Map<String, String> checkpointWorkspace(String project, String checkpointId) {
    return new java.util.TreeMap<>(stack.store.open(project, checkpointId).workspaceFiles());
  }

  private static RecoveryReport rewindReport(String project) throws InterruptedException {
    return stack.awaitReport(project, "reset-rewind");
  }

  private static void temporalCli(String... args) throws IOException, InterruptedException {
    stack.temporalCli(args);
  }

  private static Path ws(String project) throws IOException {
    return Files.createDirectories(stack.allowedWorkspaces.resolve("workspaces-" + project));
  }
}
