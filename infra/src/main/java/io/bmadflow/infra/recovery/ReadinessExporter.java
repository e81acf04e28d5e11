package io.bmadflow.infra.recovery;

import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the readiness gauges of every project in the bucket current: every
 * {@code BMADFLOW_READINESS_INTERVAL_SECONDS} (default {@value #DEFAULT_INTERVAL_SECONDS}) it
 * computes each project's {@link Readiness} and records it in the metrics, with the configured
 * {@code BMADFLOW_STORAGE_CAPACITY_BYTES} for the capacity alert. A failed round (S3 down) is
 * logged and tried again at the next one.
 */
public final class ReadinessExporter implements AutoCloseable {
  public static final int DEFAULT_INTERVAL_SECONDS = 60;
  private static final Logger log = LoggerFactory.getLogger(ReadinessExporter.class);

  private final ScheduledExecutorService timer;

  private ReadinessExporter(ScheduledExecutorService timer) {
    this.timer = timer;
  }

  /** Starts exporting, or returns null when there are no metrics or the interval is {@code off}. */
  public static ReadinessExporter start(CheckpointStore store, BmadflowMetrics metrics, Map<String, String> env) {
    String setting = env.getOrDefault("BMADFLOW_READINESS_INTERVAL_SECONDS", "").trim();
    if (metrics == null || setting.equalsIgnoreCase("off")) {
      return null;
    }
    long interval;
    try {
      interval = setting.isEmpty() ? DEFAULT_INTERVAL_SECONDS : Long.parseLong(setting);
    } catch (NumberFormatException e) {
      interval = -1;
    }
    if (interval < 1) {
      throw new IllegalArgumentException("BMADFLOW_READINESS_INTERVAL_SECONDS is '" + setting
          + "'; it is a whole number of seconds, 1 or more, or off");
    }
    String capacity = env.getOrDefault("BMADFLOW_STORAGE_CAPACITY_BYTES", "").trim();
    if (!capacity.isEmpty()) {
      try {
        metrics.recordStorageCapacity(Long.parseLong(capacity));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("BMADFLOW_STORAGE_CAPACITY_BYTES is '" + capacity + "'; it is a number of bytes");
      }
    }
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread thread = new Thread(r, "bmadflow-readiness");
      thread.setDaemon(true);
      return thread;
    });
    ReadinessCalculator calculator = new ReadinessCalculator(store);
    timer.scheduleWithFixedDelay(() -> exportOnce(calculator, store, metrics), 0, interval, TimeUnit.SECONDS);
    return new ReadinessExporter(timer);
  }

  /** One round: every project's readiness into the gauges. */
  static void exportOnce(ReadinessCalculator calculator, CheckpointStore store, BmadflowMetrics metrics) {
    try {
      Instant now = Instant.now();
      List<DrillReport> drills = calculator.drills(now);
      for (String project : store.projects()) {
        Readiness r = calculator.compute(project, now, drills);
        metrics.recordReadiness(project, r.recoveryPoints(), r.newestPointAgeSeconds(), r.score(), r.estimatedSeconds(),
            r.planAgeSeconds());
      }
    } catch (RuntimeException e) {
      log.warn("recovery readiness not updated this round: {}", e.getMessage());
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(Duration.ofSeconds(5).toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
