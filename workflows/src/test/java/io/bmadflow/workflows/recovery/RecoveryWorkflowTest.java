package io.bmadflow.workflows.recovery;

import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.assessment;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.request;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.stages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.when;

import io.temporal.client.WorkflowFailedException;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the orchestrator does around a strategy: refusing bad input, nothing to recover, storing the report. */
class RecoveryWorkflowTest {
  private final RecoveryWorkflowHarness recovery = new RecoveryWorkflowHarness();

  @AfterEach
  void stop() {
    recovery.close();
  }

  @Test
  void aHealthyProjectHasNothingToRecoverAndTheReportIsStored() {
    RecoveryReport report = recovery.run(assessment(Assessment.RUNNING), request(RecoveryStrategy.AUTO, null, false));

    assertNull(report.strategy());
    assertEquals(RecoveryReport.NOTHING, report.outcome());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "verification:ok"), stages(report));
    assertEquals(List.of("assess", "writeReport"), recovery.calls());
  }

  @Test
  void aReportThatCannotBeStoredIsStillReturned() {
    when(recovery.acts.writeReport(any())).thenThrow(ApplicationFailure.newNonRetryableFailure("bucket gone", "test"));

    RecoveryReport report = recovery.run(assessment(Assessment.RUNNING), request(RecoveryStrategy.AUTO, null, false));

    assertEquals(RecoveryReport.NOTHING, report.outcome());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "verification:failed"), stages(report));
  }

  @Test
  void anInvalidRequestFailsTheWorkflowBeforeAnyActivity() {
    WorkflowFailedException failed = assertThrows(WorkflowFailedException.class,
        () -> recovery.run(assessment(Assessment.RUNNING), request(RecoveryStrategy.COLD, "cp-x", false)));
    assertTrue(failed.getCause().getMessage().contains("checkpoint id 'cp-x' is not valid"), failed.getCause().getMessage());
    assertEquals(List.of(), recovery.calls());
  }
}
