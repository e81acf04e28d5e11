package io.bmadflow.workflows.agents;

import java.util.List;

/**
 * A no-op step: see {@link AgentActivities#probe}.
 *
 * @param projectId the project
 * @param workspace the project's workspace directory, or null for the worker's default
 * @param agents the agents whose runners must resolve
 */
public record ProbeRequest(String projectId, String workspace, List<String> agents) {
  public ProbeRequest {
    agents = agents == null ? List.of() : List.copyOf(agents);
  }
}
