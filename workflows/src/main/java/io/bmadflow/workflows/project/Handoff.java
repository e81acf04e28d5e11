package io.bmadflow.workflows.project;

/**
 * One entry of the communication log: work handed from one agent to the next.
 *
 * @param from the agent handing over
 * @param to the agent taking over
 * @param phase the phase of the receiving step
 * @param prompt the definition's handoff prompt, or a generated one
 */
public record Handoff(String from, String to, String phase, String prompt) {}
