package io.bmadflow.workflows.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.project.ComponentRestore;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@code auto} picks a strategy from the failure assessment, and what an explicit one needs. */
class RecoverySelectionTest {
  private static final String CP = "cp-2026-01-15-14-30-00-0a1b2c3d-0000-4000-8000-000000000000";

  private static Assessment workflow(String status, Assessment.FailingActivity... failing) {
    return new Assessment(status, "run", null, "planning", 5, false, null, List.of(failing), 3, CP, 0, 1, List.of());
  }

  private static RecoveryRequest request(RecoveryStrategy strategy, String checkpoint, List<String> components) {
    return new RecoveryRequest("rcv-20260115-143000-0a1b2c3d", "p", strategy, checkpoint, null, components, false, "t", null, 0);
  }

  private static StrategySelection auto(Assessment a) {
    return auto(a, null);
  }

  private static StrategySelection auto(Assessment a, String checkpoint, String... components) {
    return StrategySelection.select(request(RecoveryStrategy.AUTO, checkpoint, List.of(components)), a);
  }

  @Test
  void aLostHistoryIsRecoveredCold() {
    StrategySelection s = auto(workflow(Assessment.NOT_FOUND));
    assertEquals(RecoveryStrategy.COLD, s.strategy());
    assertTrue(s.scenario().startsWith("complete system failure"), s.scenario());
  }

  @Test
  void aFailedOrTerminatedRunIsRecoveredCold() {
    assertEquals(RecoveryStrategy.COLD, auto(workflow("FAILED")).strategy());
    assertEquals(RecoveryStrategy.COLD, auto(workflow("TERMINATED")).strategy());
  }

  @Test
  void aFailingAgentInARunningWorkflowIsRecoveredHot() {
    StrategySelection s = auto(workflow(Assessment.RUNNING,
        new Assessment.FailingActivity("RunStep", 4, "pm", "agent pm, step 3: exit 1")));
    assertEquals(RecoveryStrategy.HOT, s.strategy());
    assertTrue(s.scenario().contains("agent pm is failing (attempt 4"), s.scenario());
  }

  @Test
  void namedComponentsAreSelectiveAndNamedFilesNeedNoRunningWorkflow() {
    assertEquals(RecoveryStrategy.SELECTIVE, auto(workflow(Assessment.RUNNING), null, "agent:pm").strategy());
    StrategySelection files = auto(workflow(Assessment.COMPLETED), null, ComponentRestore.FILE_PREFIX + "docs/prd.md");
    assertEquals(RecoveryStrategy.SELECTIVE, files.strategy());
    assertTrue(files.scenario().startsWith("human error"), files.scenario());
  }

  @Test
  void aNamedCheckpointIsPointInTime() {
    assertEquals(RecoveryStrategy.POINT_IN_TIME, auto(workflow(Assessment.COMPLETED), CP).strategy());
  }

  @Test
  void aHealthyProjectHasNothingToRecover() {
    StrategySelection s = auto(workflow(Assessment.RUNNING));
    assertNull(s.strategy());
    assertTrue(s.reason().startsWith("nothing to recover"), s.reason());
  }

  @Test
  void aStorageOutageIsReportedAsANetworkPartition() {
    Assessment a = new Assessment(Assessment.NOT_FOUND, null, null, null, -1, false, null, List.of(), 2, CP, 4200, 5, List.of());
    assertTrue(auto(a).scenario().startsWith("network partition (storage unreachable for 4200 ms, 5 attempts)"));
  }

  @Test
  void strategiesThatRestoreIntoAWorkflowRefuseWhenNoneRuns() {
    for (RecoveryStrategy s : List.of(RecoveryStrategy.HOT, RecoveryStrategy.WARM)) {
      ApplicationFailure refused = assertThrows(ApplicationFailure.class,
          () -> StrategySelection.select(request(s, null, List.of()), workflow(Assessment.NOT_FOUND)));
      assertTrue(refused.getOriginalMessage().contains("use --strategy cold"), refused.getOriginalMessage());
    }
    ApplicationFailure noComponents = assertThrows(ApplicationFailure.class,
        () -> StrategySelection.select(request(RecoveryStrategy.SELECTIVE, null, List.of()), workflow(Assessment.RUNNING)));
    assertTrue(noComponents.getOriginalMessage().contains("needs --components"));
  }

  @Test
  void badRequestsAreNamed() {
    assertEquals("checkpoint id 'cp-x' is not valid",
        request(RecoveryStrategy.COLD, "cp-x", List.of()).problem());
    assertTrue(request(RecoveryStrategy.SELECTIVE, null, List.of("file:../etc/passwd")).problem()
        .contains("not a safe workspace path"));
    assertTrue(request(RecoveryStrategy.SELECTIVE, null, List.of("everything")).problem()
        .startsWith("unknown component 'everything'"));
  }
}
