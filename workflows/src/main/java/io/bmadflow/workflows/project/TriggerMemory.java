package io.bmadflow.workflows.project;

import java.util.List;
import java.util.Map;

/**
 * What the checkpoint trigger detector remembers: the triggers that fire once (a handoff pair, a
 * progress milestone) and the levels that fire on change (complexity, context, roster). It travels
 * with the project's state through continue-as-new and into checkpoints, so that a continued or
 * restored project does not fire them a second time.
 *
 * @param handoffPairs the handoff pairs ({@code from->to}) already checkpointed
 * @param progressReached the progress milestones (percent) already reached
 * @param complexityLevels the complexity level last seen per measure (stories, artifacts, decisions)
 * @param contextHashes the hashes last seen of the documents behind each context
 * @param roster the agents last seen
 */
public record TriggerMemory(
    List<String> handoffPairs,
    List<Integer> progressReached,
    Map<String, Integer> complexityLevels,
    Map<String, String> contextHashes,
    List<String> roster) {

  public TriggerMemory {
    handoffPairs = handoffPairs == null ? List.of() : List.copyOf(handoffPairs);
    progressReached = progressReached == null ? List.of() : List.copyOf(progressReached);
    complexityLevels = complexityLevels == null ? Map.of() : Map.copyOf(complexityLevels);
    contextHashes = contextHashes == null ? Map.of() : Map.copyOf(contextHashes);
    roster = roster == null ? List.of() : List.copyOf(roster);
  }

  /** A detector that has seen nothing yet. */
  public static TriggerMemory empty() {
    return new TriggerMemory(null, null, null, null, null);
  }
}
