package io.bmadflow.infra.recovery;

import java.util.List;
import java.util.Map;

/**
 * A project's recovery readiness: what `bmadflow readiness` prints and the worker exports as
 * metrics. See {@link ReadinessCalculator} for how each figure and the score are computed.
 *
 * @param projectId the project
 * @param computedAtMillis when
 * @param recoveryPoints committed checkpoints whose validation passed
 * @param newestPointId the newest of them, or null
 * @param newestPointAgeSeconds its age, or -1 when there is none
 * @param estimatedSeconds recovery time estimates by strategy
 * @param estimateSource where the estimates come from
 * @param drillsRun drills run in the last 30 days (every scenario)
 * @param drillsPassed how many of them passed
 * @param lastDrillAgeSeconds time since the last drill, or -1 when none ran
 * @param planAgeSeconds time since the project's recovery was last exercised (its last recovery
 *     or the last passed drill), or -1 when never
 * @param score the recovery capability score, 0-100
 * @param scoreParts how the score adds up
 */
public record Readiness(
    String projectId,
    long computedAtMillis,
    int recoveryPoints,
    String newestPointId,
    double newestPointAgeSeconds,
    Map<String, Double> estimatedSeconds,
    String estimateSource,
    int drillsRun,
    int drillsPassed,
    double lastDrillAgeSeconds,
    double planAgeSeconds,
    double score,
    List<ScorePart> scoreParts) {

  /** One term of the score. */
  public record ScorePart(String name, double points, double max, String why) {}

  public double drillPassRate() {
    return drillsRun == 0 ? 0 : (double) drillsPassed / drillsRun;
  }
}
