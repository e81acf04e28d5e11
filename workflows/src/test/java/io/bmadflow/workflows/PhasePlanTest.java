package io.bmadflow.workflows;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.definition.Phase;
import io.bmadflow.workflows.definition.PhasePlan;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import java.util.List;
import org.junit.jupiter.api.Test;

class PhasePlanTest {

  private static DefinitionStep agent(String agent, String repeats) {
    return new DefinitionStep(null, agent, null, null, null, null, null, null, null, null, false, null, repeats, null);
  }

  private static DefinitionStep named(String name, String action) {
    return new DefinitionStep(name, null, null, action, null, null, null, null, null, null, false, null, null, null);
  }

  @Test
  void groupsStepsByAgentPhaseWithoutGoingBackwards() {
    WorkflowDefinition definition = new WorkflowDefinition("d", "d", "", "greenfield", null, List.of(
        agent("analyst", null),          // 0 analysis
        agent("pm", null),               // 1 planning
        agent("architect", null),        // 2 solutioning
        agent("pm", null),               // 3 stays solutioning
        agent("sm", "for_each_story"),   // 4 implementation, loop start
        agent("analyst/pm", null),       // 5 stays implementation
        agent("dev", null),              // 6
        named("repeat_development_cycle", "continue_for_all_stories"), // 7 loop end
        named("workflow_end", "project_complete")), null);            // 8

    List<PhasePlan.PhaseSteps> plan = PhasePlan.of(definition);
    assertEquals(List.of(Phase.ANALYSIS, Phase.PLANNING, Phase.SOLUTIONING, Phase.IMPLEMENTATION),
        plan.stream().map(PhasePlan.PhaseSteps::phase).toList());
    assertEquals(List.of(2, 3), plan.get(2).stepIndexes());
    assertEquals(List.of(4, 5, 6, 7, 8), plan.get(3).stepIndexes());
    assertArrayEquals(new int[] {0, 3}, PhasePlan.storyLoop(definition, plan.get(3).stepIndexes()));
    // 9 steps, the 3-step loop runs once per story: 3 stories add 2 x 3 runs.
    assertEquals(9, PhasePlan.plannedStepRuns(definition, 0));
    assertEquals(15, PhasePlan.plannedStepRuns(definition, 3));
  }
}
