package io.bmadflow.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.checkpoint.StoreOptions;
import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.devstack.DevStack;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Measures the extra heap of one 100 MB commit; {@link CheckpointBenchmark} runs it in its own JVM.
 *
 * <p>Arguments: the S3 endpoint of the benchmark's dev stack and the 100 MB file. Prints
 * {@code key=value} lines, each the largest over the rounds: {@code baseline} (used heap after
 * {@code System.gc()}), the extra heap over it in bytes ({@code extraPeakPools}: the heap pools'
 * peak usage, {@code extraPeakSampled}: the largest 1 ms sample, {@code extraLive}: the largest
 * heap after a collection), {@code commitMillis}; and {@code rounds}, {@code gcCount}, {@code gc};
 * or {@code error} on failure.
 */
public final class HeapProbe {
  /** Measured commits; each figure reported is the largest of the rounds. */
  static final int ROUNDS = 3;

  private HeapProbe() {}

  /**
   * Commits the state once to warm up, then {@value #ROUNDS} more times while watching the heap;
   * prints {@code error=} and exits 1 on failure.
   */
  public static void main(String[] args) {
    try {
      probe(URI.create(args[0]), Path.of(args[1]));
    } catch (Throwable t) {
      System.out.println("error=" + t);
      t.printStackTrace();
      System.exit(1);
    }
  }

  private static void probe(URI endpoint, Path bigFile) throws Exception {
    S3Settings settings = new S3Settings(endpoint, DevStack.BUCKET, "", DevStack.REGION,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(DevStack.ACCESS_KEY, DevStack.SECRET_KEY)));
    List<CheckpointBenchmark.Item> items = new ArrayList<>(CheckpointBenchmark.smallFiles());
    items.add(new CheckpointBenchmark.Item(CheckpointBenchmark.BIG_FILE, null, bigFile));
    List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP).toList();
    List<String> heapNames = heapPools.stream().map(MemoryPoolMXBean::getName).toList();
    AtomicLong liveAfterGc = new AtomicLong();
    AtomicLong gcCount = new AtomicLong();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener((notification, handback) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
          var info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
          long after = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
              .filter(e -> heapNames.contains(e.getKey())).mapToLong(e -> e.getValue().getUsed()).sum();
          liveAfterGc.accumulateAndGet(after, Math::max);
          gcCount.incrementAndGet();
        }
      }, null, null);
    }
    long[] worst = new long[5]; // baseline, pools' peak, sampled peak, live after GC (each minus baseline), millis
    try (S3Client s3 = settings.newClient()) {
      S3CheckpointStore store = new S3CheckpointStore(s3, settings, StoreOptions.defaults());
      CheckpointBenchmark.commit(store, "bench-heap", null, items); // Warm-up: class loading, JIT.
      long collections = 0;
      for (int round = 0; round < ROUNDS; round++) {
        System.gc();
        Thread.sleep(200); // GC notifications arrive asynchronously.
        heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
        long baseline = usedHeap(heapPools);
        liveAfterGc.set(baseline);
        long gcsBefore = gcCount.get();
        AtomicLong peakSampled = new AtomicLong(baseline);
        Thread sampler = new Thread(() -> {
          while (!Thread.currentThread().isInterrupted()) {
            peakSampled.accumulateAndGet(usedHeap(heapPools), Math::max);
            try {
              Thread.sleep(1);
            } catch (InterruptedException e) {
              return;
            }
          }
        });
        sampler.setDaemon(true);
        sampler.start();
        long start = System.nanoTime();
        CheckpointBenchmark.commit(store, "bench-heap", null, items);
        long millis = (System.nanoTime() - start) / 1_000_000;
        sampler.interrupt();
        sampler.join();
        Thread.sleep(200);
        long peakPools = heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
        long[] figures = {baseline, peakPools - baseline, peakSampled.get() - baseline, liveAfterGc.get() - baseline, millis};
        for (int i = 0; i < worst.length; i++) {
          worst[i] = Math.max(worst[i], figures[i]);
        }
        collections += gcCount.get() - gcsBefore;
      }
      System.out.println("rounds=" + ROUNDS);
      System.out.println("baseline=" + worst[0]);
      System.out.println("extraPeakPools=" + worst[1]);
      System.out.println("extraPeakSampled=" + worst[2]);
      System.out.println("extraLive=" + worst[3]);
      System.out.println("commitMillis=" + worst[4]);
      System.out.println("gcCount=" + collections);
      System.out.println("gc=" + ManagementFactory.getGarbageCollectorMXBeans().stream()
          .map(GarbageCollectorMXBean::getName).collect(Collectors.joining(", ")));
    }
  }

  private static long usedHeap(List<MemoryPoolMXBean> heapPools) {
    return heapPools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
  }
}
