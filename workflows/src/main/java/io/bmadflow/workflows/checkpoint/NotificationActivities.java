package io.bmadflow.workflows.checkpoint;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

/**
 * Tells stakeholders about a committed checkpoint: a webhook POST of the {@link CheckpointEvent}
 * as JSON to {@code BMADFLOW_WEBHOOK_URL} (nothing when no URL is configured). Runs on the
 * checkpoints task queue with {@link io.bmadflow.workflows.ActivityProfiles#notification()}.
 *
 * <p>Contract for the workflow that calls it:
 * <ul>
 *   <li>it is called only for checkpoints of {@link CheckpointPriority#HIGH high} and
 *       {@link CheckpointPriority#CRITICAL critical} priority, after the checkpoint is committed;
 *   <li>its failure must never fail a checkpoint (nor the project): the checkpoint is already
 *       committed when it runs, so the caller catches the activity failure, logs it and goes on
 *       (or calls it asynchronously and never waits for the result to matter).
 * </ul>
 *
 * <p>A non-2xx answer or an I/O error fails the attempt so Temporal retries it with backoff, up to
 * the profile's attempts; receivers should expect the same event more than once and can use the
 * {@code Idempotency-Key} header ({@code <project id>/<checkpoint id>}) to drop duplicates.
 */
@ActivityInterface
public interface NotificationActivities {

  /** POSTs the event to the configured webhook; a no-op when none is configured. */
  @ActivityMethod
  void notifyCheckpoint(CheckpointEvent event);
}
