package io.bmadflow.workflows.project;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.checkpoint.CheckpointPolicy;
import io.bmadflow.workflows.checkpoint.CheckpointTrigger;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The trigger detector's memory travels with the project's state: after continue-as-new (or a
 * restore from a checkpoint) a handoff or progress milestone already checkpointed does not fire
 * again. Without the memory, as before the replay-safe core, it did.
 */
class TriggerMemoryTest {
  private static final WorkflowDefinition DEFINITION =
      new WorkflowDefinition("tiny", "tiny", "", "greenfield", List.of(), List.of(), Map.of());
  private static final CheckpointPolicy POLICY = CheckpointPolicy.defaults();

  @Test
  void aContinuedProjectDoesNotFireAHandoffOrMilestoneTwice() {
    ProjectState first = new ProjectState("p", DEFINITION, "/ws", List.of("planning"));
    first.usePolicy(POLICY);
    apply(first, step(0, "analyst"));
    List<TriggerDetector.Proposal> fired = apply(first, step(1, "pm"));
    assertTrue(triggers(fired).contains(CheckpointTrigger.TEAM_HANDOFF), fired.toString());
    assertTrue(triggers(fired).contains(CheckpointTrigger.PROGRESS) || !first.snapshot().triggerMemory().progressReached().isEmpty());

    ProjectSnapshot carried = first.snapshot();
    assertEquals(List.of("analyst->pm"), carried.triggerMemory().handoffPairs());

    ProjectState continued = new ProjectState("p", DEFINITION, "/ws", List.of("planning"));
    continued.restore(carried, POLICY, true);
    List<TriggerDetector.Proposal> after = apply(continued, step(2, "pm"));
    assertTrue(!triggers(after).contains(CheckpointTrigger.TEAM_HANDOFF), "the handoff fired again: " + after);
    assertTrue(!triggers(after).contains(CheckpointTrigger.PROGRESS), "a milestone fired again: " + after);
    assertEquals(carried.triggerMemory().handoffPairs(), continued.snapshot().triggerMemory().handoffPairs());

    ProjectState forgetful = new ProjectState("p", DEFINITION, "/ws", List.of("planning"));
    forgetful.restore(carried, POLICY, false); // A legacy history's run: the detector starts fresh.
    assertTrue(triggers(apply(forgetful, step(2, "pm"))).contains(CheckpointTrigger.TEAM_HANDOFF),
        "without the memory the handoff fires again (the bug the memory fixes)");
  }

  private static List<TriggerDetector.Proposal> apply(ProjectState state, StepFinished event) {
    assertTrue(state.applyStep(event));
    return state.detector().afterStep(event, state.snapshot());
  }

  private static List<CheckpointTrigger> triggers(List<TriggerDetector.Proposal> proposals) {
    return proposals.stream().map(TriggerDetector.Proposal::trigger).toList();
  }

  private static StepFinished step(int index, String agent) {
    StepRecord record = new StepRecord(index, "planning", agent + " step " + index, agent, null, "completed", "", "w");
    return new StepFinished(record, new AgentStepResult(agent, List.of(), List.of(), Map.of(), "done", "w"));
  }
}
