package io.bmadflow.workflows.definition;

/**
 * One route of a BMAD v4 routing step ({@code routes:} under a {@code step:} entry, as in
 * brownfield-fullstack's {@code routing_decision}).
 *
 * <p>A route either hands the step to an agent ({@code agent} and usually {@code uses}) or lets the
 * sequence carry on ({@code continue: to_next_step}).
 *
 * @param name the route's key ({@code single_story}, {@code major_enhancement}); also the state
 *     flag that selects it
 * @param agent the agent that runs the route, as BMAD writes it, or null
 * @param uses the task or template the agent uses ({@code brownfield-create-story}), or null
 * @param continueTo where the sequence continues ({@code to_next_step}), or null
 * @param notes BMAD's notes for the route, or null
 */
public record DefinitionRoute(String name, String agent, String uses, String continueTo, String notes) {}
