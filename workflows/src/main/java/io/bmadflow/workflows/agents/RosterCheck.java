package io.bmadflow.workflows.agents;

import java.util.List;

/**
 * Which of a definition's agents the workers can run.
 *
 * @param unserved the agents no runner serves, sorted
 * @param served the agents the workers serve, sorted ({@code *} when a catch-all command serves any)
 */
public record RosterCheck(List<String> unserved, List<String> served) {}
