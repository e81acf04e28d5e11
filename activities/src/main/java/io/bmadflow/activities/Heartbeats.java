package io.bmadflow.activities;

import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Heartbeats an activity from the side while it does work that cannot report progress itself
 * (a checkpoint upload), so that Temporal notices a lost worker within the heartbeat timeout.
 */
public final class Heartbeats {
  private static final ScheduledExecutorService TICKER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread thread = new Thread(r, "bmadflow-heartbeats");
    thread.setDaemon(true);
    return thread;
  });

  private Heartbeats() {}

  /** Runs the work, heartbeating every two seconds until it returns or throws. */
  public static <T> T during(Supplier<T> work) {
    ActivityExecutionContext context = Activity.getExecutionContext();
    ScheduledFuture<?> ticking = TICKER.scheduleAtFixedRate(() -> {
      try {
        context.heartbeat(null);
      } catch (RuntimeException cancelledOrGone) {
        // The attempt is over as far as Temporal is concerned; the work finds out on its own.
      }
    }, 0, 2, TimeUnit.SECONDS);
    try {
      return work.get();
    } finally {
      ticking.cancel(false);
    }
  }
}
