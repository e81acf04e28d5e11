package io.bmadflow.workflows.recovery;

/**
 * One stage of the seed's recovery process, as the report lists it.
 *
 * @param stage {@code initiation}, {@code assessment}, {@code strategy}, {@code selection},
 *     {@code backup}, {@code restoration}, {@code validation}, {@code resumption},
 *     {@code verification}
 * @param durationMillis how long it took
 * @param outcome {@code ok}, {@code skipped} or {@code failed}
 * @param detail what happened
 */
public record StageTiming(String stage, long durationMillis, String outcome, String detail) {}
