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
 * @param resumed the records of this phase's steps that already ran, when a recovery or
 *     continue-as-new resumes the phase part way: those steps are not run again
 * @param openGates the gate steps of this phase whose improvement loop had not finished: they run
 *     again even though they have records
 * @param fallbackAgents the agents to run on their fallback runners
 * @param stepModel how the phase reads its steps: 0 (requests from before the change; guidance
 *     steps are recorded whatever their condition) or {@link #V4_STEP_SHAPES} (guidance steps
 *     honour their condition, routing steps choose a route, agent steps get {@code uses},
 *     {@code notes} and the optional steps turned on); the project decides it once, at its fixed
 *     point (see {@code ProjectVersions})
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
    int agentAttempts,
    List<io.bmadflow.workflows.project.StepRecord> resumed,
    List<String> openGates,
    List<String> fallbackAgents,
    int stepModel) {

  /** The step model of BMAD v4's step shapes ({@code v4-step-shapes}). */
  public static final int V4_STEP_SHAPES = 1;

  public PhaseRequest {
    resumed = resumed == null ? List.of() : resumed;
    openGates = openGates == null ? List.of() : openGates;
    fallbackAgents = fallbackAgents == null ? List.of() : fallbackAgents;
  }
}
