package io.bmadflow.client;

import io.temporal.client.UpdateOptions;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateHandle;
import io.temporal.client.WorkflowUpdateStage;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * One workflow update with a deadline: it waits at most the timeout for the workflow to accept the
 * update and then for its result, and says which of the two it was still waiting for.
 *
 * <p>A Temporal client update has no deadline of its own: while no worker runs the workflow, or
 * while its workflow task keeps failing, it waits for ever. This does not.
 */
final class UpdateCall {
  private static final ExecutorService waiting = Executors.newCachedThreadPool(r -> {
    Thread thread = new Thread(r, "bmadflow-update");
    thread.setDaemon(true);
    return thread;
  });

  /** Why an update did not finish in time. */
  enum Stalled { NOT_ACCEPTED, NOT_FINISHED }

  /** An update that did not finish within its timeout. */
  static final class StalledException extends Exception {
    final Stalled stage;

    StalledException(Stalled stage) {
      super(stage.name());
      this.stage = stage;
    }
  }

  private UpdateCall() {}

  /**
   * Runs the update {@code name} with {@code args} on {@code stub}, within {@code timeout}.
   *
   * @throws StalledException when the timeout passed before it was accepted or before it finished
   * @throws WorkflowUpdateException when the workflow refused it or its handler failed
   * @throws WorkflowNotFoundException when the workflow is not running
   */
  static <R> R run(WorkflowStub stub, String name, Class<R> type, Duration timeout, Object... args)
      throws StalledException {
    long deadline = System.nanoTime() + timeout.toNanos();
    UpdateOptions<R> options = UpdateOptions.newBuilder(type)
        .setUpdateName(name)
        .setUpdateId(UUID.randomUUID().toString())
        .setWaitForStage(WorkflowUpdateStage.ACCEPTED)
        .build();
    WorkflowUpdateHandle<R> handle = within(() -> stub.startUpdate(options, args), deadline, Stalled.NOT_ACCEPTED);
    long remaining = Math.max(1, deadline - System.nanoTime());
    return within(() -> handle.getResultAsync(remaining, TimeUnit.NANOSECONDS).join(), deadline, Stalled.NOT_FINISHED);
  }

  private static <T> T within(Supplier<T> call, long deadline, Stalled stage) throws StalledException {
    Future<T> future = waiting.submit(call::get);
    try {
      return future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new StalledException(stage);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new StalledException(stage);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException c && c.getCause() != null
          ? c.getCause() : e.getCause();
      if (cause instanceof java.util.concurrent.TimeoutException) {
        throw new StalledException(stage);
      }
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(cause);
    }
  }
}
