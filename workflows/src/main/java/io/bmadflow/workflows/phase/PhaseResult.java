package io.bmadflow.workflows.phase;

/**
 * How a phase ended.
 *
 * @param phase the phase's wire name
 * @param stepRuns how many step runs it reported to the project (one signal each)
 */
public record PhaseResult(String phase, int stepRuns) {}
