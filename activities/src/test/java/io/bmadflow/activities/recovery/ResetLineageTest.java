package io.bmadflow.activities.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.recovery.ResetRewind.Lineage;
import io.bmadflow.activities.recovery.ResetRewind.Reset;
import io.bmadflow.activities.recovery.ResetRewind.StepSignal;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which checkpoints a reset run's history holds, and which steps lie between a checkpoint and the reset point. */
class ResetLineageTest {
  @Test
  void aSingleResetHoldsTheBaseRunsCheckpointsUpToTheResetPoint() {
    Lineage lineage = new Lineage(List.of(new Reset(98, "run-a", 0)), List.of(), List.of());
    assertTrue(lineage.holds("run-a", 98), "the checkpoint taken at the reset point's workflow task");
    assertTrue(lineage.holds("run-a", 40));
    assertFalse(lineage.holds("run-a", 99), "after the reset point: the discarded branch");
    assertFalse(lineage.holds("run-b", 40), "another run's checkpoint");
  }

  @Test
  void resetsOfResetsHoldEachRunsPartOfTheHistory() {
    // run-a reset at 98 made run-b; run-b reset at 150 made the current run.
    Lineage lineage = new Lineage(List.of(new Reset(98, "run-a", 0), new Reset(150, "run-b", 0)), List.of(), List.of());
    assertTrue(lineage.holds("run-a", 60));
    assertFalse(lineage.holds("run-a", 120), "run-a's events after 98 are not in this history");
    assertTrue(lineage.holds("run-b", 120));
    assertTrue(lineage.holds("run-b", 150));
    assertFalse(lineage.holds("run-b", 60), "before 98 the history is run-a's: run-b took no checkpoint there");
    assertEquals(150, lineage.last().eventId());
  }

  @Test
  void theStepsBetweenACheckpointAndTheResetPointAreNamed() {
    Lineage lineage = new Lineage(List.of(new Reset(120, "run-a", 0)),
        List.of(new StepSignal(90, "'pm: creates prd.md'"), new StepSignal(110, "'architect: creates architecture.md'"),
            new StepSignal(130, "'po: validates'")), List.of());
    assertEquals(List.of("'architect: creates architecture.md'"), lineage.stepsBetween(98, 120));
    assertEquals(List.of(), lineage.stepsBetween(112, 120));
  }
}
