package io.bmadflow.workflows.recovery;

import java.util.List;

/**
 * What a recovery will restore from its checkpoint.
 *
 * @param components the state components restored into the workflow
 * @param filesToWrite workspace files that are missing or differ from the checkpoint, which the
 *     restore writes (each backed up first when it exists)
 * @param filesUnchanged workspace files already equal to the checkpoint's
 * @param filesNotInCheckpoint workspace files the checkpoint does not know (written after it):
 *     left in place
 * @param actions the steps the recovery will take, in order, for the plan's reader
 * @param warnings what the reader should know before it runs: for instance that the checkpoint
 *     records another workspace than the project's configured one (which is the one restored);
 *     empty when there is nothing to say (and for plans from before this field)
 */
public record RestorePlan(
    List<String> components,
    List<String> filesToWrite,
    int filesUnchanged,
    List<String> filesNotInCheckpoint,
    List<String> actions,
    List<String> warnings) {

  public RestorePlan {
    components = components == null ? List.of() : List.copyOf(components);
    filesToWrite = filesToWrite == null ? List.of() : List.copyOf(filesToWrite);
    filesNotInCheckpoint = filesNotInCheckpoint == null ? List.of() : List.copyOf(filesNotInCheckpoint);
    actions = actions == null ? List.of() : List.copyOf(actions);
    warnings = warnings == null ? List.of() : List.copyOf(warnings);
  }

  /** A plan without warnings. */
  public RestorePlan(List<String> components, List<String> filesToWrite, int filesUnchanged,
      List<String> filesNotInCheckpoint, List<String> actions) {
    this(components, filesToWrite, filesUnchanged, filesNotInCheckpoint, actions, List.of());
  }

  public RestorePlan withActions(List<String> value) {
    return new RestorePlan(components, filesToWrite, filesUnchanged, filesNotInCheckpoint, value, warnings);
  }
}
