package io.bmadflow.workflows.definition;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.List;

/**
 * One entry of a BMAD v4 workflow {@code sequence}.
 *
 * <p>An agent step names an {@code agent} (one agent, alternatives such as {@code analyst/pm}, or
 * {@code various}); a named step ({@code workflow_end}, {@code repeat_development_cycle}) has a
 * {@code step} name and no agent. Fields BMAD leaves out are null or empty.
 *
 * @param step the key of a named step, or null for an agent step
 * @param agent the agent as BMAD writes it, or null for a named step
 * @param phase an explicit phase ({@code phase:} key), or null to derive it from the agent
 * @param action what the agent does ({@code create_story}), or null
 * @param creates the artifact the step creates, or null
 * @param updates the artifact the step updates, or null
 * @param validates what the step validates, or null
 * @param uses the checklist or task the step uses, or null
 * @param requires the artifacts the step needs
 * @param condition a state flag that must be true for the step to run, or null
 * @param optional whether BMAD marks the step optional
 * @param optionalSteps BMAD's optional sub-steps
 * @param repeats how the step repeats ({@code for_each_epic}), or null
 * @param notes BMAD's notes for the step
 * @param routes the routes of a routing step ({@code routes:}), in the file's order; empty for
 *     other steps
 */
public record DefinitionStep(
    String step,
    String agent,
    String phase,
    String action,
    String creates,
    String updates,
    String validates,
    String uses,
    List<String> requires,
    String condition,
    boolean optional,
    List<String> optionalSteps,
    String repeats,
    String notes,
    List<DefinitionRoute> routes) {

  /** The kind of a step that runs an agent. */
  public static final String AGENT = "agent";
  /** The kind of a guidance step: recorded, with its notes, but no agent runs. */
  public static final String GUIDANCE = "guidance";

  public DefinitionStep {
    requires = requires == null ? List.of() : List.copyOf(requires);
    optionalSteps = optionalSteps == null ? List.of() : List.copyOf(optionalSteps);
    routes = routes == null ? List.of() : List.copyOf(routes);
  }

  /** A step without routes. */
  public DefinitionStep(String step, String agent, String phase, String action, String creates, String updates,
      String validates, String uses, List<String> requires, String condition, boolean optional,
      List<String> optionalSteps, String repeats, String notes) {
    this(step, agent, phase, action, creates, updates, validates, uses, requires, condition, optional,
        optionalSteps, repeats, notes, List.of());
  }

  /** {@value #AGENT} when the step names an agent, else {@value #GUIDANCE}. */
  @JsonIgnore
  public String kind() {
    return isAgentStep() ? AGENT : GUIDANCE;
  }

  /** Whether this is a routing step ({@code routes:}): its route is chosen by state flags. */
  @JsonIgnore
  public boolean isRouting() {
    return !routes.isEmpty();
  }

  /**
   * An artifact name as BMAD writes it, without its trailing remark: {@code prd.md (if needed)}
   * is {@code prd.md}, {@code v0_prompt (optional)} is {@code v0_prompt}.
   */
  public static String artifactName(String target) {
    if (target == null) {
      return null;
    }
    String name = target.replaceAll("\\s*\\([^)]*\\)\\s*$", "").trim();
    return name.isEmpty() ? target.trim() : name;
  }

  /**
   * The agent that runs a step: the first of BMAD's alternatives ({@code analyst/pm}), and the
   * orchestrator for {@code various}.
   */
  public static String resolveAgent(String agent) {
    String first = agent.split("/")[0].trim();
    return "various".equals(first) ? "orchestrator" : first;
  }

  /** Whether this entry runs an agent (as opposed to a named guidance or control step). */
  @JsonIgnore
  public boolean isAgentStep() {
    return agent != null;
  }

  /** A short human label: {@code pm: creates prd.md}. */
  public String label() {
    if (!isAgentStep()) {
      return step + (action != null ? ": " + action : "");
    }
    String what =
        action != null ? action
            : creates != null ? "creates " + creates
            : updates != null ? "updates " + updates
            : validates != null ? "validates " + validates
            : "works";
    return agent + ": " + what;
  }

}
