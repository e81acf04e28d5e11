package io.bmadflow.workflows.recovery;

import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.CP;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.PROJECT;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.RECOVERY;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.assessment;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.checkpoint;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.checks;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.request;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.stages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.bmadflow.workflows.project.ComponentRestore;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A restart (cold, and point-in-time) writes the checkpoint's workspace files, checks them, starts
 * the project paused from the checkpoint, validates and resumes it.
 */
class RestartRecoveryTest {
  private static final List<String> ALL_STATE =
      List.of(ComponentRestore.CONTEXT, ComponentRestore.PROGRESS, ComponentRestore.AGENTS);

  private final RecoveryWorkflowHarness recovery = new RecoveryWorkflowHarness();

  @AfterEach
  void stop() {
    recovery.close();
  }

  @Test
  void aLostHistoryIsRecoveredColdFromTheNewestCheckpoint() {
    RecoveryReport report = recovery.run(assessment(Assessment.NOT_FOUND), request(RecoveryStrategy.AUTO, null, false));

    assertEquals("cold", report.strategy());
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    assertEquals("run-2", report.newRunId());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "selection:ok", "planning:ok", "backup:ok",
        "restoration:ok", "validation:ok", "restoration:ok", "validation:ok", "validation:ok", "validation:ok",
        "validation:ok", "resumption:ok", "verification:ok"), stages(report));
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "restoreFiles", "check", "restart", "check",
        "check", "ping", "checkRoster", "probe", "setPaused", "awaitProgress", "writeReport"), recovery.calls());
    assertEquals(List.of(ValidationCheck.CONTEXT + ":pass", ValidationCheck.WORKFLOW_STATE + ":pass",
        ValidationCheck.AGENT_STATES + ":pass", ValidationCheck.COMMUNICATION + ":pass",
        ValidationCheck.FUNCTIONALITY + ":pass"), checks(report));
    assertTrue(report.workLost().startsWith("unknown: the workflow's state is gone"), report.workLost());
    verify(recovery.acts).chooseCheckpoint(PROJECT, null, null, null);
    verify(recovery.acts).planRestore(PROJECT, CP, ALL_STATE, null);
    verify(recovery.acts).backup(RECOVERY, PROJECT, CP, List.of("docs/prd.md"));
    verify(recovery.acts).restart(RECOVERY, PROJECT, CP, true);
    verify(recovery.acts).awaitProgress(PROJECT, 5, 120);
  }

  @Test
  void aNamedCheckpointTheProjectWasPausedAtIsRestoredPointInTimeAndLeftPaused() {
    when(recovery.acts.chooseCheckpoint(anyString(), any(), any(), any())).thenReturn(checkpoint(true));
    when(recovery.acts.planRestore(anyString(), anyString(), any(), any()))
        .thenAnswer(i -> new RestorePlan(i.getArgument(2), List.of(), 4, List.of(), List.of()));

    RecoveryReport report = recovery.run(assessment(Assessment.COMPLETED), request(RecoveryStrategy.AUTO, CP, false));

    assertEquals("point-in-time", report.strategy());
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "selection:ok", "planning:ok", "backup:ok",
        "restoration:ok", "validation:ok", "restoration:ok", "validation:ok", "validation:ok", "validation:ok",
        "validation:ok", "resumption:skipped", "verification:ok"), stages(report));
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "check", "restart", "check", "check",
        "ping", "checkRoster", "probe", "writeReport"), recovery.calls(), "no file to write, and no resume");
    assertTrue(report.workLost().startsWith("2 step(s) run again"), report.workLost());
    verify(recovery.acts).chooseCheckpoint(PROJECT, CP, null, null);
  }

  @Test
  void aDryRunChoosesAndPlansOnly() {
    RecoveryReport report = recovery.run(assessment("FAILED"), request(RecoveryStrategy.COLD, null, true));

    assertEquals(RecoveryReport.PLANNED, report.outcome());
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore"), recovery.calls());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "selection:ok", "planning:ok"), stages(report));
    assertEquals(6, report.plan().actions().size(), report.plan().actions().toString());
    assertTrue(report.plan().actions().get(3).startsWith("terminate run run-1 and start the project paused from " + CP),
        report.plan().actions().toString());
    assertEquals("none: a dry run changes nothing", report.backupLocation());
  }

  @Test
  void corruptWorkspaceFilesStopTheRecoveryBeforeTheRestart() {
    when(recovery.acts.check(ValidationCheck.CONTEXT, PROJECT, CP))
        .thenReturn(new ValidationCheck(ValidationCheck.CONTEXT, false, 3, "docs/prd.md sha256 mismatch"));

    RecoveryReport report = recovery.run(assessment(Assessment.NOT_FOUND), request(RecoveryStrategy.COLD, null, false));

    assertEquals(RecoveryReport.FAILED, report.outcome());
    assertTrue(report.error().startsWith("stage validation: validation check context_consistency failed"), report.error());
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "restoreFiles", "check", "writeReport"),
        recovery.calls());
  }
}
