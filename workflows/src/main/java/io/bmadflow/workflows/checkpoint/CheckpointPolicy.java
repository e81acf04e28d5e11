package io.bmadflow.workflows.checkpoint;

import java.time.Duration;
import java.util.List;

/**
 * When a project takes checkpoints besides its phase transitions; every field has a default.
 *
 * <p>Priority policy (what {@code priority} each trigger records): phase transition, quality gate,
 * context, progress, user and experiment: medium (a failing or escalated gate, 100 % progress and a
 * milestone: high); critical decision and risk event: high (a risk scoring 20 or more: critical);
 * emergency: critical; team handoff, time-based, complexity and resource: low. High and critical
 * checkpoints notify the configured webhook.
 *
 * @param timeBasedInterval a checkpoint after this much active work (paused time does not
 *     count), skipped when nothing changed; zero for the default of 4 hours
 * @param riskThreshold a risk whose score (probability x impact) reaches this triggers one; 0: 15
 * @param complexityStep a checkpoint each time stories, artifacts or decisions grow by this many
 *     multiples (10, 20, 30...); 0: 10
 * @param progressMilestones progress percentages that trigger one; empty: 25, 50, 75, 100
 * @param off no checkpoints at all, not even at phase transitions (for measuring their cost)
 */
public record CheckpointPolicy(
    Duration timeBasedInterval, int riskThreshold, int complexityStep, List<Integer> progressMilestones, boolean off) {

  public static final Duration DEFAULT_TIME_BASED = Duration.ofHours(4);

  public CheckpointPolicy {
    timeBasedInterval = timeBasedInterval == null || timeBasedInterval.isZero() ? DEFAULT_TIME_BASED : timeBasedInterval;
    riskThreshold = riskThreshold <= 0 ? 15 : riskThreshold;
    complexityStep = complexityStep <= 0 ? 10 : complexityStep;
    progressMilestones = progressMilestones == null || progressMilestones.isEmpty()
        ? List.of(25, 50, 75, 100) : List.copyOf(progressMilestones);
  }

  /** A policy with the given thresholds, checkpoints on. */
  public CheckpointPolicy(Duration timeBasedInterval, int riskThreshold, int complexityStep, List<Integer> progressMilestones) {
    this(timeBasedInterval, riskThreshold, complexityStep, progressMilestones, false);
  }

  public static CheckpointPolicy defaults() {
    return new CheckpointPolicy(null, 0, 0, null, false);
  }

  /** No checkpoints at all. */
  public static CheckpointPolicy disabled() {
    return new CheckpointPolicy(null, 0, 0, null, true);
  }
}
