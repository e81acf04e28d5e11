package io.bmadflow.workflows.project;

import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.agents.ArtifactRef;
import java.util.List;
import java.util.Map;

/**
 * Parts of a checkpoint's state restored into a running project (a warm, selective or progressive
 * recovery). Only the parts named in {@code components} are applied; the others may be empty.
 *
 * @param recoveryId the recovery that restores them
 * @param checkpointId the checkpoint they come from
 * @param components what to restore: {@code context}, {@code progress}, {@code agents} or
 *     {@code agent:<name>}
 * @param agents agent states by name (for {@code agents} and {@code agent:<name>})
 * @param artifacts artifact references by path (for {@code context})
 * @param flags state flags (for {@code context})
 * @param stories story ids (for {@code context})
 * @param steps step records (for {@code progress})
 * @param communicationLog handoffs (for {@code progress})
 */
public record ComponentRestore(
    String recoveryId,
    String checkpointId,
    List<String> components,
    Map<String, AgentState> agents,
    Map<String, ArtifactRef> artifacts,
    Map<String, Boolean> flags,
    List<String> stories,
    List<StepRecord> steps,
    List<Handoff> communicationLog) {

  public static final String CONTEXT = "context";
  public static final String PROGRESS = "progress";
  public static final String AGENTS = "agents";
  public static final String AGENT_PREFIX = "agent:";
  public static final String FILE_PREFIX = "file:";

  public ComponentRestore {
    components = components == null ? List.of() : List.copyOf(components);
    agents = agents == null ? Map.of() : agents;
    artifacts = artifacts == null ? Map.of() : artifacts;
    flags = flags == null ? Map.of() : flags;
    stories = stories == null ? List.of() : stories;
    steps = steps == null ? List.of() : steps;
    communicationLog = communicationLog == null ? List.of() : communicationLog;
  }

  /**
   * The problem with a component name, or null when it is one of {@code context},
   * {@code progress}, {@code agents}, {@code agent:<name>} or {@code file:<workspace path>}.
   */
  public static String problem(String component) {
    if (component == null || component.isBlank()) {
      return "a component name is empty";
    }
    if (component.equals(CONTEXT) || component.equals(PROGRESS) || component.equals(AGENTS)) {
      return null;
    }
    if (component.startsWith(AGENT_PREFIX)) {
      return component.substring(AGENT_PREFIX.length()).matches("[a-z0-9][a-z0-9-]{0,63}")
          ? null : "'" + component + "' does not name an agent (agent:<name>, lower-case letters, digits and '-')";
    }
    if (component.startsWith(FILE_PREFIX)) {
      String path = component.substring(FILE_PREFIX.length());
      boolean safe = !path.isEmpty() && !path.startsWith("/") && !path.contains("\\")
          && path.chars().noneMatch(Character::isISOControl)
          && java.util.Arrays.stream(path.split("/", -1)).noneMatch(s -> s.isEmpty() || s.equals(".") || s.equals(".."));
      return safe ? null : "'" + component + "' is not a safe workspace path (relative, no '.' or '..' segments)";
    }
    return "unknown component '" + component + "'; components are context, progress, agents, agent:<name> and file:<path>";
  }
}
