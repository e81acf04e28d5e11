package io.bmadflow.workflows.agents;

import java.util.List;
import java.util.Map;

/**
 * What one agent step is asked to do.
 *
 * @param projectId the project
 * @param workspace the workspace directory on the worker's machine
 * @param phase the phase the step belongs to
 * @param stepIndex the index of the step in the definition's sequence
 * @param agent the agent that runs the step (one name, never {@code a/b} alternatives)
 * @param action the action, or null
 * @param creates the artifact to create, or null
 * @param updates the artifact to update, or null
 * @param validates what to validate, or null
 * @param requires the artifacts the step needs
 * @param storyId the story this step works on inside a story loop, or null
 * @param handoffPrompt the prompt handed over from the previous agent, or null
 * @param knownArtifacts the artifacts produced so far, by path
 * @param useFallback run the agent's configured fallback runner instead of its primary one: set
 *     after a hot recovery replaced the agent (the worker also switches by itself after
 *     {@code BMADFLOW_AGENT_FALLBACK_AFTER} failed attempts)
 * @param uses the checklist, task or template the step uses ({@code po-master-checklist}), or null
 * @param optionalSteps the step's optional sub-steps ({@code optional_steps}) that the project's
 *     state flags turned on, to do before the step's own work
 * @param notes BMAD's notes for the step, or null
 */
public record AgentStepRequest(
    String projectId,
    String workspace,
    String phase,
    int stepIndex,
    String agent,
    String action,
    String creates,
    String updates,
    String validates,
    List<String> requires,
    String storyId,
    String handoffPrompt,
    Map<String, ArtifactRef> knownArtifacts,
    boolean useFallback,
    String uses,
    List<String> optionalSteps,
    String notes) {

  public AgentStepRequest {
    requires = requires == null ? List.of() : List.copyOf(requires);
    knownArtifacts = knownArtifacts == null ? Map.of() : Map.copyOf(knownArtifacts);
    optionalSteps = optionalSteps == null ? List.of() : List.copyOf(optionalSteps);
  }

  /** A step without {@code uses}, optional sub-steps or notes. */
  public AgentStepRequest(String projectId, String workspace, String phase, int stepIndex, String agent,
      String action, String creates, String updates, String validates, List<String> requires,
      String storyId, String handoffPrompt, Map<String, ArtifactRef> knownArtifacts, boolean useFallback) {
    this(projectId, workspace, phase, stepIndex, agent, action, creates, updates, validates, requires,
        storyId, handoffPrompt, knownArtifacts, useFallback, null, List.of(), null);
  }

  /** A step for the agent's primary runner. */
  public AgentStepRequest(String projectId, String workspace, String phase, int stepIndex, String agent,
      String action, String creates, String updates, String validates, List<String> requires,
      String storyId, String handoffPrompt, Map<String, ArtifactRef> knownArtifacts) {
    this(projectId, workspace, phase, stepIndex, agent, action, creates, updates, validates, requires,
        storyId, handoffPrompt, knownArtifacts, false);
  }

  /** The same step for the agent's fallback runner. */
  public AgentStepRequest withFallback() {
    return new AgentStepRequest(projectId, workspace, phase, stepIndex, agent, action, creates, updates,
        validates, requires, storyId, handoffPrompt, knownArtifacts, true, uses, optionalSteps, notes);
  }
}
