package io.bmadflow.workflows.recovery;

import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.PROJECT;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.assessment;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.checks;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.request;
import static io.bmadflow.workflows.recovery.RecoveryWorkflowHarness.stages;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.verify;

import io.bmadflow.workflows.agents.ProbeRequest;
import io.bmadflow.workflows.project.ComponentRestore;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A hot recovery moves the failing agent to its fallback runner, validates and resumes, restoring nothing. */
class HotRecoveryTest {
  private final RecoveryWorkflowHarness recovery = new RecoveryWorkflowHarness();

  @AfterEach
  void stop() {
    recovery.close();
  }

  @Test
  void aFailingAgentMovesToItsFallbackAndTheProjectResumes() {
    RecoveryReport report = recovery.run(
        assessment(Assessment.RUNNING, new Assessment.FailingActivity("RunStep", 4, "pm", "exit 1")),
        request(RecoveryStrategy.AUTO, null, false));

    assertEquals("hot", report.strategy());
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "restoration:ok", "validation:ok",
        "validation:ok", "resumption:ok", "verification:ok"), stages(report));
    assertEquals(List.of("assess", "replaceAgent", "ping", "checkRoster", "probe", "setPaused", "awaitProgress",
        "writeReport"), recovery.calls());
    assertEquals(List.of(ValidationCheck.COMMUNICATION + ":pass", ValidationCheck.FUNCTIONALITY + ":pass"), checks(report));
    assertEquals(List.of(ComponentRestore.AGENT_PREFIX + "pm"), report.plan().components());
    assertTrue(report.backupLocation().startsWith("none needed"), report.backupLocation());
    verify(recovery.acts).replaceAgent(PROJECT, "pm");
    verify(recovery.agents).probe(new ProbeRequest(PROJECT, RecoveryWorkflowHarness.WORKSPACE, List.of("pm")));
    verify(recovery.acts).setPaused(PROJECT, false, "recovery validated");
    verify(recovery.acts).awaitProgress(PROJECT, 7, 120);
  }

  @Test
  void anAgentNamedByTheOperatorIsTheOneReplaced() {
    RecoveryReport report = recovery.run(
        assessment(Assessment.RUNNING, new Assessment.FailingActivity("RunStep", 4, "pm", "exit 1")),
        request(RecoveryStrategy.HOT, null, false, ComponentRestore.AGENT_PREFIX + "analyst"));

    assertEquals(RecoveryReport.RECOVERED, report.outcome(), report.error());
    verify(recovery.acts).replaceAgent(PROJECT, "analyst");
  }

  @Test
  void aDryRunPlansTheFailoverAndCallsNothingElse() {
    RecoveryReport report = recovery.run(
        assessment(Assessment.RUNNING, new Assessment.FailingActivity("RunStep", 4, "pm", "exit 1")),
        request(RecoveryStrategy.HOT, null, true));

    assertEquals(RecoveryReport.PLANNED, report.outcome());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok"), stages(report));
    assertEquals(List.of("assess"), recovery.calls());
    assertEquals(3, report.plan().actions().size(), report.plan().actions().toString());
  }

  @Test
  void withoutAFailingOrNamedAgentTheRecoveryFailsAndChangesNothing() {
    RecoveryReport report = recovery.run(assessment(Assessment.RUNNING), request(RecoveryStrategy.HOT, null, false));

    assertEquals("hot", report.strategy());
    assertEquals(RecoveryReport.FAILED, report.outcome());
    assertTrue(report.error().startsWith("stage strategy: no failing agent found in project p"), report.error());
    assertEquals(List.of("initiation:ok", "assessment:ok", "strategy:ok", "strategy:failed", "verification:ok"),
        stages(report));
    assertEquals(List.of("assess", "writeReport"), recovery.calls());
  }
}
