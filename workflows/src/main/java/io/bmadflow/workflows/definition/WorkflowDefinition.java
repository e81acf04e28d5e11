package io.bmadflow.workflows.definition;

import java.util.List;
import java.util.Map;

/**
 * A BMAD v4 workflow definition, as data.
 *
 * <p>Loaded from YAML outside the workflow (see the infra module's definition loader) and passed
 * to the project workflow as an argument, so the workflow never reads files.
 *
 * @param id the definition id ({@code greenfield-fullstack})
 * @param name a human name
 * @param description what the definition is for
 * @param type {@code greenfield} or {@code brownfield}
 * @param projectTypes the project types it suits
 * @param sequence the steps in order
 * @param handoffPrompts prompts for handoffs between agents, by key ({@code analyst_to_pm})
 */
public record WorkflowDefinition(
    String id,
    String name,
    String description,
    String type,
    List<String> projectTypes,
    List<DefinitionStep> sequence,
    Map<String, String> handoffPrompts) {

  public WorkflowDefinition {
    projectTypes = projectTypes == null ? List.of() : List.copyOf(projectTypes);
    sequence = sequence == null ? List.of() : List.copyOf(sequence);
    handoffPrompts = handoffPrompts == null ? Map.of() : Map.copyOf(handoffPrompts);
  }
}
