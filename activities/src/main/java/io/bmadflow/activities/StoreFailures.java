package io.bmadflow.activities;

import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.workflows.Failures;
import io.temporal.failure.ApplicationFailure;
import java.util.function.Supplier;

/**
 * The one mapping from checkpoint store errors to Temporal failures, for every activity that
 * touches the store.
 *
 * <p>Permanent errors fail at once: a {@link CheckpointStoreException.Corrupt} package is a
 * non-retryable {@link Failures#CHECKPOINT_CORRUPT}, a {@link CheckpointStoreException.Conflict}
 * a non-retryable {@link Failures#CHECKPOINT_CONFLICT}, and a
 * {@link CheckpointStoreException.NotFound} checkpoint a non-retryable
 * {@link Failures#INVALID_INPUT} (the caller named something that does not exist). An
 * {@link CheckpointStoreException.Unavailable} storage is a retryable
 * {@link Failures#STORAGE_UNAVAILABLE} that keeps the cause, so the retry profiles ride out an
 * outage. Any other store error stays retryable under its class name, as Temporal would report it,
 * and errors from outside the store pass through unchanged. The message is always the store's own, which names
 * the checkpoint, the problem and the fix.
 */
public final class StoreFailures {
  private StoreFailures() {}

  /** The Temporal failure a store error stands for. */
  public static ApplicationFailure toFailure(CheckpointStoreException e) {
    if (e instanceof CheckpointStoreException.Corrupt) {
      return ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.CHECKPOINT_CORRUPT);
    }
    if (e instanceof CheckpointStoreException.Conflict) {
      return ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.CHECKPOINT_CONFLICT);
    }
    if (e instanceof CheckpointStoreException.NotFound) {
      return ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
    if (e instanceof CheckpointStoreException.Unavailable) {
      return ApplicationFailure.newFailureWithCause(e.getMessage(), Failures.STORAGE_UNAVAILABLE, e.getCause());
    }
    return ApplicationFailure.newFailureWithCause(e.getMessage(), e.getClass().getName(), e.getCause());
  }

  /** Runs {@code call}, throwing a store error it raises as its Temporal failure. */
  public static <T> T call(Supplier<T> call) {
    try {
      return call.get();
    } catch (CheckpointStoreException e) {
      throw toFailure(e);
    }
  }

  /** Runs {@code call}, throwing a store error it raises as its Temporal failure. */
  public static void run(Runnable call) {
    call(() -> {
      call.run();
      return null;
    });
  }
}
