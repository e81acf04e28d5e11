package io.bmadflow.workflows.definition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A definition's steps grouped into phases, in order. Pure and deterministic: safe in workflows.
 *
 * <p>A step's phase is its explicit {@code phase} if it has one, else its agent's phase, else the
 * phase of the step before it. Phases never go backwards: a {@code pm} step that updates the PRD
 * after the architect stays in solutioning, as in BMAD.
 */
public final class PhasePlan {

  /** One phase and the steps it runs, by index into the definition's sequence. */
  public record PhaseSteps(Phase phase, List<Integer> stepIndexes) {}

  private PhasePlan() {}

  /** Groups the definition's steps into phases. */
  public static List<PhaseSteps> of(WorkflowDefinition definition) {
    Map<Phase, List<Integer>> byPhase = new LinkedHashMap<>();
    Phase current = Phase.ANALYSIS;
    List<DefinitionStep> sequence = definition.sequence();
    for (int i = 0; i < sequence.size(); i++) {
      DefinitionStep step = sequence.get(i);
      Phase declared = step.phase() != null ? Phase.fromWire(step.phase()) : firstAgentPhase(step);
      if (declared != null && declared.compareTo(current) > 0) {
        current = declared;
      }
      byPhase.computeIfAbsent(current, p -> new ArrayList<>()).add(i);
    }
    List<PhaseSteps> plan = new ArrayList<>();
    byPhase.forEach((phase, steps) -> plan.add(new PhaseSteps(phase, List.copyOf(steps))));
    return plan;
  }

  /**
   * The story loop among a phase's steps: from the first step that {@code repeats} up to (not
   * including) the {@code repeat_development_cycle} marker or the phase's end. Returns
   * {@code [start, end)} as positions in {@code stepIndexes}, or null when the phase has no loop.
   */
  public static int[] storyLoop(WorkflowDefinition definition, List<Integer> stepIndexes) {
    int start = -1;
    for (int pos = 0; pos < stepIndexes.size(); pos++) {
      DefinitionStep step = definition.sequence().get(stepIndexes.get(pos));
      if (start < 0 && step.repeats() != null) {
        start = pos;
      } else if (start >= 0 && isLoopEnd(step)) {
        return new int[] {start, pos};
      }
    }
    return start < 0 ? null : new int[] {start, stepIndexes.size()};
  }

  /** Whether the step closes a story loop ({@code repeat_development_cycle}). */
  public static boolean isLoopEnd(DefinitionStep step) {
    return !step.isAgentStep()
        && ("repeat_development_cycle".equals(step.step())
            || "continue_for_all_stories".equals(step.action()));
  }

  /** How many step runs the plan has when the story loops run once per story. */
  public static int plannedStepRuns(WorkflowDefinition definition, int storyCount) {
    int runs = 0;
    for (PhaseSteps phase : of(definition)) {
      runs += phase.stepIndexes().size();
      int[] loop = storyLoop(definition, phase.stepIndexes());
      if (loop != null) {
        runs += (loop[1] - loop[0]) * (Math.max(1, storyCount) - 1);
      }
    }
    return runs;
  }

  private static Phase firstAgentPhase(DefinitionStep step) {
    if (!step.isAgentStep()) {
      return null;
    }
    for (String alternative : step.agent().split("/")) {
      Phase phase = Phase.ofAgent(alternative.trim());
      if (phase != null) {
        return phase;
      }
    }
    return null;
  }
}
