package io.bmadflow.workflows.recovery;

import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.CP;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.PROJECT;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.RECOVERY;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.assessment;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.checks;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.request;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.stages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.verify;

import io.bmadflow.workflows.project.ComponentRestore;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A recovery that names only workspace files writes and checks those files and leaves the workflow alone. */
class FilesOnlyRecoveryTest {
  private final RecoveryWorkflowHarness recovery = new RecoveryWorkflowHarness();

  @AfterEach
  void stop() {
    recovery.close();
  }

  @Test
  void aDeletedFileIsRestoredAndChecked() {
    RecoveryReport report = recovery.run(assessment(Assessment.COMPLETED),
        request(RecoveryStrategy.AUTO, null, false, "file:docs/prd.md"));

    assertEquals("selective", report.strategy());
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "selection:ok", "planning:ok", "backup:ok",
        "restoration:ok", "validation:ok", "verification:ok"), stages(report));
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "restoreFiles", "check", "writeReport"),
        recovery.calls());
    assertEquals(List.of("file:docs/prd.md:pass"), checks(report));
    assertNull(report.newRunId());
    assertTrue(report.workLost().startsWith("none: only the named files"), report.workLost());
    assertEquals(List.of("back up the 1 workspace file(s) it overwrites and the workflow's current state",
        "write 1 workspace file(s) from " + CP + ": docs/prd.md",
        "check each restored file's SHA-256 against the checkpoint; the workflow is not touched"), report.plan().actions());
    verify(recovery.acts).chooseCheckpoint(PROJECT, null, null, List.of("docs/prd.md"));
    verify(recovery.acts).planRestore(PROJECT, CP, List.of(), List.of("docs/prd.md"));
    verify(recovery.acts).backup(RECOVERY, PROJECT, CP, List.of("docs/prd.md"));
    verify(recovery.acts).check("file:docs/prd.md", PROJECT, CP);
  }

  @Test
  void aWarmOrProgressiveRequestNamingOnlyFilesPlansWithThatStrategysComponents() {
    RecoveryReport warm = recovery.run(assessment(Assessment.RUNNING),
        request(RecoveryStrategy.WARM, null, false, "file:docs/prd.md"));
    assertEquals(RecoveryReport.RECOVERED, warm.outcome(), warm.error());
    verify(recovery.acts).planRestore(PROJECT, CP,
        List.of(ComponentRestore.CONTEXT, ComponentRestore.PROGRESS, ComponentRestore.AGENTS), List.of("docs/prd.md"));
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "restoreFiles", "check", "writeReport"),
        recovery.calls());
  }

  @Test
  void aProgressiveRequestNamingOnlyFilesPlansWithItsStages() {
    RecoveryReport progressive = recovery.run(assessment(Assessment.RUNNING),
        request(RecoveryStrategy.PROGRESSIVE, null, false, "file:docs/prd.md"));
    assertEquals(RecoveryReport.RECOVERED, progressive.outcome(), progressive.error());
    verify(recovery.acts).planRestore(PROJECT, CP, List.of(ComponentRestore.CONTEXT, "agent:analyst", "agent:pm"),
        List.of("docs/prd.md"));
    assertEquals(List.of("assess", "chooseCheckpoint", "planRestore", "backup", "restoreFiles", "check", "writeReport"),
        recovery.calls());
  }
}
