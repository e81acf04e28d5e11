package io.bmadflow.workflows.phase;

import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import java.util.List;
import java.util.Map;

/**
 * Runs one phase of a project.
 *
 * @param projectId the project
 * @param workspace the workspace directory
 * @param phase the phase's wire name
 * @param definition the project's definition
 * @param stepIndexes the steps of this phase, by index into the definition's sequence
 * @param stories the story ids known so far
 * @param flags the state flags known so far
 * @param knownArtifacts the artifacts produced so far
 * @param lastAgent the agent of the last step before this phase, or null
 * @param paused whether the project is paused when the phase starts
 * @param agentAttempts attempts per agent step (0: the default)
 */
public record PhaseRequest(
    String projectId,
    String workspace,
    String phase,
    WorkflowDefinition definition,
    List<Integer> stepIndexes,
    List<String> stories,
    Map<String, Boolean> flags,
    Map<String, ArtifactRef> knownArtifacts,
    String lastAgent,
    boolean paused,
    int agentAttempts) {}
