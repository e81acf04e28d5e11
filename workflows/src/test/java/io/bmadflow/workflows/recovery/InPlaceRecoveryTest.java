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
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.bmadflow.workflows.project.ComponentRestore;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Warm and selective recoveries restore state into the running workflow and validate it, without a resume. */
class InPlaceRecoveryTest {
  private static final List<String> ALL_STATE =
      List.of(ComponentRestore.CONTEXT, ComponentRestore.PROGRESS, ComponentRestore.AGENTS);

  private final RecoveryWorkflowHarness recovery = new RecoveryWorkflowHarness();

  @AfterEach
  void stop() {
    recovery.close();
  }

  @Test
  void aWarmRecoveryRestoresEveryStateComponentIntoTheRunningWorkflow() {
    RecoveryReport report = recovery.run(assessment(Assessment.RUNNING), request(RecoveryStrategy.WARM, null, false));

    assertEquals("warm", report.strategy());
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "selection:ok", "planning:ok", "backup:ok",
        "restoration:ok", "restoration:ok", "validation:ok", "validation:ok", "validation:ok", "validation:ok",
        "validation:ok", "verification:ok"), stages(report));
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "restoreFiles", "restoreComponents",
        "check", "check", "check", "ping", "checkRoster", "probe", "writeReport"), recovery.calls());
    assertEquals(List.of(ValidationCheck.CONTEXT + ":pass", ValidationCheck.WORKFLOW_STATE + ":pass",
        ValidationCheck.AGENT_STATES + ":pass", ValidationCheck.COMMUNICATION + ":pass",
        ValidationCheck.FUNCTIONALITY + ":pass"), checks(report));
    assertTrue(report.workLost().startsWith("none in progress"), report.workLost());
    verify(recovery.acts).planRestore(PROJECT, CP, ALL_STATE, null);
    verify(recovery.acts).restoreComponents(RECOVERY, PROJECT, CP, ALL_STATE);
  }

  @Test
  void aSelectiveRecoveryRestoresOnlyTheNamedComponentsAndFiles() {
    RecoveryReport report = recovery.run(assessment(Assessment.RUNNING),
        request(RecoveryStrategy.AUTO, null, false, "agent:pm", "file:docs/prd.md"));

    assertEquals("selective", report.strategy());
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "restoreFiles", "restoreComponents",
        "check", "check", "ping", "checkRoster", "probe", "writeReport"), recovery.calls());
    assertEquals(List.of("agent:pm:pass", "file:docs/prd.md:pass", ValidationCheck.COMMUNICATION + ":pass",
        ValidationCheck.FUNCTIONALITY + ":pass"), checks(report));
    verify(recovery.acts).chooseCheckpoint(PROJECT, null, null, null);
    verify(recovery.acts).planRestore(PROJECT, CP, List.of("agent:pm"), List.of("docs/prd.md"));
    verify(recovery.acts).restoreComponents(RECOVERY, PROJECT, CP, List.of("agent:pm"));
  }

  @Test
  void everyCheckRunsBeforeAFailedOneStopsTheRecovery() {
    when(recovery.acts.check(ValidationCheck.WORKFLOW_STATE, PROJECT, CP))
        .thenReturn(new ValidationCheck(ValidationCheck.WORKFLOW_STATE, false, 2, "progress differs"));

    RecoveryReport report = recovery.run(assessment(Assessment.RUNNING), request(RecoveryStrategy.WARM, null, false));

    assertEquals(RecoveryReport.FAILED, report.outcome());
    assertTrue(report.error().startsWith("stage validation: validation check workflow_state failed: progress differs"),
        report.error());
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "restoreFiles", "restoreComponents",
        "check", "check", "check", "ping", "checkRoster", "probe", "writeReport"), recovery.calls());
  }

  @Test
  void aWarmRecoveryOfAStoppedWorkflowIsRefused() {
    RecoveryReport report = recovery.run(assessment("FAILED"), request(RecoveryStrategy.WARM, null, false));

    assertEquals(RecoveryReport.FAILED, report.outcome());
    assertTrue(report.error().contains("use --strategy cold"), report.error());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:failed", "verification:ok"), stages(report));
    assertEquals(List.of("assess", "writeReport"), recovery.calls());
  }
}
