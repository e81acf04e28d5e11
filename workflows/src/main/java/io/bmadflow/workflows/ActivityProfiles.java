package io.bmadflow.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import java.time.Duration;

/**
 * The activity option profiles every workflow uses; one place for timeouts and retry policies.
 *
 * <p>Retry budgets are generous on purpose: a worker that is killed mid-activity reports the
 * interrupted attempt as failed, and a restart must not exhaust the budget.
 */
public final class ActivityProfiles {

  /** Attempts an agent step gets before the phase fails. */
  public static final int DEFAULT_AGENT_ATTEMPTS = 20;

  /** Agent steps: long, heartbeating work on the agents queue. */
  public static ActivityOptions agentStep() {
    return agentStep(DEFAULT_AGENT_ATTEMPTS);
  }

  /** Agent steps with a given number of attempts (0 for the default). */
  public static ActivityOptions agentStep(int attempts) {
    return ActivityOptions.newBuilder()
        .setTaskQueue(TaskQueues.AGENTS)
        .setStartToCloseTimeout(Duration.ofMinutes(30))
        .setHeartbeatTimeout(Duration.ofSeconds(10))
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofMillis(500))
                .setBackoffCoefficient(2.0)
                .setMaximumInterval(Duration.ofSeconds(30))
                .setMaximumAttempts(attempts > 0 ? attempts : DEFAULT_AGENT_ATTEMPTS)
                .setDoNotRetry(Failures.INVALID_INPUT)
                .build())
        .build();
  }

  /**
   * Checkpoint I/O: capture, store and verify, heartbeating (a lost worker's attempt is retried
   * within seconds, not after the start-to-close timeout). Retried without an attempt limit for up to an hour,
   * so an S3 outage delays a checkpoint instead of failing it; the workflow chose the checkpoint
   * id, so every retry rewrites the same package.
   */
  public static ActivityOptions checkpointIo() {
    return ActivityOptions.newBuilder()
        .setTaskQueue(TaskQueues.CHECKPOINTS)
        .setStartToCloseTimeout(Duration.ofMinutes(10))
        .setHeartbeatTimeout(Duration.ofSeconds(10))
        .setScheduleToCloseTimeout(Duration.ofHours(1))
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofMillis(500))
                .setBackoffCoefficient(2.0)
                .setMaximumInterval(Duration.ofSeconds(30))
                .setMaximumAttempts(0)
                .setDoNotRetry(
                    Failures.INVALID_INPUT, Failures.CHECKPOINT_CONFLICT, Failures.CHECKPOINT_CORRUPT)
                .build())
        .build();
  }

  /** Attempts a checkpoint notification gets before it is given up. */
  public static final int NOTIFICATION_ATTEMPTS = 5;

  /**
   * Checkpoint notifications (webhooks): short, on the checkpoints queue, retried with backoff
   * but at most {@value #NOTIFICATION_ATTEMPTS} attempts; a notification that still fails is given
   * up, never the checkpoint.
   */
  public static ActivityOptions notification() {
    return ActivityOptions.newBuilder()
        .setTaskQueue(TaskQueues.CHECKPOINTS)
        .setStartToCloseTimeout(Duration.ofSeconds(30))
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofSeconds(1))
                .setBackoffCoefficient(2.0)
                .setMaximumInterval(Duration.ofSeconds(30))
                .setMaximumAttempts(NOTIFICATION_ATTEMPTS)
                .setDoNotRetry(Failures.INVALID_INPUT)
                .build())
        .build();
  }

  /** The pipeline's validation step: reads a stored package back; a corrupt one is not retried. */
  public static ActivityOptions checkpointValidation() {
    return ActivityOptions.newBuilder()
        .setTaskQueue(TaskQueues.CHECKPOINTS)
        .setStartToCloseTimeout(Duration.ofMinutes(10))
        .setHeartbeatTimeout(Duration.ofSeconds(10))
        .setScheduleToCloseTimeout(Duration.ofMinutes(30))
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofMillis(500))
                .setMaximumInterval(Duration.ofSeconds(15))
                .setMaximumAttempts(0)
                .setDoNotRetry(Failures.INVALID_INPUT, Failures.CHECKPOINT_CORRUPT)
                .build())
        .build();
  }

  /** The pipeline's commit step (metadata and registry): small and quick, retried through outages. */
  public static ActivityOptions checkpointPublish() {
    return ActivityOptions.newBuilder()
        .setTaskQueue(TaskQueues.CHECKPOINTS)
        .setStartToCloseTimeout(Duration.ofMinutes(1))
        .setHeartbeatTimeout(Duration.ofSeconds(10))
        .setScheduleToCloseTimeout(Duration.ofHours(1))
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofMillis(250))
                .setMaximumInterval(Duration.ofSeconds(10))
                .setMaximumAttempts(0)
                .setDoNotRetry(Failures.INVALID_INPUT, Failures.CHECKPOINT_CONFLICT, Failures.CHECKPOINT_CORRUPT)
                .build())
        .build();
  }

  /**
   * Recovery steps: heartbeating, a few attempts (a recovery that cannot proceed reports it
   * rather than retrying for an hour; waiting for S3 happens inside the assessment).
   */
  public static ActivityOptions recovery() {
    return ActivityOptions.newBuilder()
        .setTaskQueue(TaskQueues.CHECKPOINTS)
        .setStartToCloseTimeout(Duration.ofMinutes(15))
        .setHeartbeatTimeout(Duration.ofSeconds(10))
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofMillis(500))
                .setMaximumInterval(Duration.ofSeconds(5))
                .setMaximumAttempts(3)
                .setDoNotRetry(Failures.INVALID_INPUT, Failures.CHECKPOINT_CORRUPT)
                .build())
        .build();
  }

  /**
   * A validation probe (a ping, a no-op step): picked up within 30 s by a worker polling the
   * queue, done within 10 s, and tried 3 times, so a worker that dies holding it (a fault during
   * the recovery) costs 10 s, not the recovery.
   */
  public static ActivityOptions probe(String taskQueue) {
    return ActivityOptions.newBuilder()
        .setTaskQueue(taskQueue)
        .setScheduleToStartTimeout(Duration.ofSeconds(30))
        .setStartToCloseTimeout(Duration.ofSeconds(10))
        .setRetryOptions(RetryOptions.newBuilder()
            .setInitialInterval(Duration.ofMillis(200))
            .setMaximumAttempts(3)
            .build())
        .build();
  }

  private ActivityProfiles() {}
}
