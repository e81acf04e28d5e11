package io.bmadflow.workflows.recovery;

import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.CP;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.PROJECT;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.RECOVERY;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.assessment;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.checks;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.request;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.stages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.bmadflow.workflows.project.ComponentRestore;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A progressive recovery restores context, then each agent, checking after each stage. */
class ProgressiveRecoveryTest {
  private static final List<String> STAGES = List.of(ComponentRestore.CONTEXT, "agent:analyst", "agent:pm");

  private final RecoveryWorkflowHarness recovery = new RecoveryWorkflowHarness();

  @AfterEach
  void stop() {
    recovery.close();
  }

  @Test
  void aRunningProjectIsPausedRestoredStageByStageAndResumed() {
    RecoveryReport report = recovery.run(assessment(Assessment.RUNNING), request(RecoveryStrategy.PROGRESSIVE, null, false));

    assertEquals("progressive", report.strategy());
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "setPaused", "restoreFiles",
        "restoreComponents", "check", "restoreComponents", "check", "restoreComponents", "check", "check", "ping",
        "checkRoster", "probe", "setPaused", "awaitProgress", "writeReport"), recovery.calls());
    assertEquals(List.of(ValidationCheck.CONTEXT + ":pass", "agent:analyst:pass", "agent:pm:pass",
        ValidationCheck.WORKFLOW_STATE + ":pass", ValidationCheck.COMMUNICATION + ":pass",
        ValidationCheck.FUNCTIONALITY + ":pass"), checks(report));
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "selection:ok", "planning:ok", "backup:ok",
        "restoration:ok", "restoration:ok", "restoration:ok", "validation:ok", "restoration:ok", "validation:ok",
        "restoration:ok", "validation:ok", "validation:ok", "validation:ok", "validation:ok", "resumption:ok",
        "verification:ok"), stages(report));
    verify(recovery.acts).planRestore(PROJECT, CP, STAGES, null);
    verify(recovery.acts).setPaused(PROJECT, true, "recovery " + RECOVERY + ": progressive restore");
    verify(recovery.acts).restoreComponents(RECOVERY, PROJECT, CP, List.of(ComponentRestore.CONTEXT));
    verify(recovery.acts).restoreComponents(RECOVERY, PROJECT, CP, List.of("agent:analyst"));
    verify(recovery.acts).restoreComponents(RECOVERY, PROJECT, CP, List.of("agent:pm"));
    verify(recovery.acts).awaitProgress(PROJECT, 7, 120);
    assertTrue(report.workLost().startsWith("none in progress"), report.workLost());
  }

  @Test
  void aStoppedProjectIsRestartedPausedThenCheckedAgentByAgent() {
    RecoveryReport report = recovery.run(assessment("FAILED"), request(RecoveryStrategy.PROGRESSIVE, null, false));

    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    assertEquals("run-2", report.newRunId());
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "restoreFiles", "restart", "check", "check",
        "check", "check", "ping", "checkRoster", "probe", "setPaused", "awaitProgress", "writeReport"), recovery.calls());
    verify(recovery.acts).restart(RECOVERY, PROJECT, CP, true);
    verify(recovery.acts).awaitProgress(PROJECT, 5, 120);
    assertTrue(report.workLost().startsWith("2 step(s) run again"), report.workLost());
  }

  @Test
  void theFirstFailedStageStopsTheRecoveryWithTheProjectPaused() {
    when(recovery.acts.check("agent:analyst", PROJECT, CP))
        .thenReturn(new ValidationCheck("agent:analyst", false, 2, "memory differs"));

    RecoveryReport report = recovery.run(assessment(Assessment.RUNNING), request(RecoveryStrategy.PROGRESSIVE, null, false));

    assertEquals(RecoveryReport.FAILED, report.outcome());
    assertTrue(report.error().startsWith("stage validation: validation check agent:analyst failed"), report.error());
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "setPaused", "restoreFiles",
        "restoreComponents", "check", "restoreComponents", "check", "writeReport"), recovery.calls());
    verify(recovery.acts, never()).restoreComponents(RECOVERY, PROJECT, CP, List.of("agent:pm"));
    verify(recovery.acts, never()).setPaused(PROJECT, false, "recovery validated");
  }

  @Test
  void aDryRunSaysWhatEachStageWouldDo() {
    RecoveryReport report = recovery.run(assessment(Assessment.RUNNING), request(RecoveryStrategy.PROGRESSIVE, null, true));

    assertEquals(RecoveryReport.PLANNED, report.outcome());
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore"), recovery.calls());
    assertEquals(List.of("back up the 1 workspace file(s) it overwrites and the workflow's current state",
        "write 1 workspace file(s) from " + CP + ": docs/prd.md",
        "pause the project, restore its context, check context consistency", "restore and check agent analyst",
        "restore and check agent pm", "check communication and basic functionality, then resume"),
        report.plan().actions());
  }
}
