package io.bmadflow.benchmarks;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.github.luben.zstd.Zstd;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.PackageDigest;
import io.bmadflow.infra.checkpoint.PackageSource;
import io.bmadflow.infra.checkpoint.RetentionPolicy;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.checkpoint.StoreOptions;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Measures {@link S3CheckpointStore} against an embedded S3Proxy and writes {@code docs/benchmarks.md}.
 *
 * <p>One run measures four things: commit latency and throughput beside a raw PutObject of the
 * same bytes, the bytes an incremental checkpoint writes after a one-file change, the extra heap
 * of a 100 MB commit (in a separate JVM, {@link HeapProbe}), and gzip against zstd on the same
 * content. Every figure in the report comes from the run; run it with {@code benchmarks/run}.
 */
public final class CheckpointBenchmark {
  static final long KB = 1000;
  static final long MB = 1000 * KB;
  static final String BIG_FILE = "context-snapshot/communication-log.md";
  private static final String COMMAND = "benchmarks/run";
  private static final String HEAP_LIMIT = "-Xmx256m";

  /** A state size to commit, how often, and whether its large file is streamed from disk. */
  record Size(String label, long bytes, int warmups, int iterations, boolean onDisk) {}

  private static final List<Size> SIZES = List.of(
      new Size("100 KB", 100 * KB, 5, 50, false),
      new Size("2 MB", 2 * MB, 3, 50, false),
      new Size("20 MB", 20 * MB, 2, 10, false),
      new Size("100 MB", 100 * MB, 1, 5, true));

  /** One file of a benchmark package: bytes in memory, or a file on disk for the largest state. */
  record Item(String path, byte[] bytes, Path file) {
    PackageSource source() {
      return bytes != null ? PackageSource.of(path, bytes) : PackageSource.of(path, file);
    }

    RequestBody body() {
      return bytes != null ? RequestBody.fromBytes(bytes) : RequestBody.fromFile(file);
    }

    long size() {
      try {
        return bytes != null ? bytes.length : Files.size(file);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The latencies of one state size: commit and raw PutObject, in nanoseconds, and the stored size. */
  record WriteRow(Size size, long[] commitNanos, long[] rawNanos, long storedBytes) {
    double commitP50() { return percentile(commitNanos, 0.50); }
    double commitP99() { return percentile(commitNanos, 0.99); }
    double rawP50() { return percentile(rawNanos, 0.50); }
    double rawP99() { return percentile(rawNanos, 0.99); }
  }

  /** A full checkpoint and an incremental one to it: files, logical size, bytes written, references. */
  record Incremental(int files, long logicalBytes, long fullWritten, long incrementalWritten, int references) {
    double percent() { return 100.0 * incrementalWritten / fullWritten; }
  }

  /** A compression codec under test. */
  record Codec(String name, Transform compress, Transform decompress) {}

  /** A byte transformation that may fail with an I/O error. */
  @FunctionalInterface
  interface Transform {
    byte[] apply(byte[] in) throws IOException;
  }

  /** One codec on one package: compressed size and median compress and decompress times. */
  record CodecRow(String content, String codec, long logical, long compressed, long compressNanos, long decompressNanos) {}

  private CheckpointBenchmark() {}

  /** Runs every measurement, prints the report and writes it to the path in {@code args[0]}. */
  public static void main(String[] args) throws Exception {
    Path report = Path.of(args.length > 0 ? args[0] : "docs/benchmarks.md").toAbsolutePath();
    Path dir = Files.createTempDirectory("bmadflow-bench-");
    Instant started = Instant.now();
    try (DevStack stack = DevStack.start(dir.resolve("stack"), 0, 0);
        S3Client s3 = stack.s3Settings().newClient()) {
      S3CheckpointStore store = new S3CheckpointStore(s3, stack.s3Settings(), StoreOptions.defaults());
      progress("warming up");
      warmUp(store, s3);
      List<WriteRow> writes = new ArrayList<>();
      Map<Long, List<Item>> packages = new LinkedHashMap<>();
      for (Size size : SIZES) {
        progress("write latency, " + size.label());
        List<Item> items = statePackage(size.bytes(), size.onDisk() ? dir : null);
        packages.put(size.bytes(), items);
        writes.add(measureWrites(store, s3, size, items));
      }
      progress("incremental checkpoint");
      Incremental incremental = measureIncremental(store);
      progress("heap of a 100 MB commit (separate JVM, " + HEAP_LIMIT + ")");
      Path bigFile = packages.get(100 * MB).stream().map(Item::file).filter(Objects::nonNull).findFirst().orElseThrow();
      Map<String, String> heap = heapProbe(stack.s3Endpoint(), bigFile, HEAP_LIMIT);
      if (!heap.get("exit").equals("0")) {
        throw new IllegalStateException("the heap probe failed: " + heap);
      }
      String tightLimit = "-Xmx" + (Long.parseLong(heap.get("baseline")) + 64 * MB) / (1024 * 1024) + "m";
      progress("the same commit with " + tightLimit + " (baseline + 64 MB)");
      Map<String, String> tight = heapProbe(stack.s3Endpoint(), bigFile, tightLimit);
      tight.put("limit", tightLimit);
      progress("compression");
      List<CodecRow> codecs = new ArrayList<>();
      codecs.addAll(measureCodecs("2 MB state", packages.get(2 * MB), 7));
      codecs.addAll(measureCodecs("20 MB state", packages.get(20 * MB), 3));
      String markdown = report(started, writes, incremental, heap, tight, codecs);
      System.out.println(markdown);
      Files.createDirectories(report.getParent());
      Files.writeString(report, markdown);
      progress("wrote " + report);
    } finally {
      deleteTree(dir);
    }
  }

  // ---- content ----------------------------------------------------------------------------------

  /** Function words first, then the project's domain words: {@link #word} draws them by Zipf's law. */
  private static final String[] VOCABULARY = ("the of and to a in is that for it as with be on by this are from or an at"
      + " not will each when all must should can if then but so we they which use new one more than after before into"
      + " only also any has have was were been per its our no may via out up story agent workflow checkpoint phase test"
      + " review architecture requirement user api service data state gate risk epic acceptance criteria task deploy"
      + " build error retry temporal bucket package project brief product manager analyst architect developer owner"
      + " scrum master quality assurance front end back database schema endpoint request response status code module"
      + " component interface implementation design decision document section table field value key file path version"
      + " release sprint backlog priority estimate dependency constraint assumption goal metric performance security"
      + " authentication authorization session token cache queue event message log trace monitor alert latency"
      + " throughput storage backup recovery failure timeout limit budget scope feature bug fix change update create"
      + " delete read write list get set start stop run step loop approve reject pass fail pending done ready draft"
      + " approved blocked complete customer order payment invoice account profile search filter page form button"
      + " screen layout theme mobile browser server client worker container cluster region network config secret"
      + " migration index query transaction consistency availability stakeholder timeline milestone").split(" ");
  private static final String[] AGENTS = {"analyst", "pm", "ux-expert", "architect", "po", "sm", "dev", "qa"};
  private static final String[] EVENTS = {"step_started", "step_completed", "artifact_written", "gate_passed",
      "story_status_changed", "decision_recorded", "heartbeat"};
  private static final String[] STATUSES = {"Draft", "Approved", "Review", "Done"};
  private static final String[] SECTIONS = {"### Acceptance Criteria", "### Tasks / Subtasks", "### Dev Notes", "### Testing"};

  /** A word drawn by Zipf's law: the k-th most common with a probability proportional to 1/k. */
  private static String word(Random random) {
    return VOCABULARY[(int) Math.exp(random.nextDouble() * Math.log(VOCABULARY.length + 1)) - 1];
  }

  private static void words(StringBuilder out, Random random, int n) {
    for (int i = 0; i < n; i++) {
      out.append(i == 0 ? "" : " ").append(word(random));
    }
  }

  /**
   * Writes {@code bytes} of deterministic text like a project's state: JSON lines of agent events
   * (recurring keys, varying timestamps, ids and numbers), alternating with markdown story
   * sections (heading, status, prose, checklist) when {@code markdown}.
   */
  static void writeText(OutputStream out, long seed, long bytes, boolean markdown) throws IOException {
    Random random = new Random(seed);
    StringBuilder block = new StringBuilder();
    long millis = Instant.parse("2026-01-15T09:00:00Z").toEpochMilli() + seed * 86_400_000L;
    for (long left = bytes, n = 0; left > 0; n++) {
      block.setLength(0);
      if (markdown && n % 2 == 0) {
        block.append("## Story ").append(1 + random.nextInt(9)).append('.').append(1 + random.nextInt(12)).append(": ");
        words(block, random, 3 + random.nextInt(4));
        block.append("\n\n");
        block.append("Status: ").append(STATUSES[random.nextInt(STATUSES.length)]).append("\n\n");
        for (int s = 2 + random.nextInt(6); s > 0; s--) {
          int start = block.length();
          words(block, random, 8 + random.nextInt(13));
          block.setCharAt(start, Character.toUpperCase(block.charAt(start)));
          block.append(". ");
        }
        block.append("\n\n").append(SECTIONS[random.nextInt(SECTIONS.length)]).append("\n\n");
        for (int item = 2 + random.nextInt(4); item > 0; item--) {
          block.append(random.nextBoolean() ? "- [x] " : "- [ ] ");
          words(block, random, 5 + random.nextInt(6));
          block.append(" (AC ").append(1 + random.nextInt(6)).append(")\n");
        }
        block.append('\n');
      } else {
        for (int line = 3 + random.nextInt(6); line > 0; line--) {
          millis += random.nextInt(60_000);
          block.append("{\"ts\":\"").append(Instant.ofEpochMilli(millis)).append("\",\"agent\":\"")
              .append(AGENTS[random.nextInt(AGENTS.length)]).append("\",\"event\":\"")
              .append(EVENTS[random.nextInt(EVENTS.length)]).append("\",\"story\":\"")
              .append(1 + random.nextInt(9)).append('.').append(1 + random.nextInt(12)).append("\",\"tokens\":")
              .append(random.nextInt(20_000)).append(",\"sha256\":\"").append(Long.toHexString(random.nextLong()))
              .append("\",\"message\":\"");
          words(block, random, 6 + random.nextInt(20));
          block.append("\"}\n");
        }
      }
      byte[] chunk = block.toString().getBytes(UTF_8);
      int length = (int) Math.min(chunk.length, left);
      out.write(chunk, 0, length);
      left -= length;
    }
  }

  /** {@link #writeText} into memory; markdown for {@code .md} paths, JSON lines otherwise. */
  static byte[] text(String path, long seed, long bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) bytes);
    try {
      writeText(out, seed, bytes, path.endsWith(".md"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The small files every state package has: workflow state, an agent state, progress, validation. */
  static List<Item> smallFiles() {
    List<Item> items = new ArrayList<>();
    for (Object[] f : new Object[][] {{"workflow-state-snapshot.json", 6}, {"agent-states-snapshot/bmad-agents/dev.json", 4},
        {"progress-tracking.json", 2}, {"validation-report.json", 1}}) {
      items.add(new Item((String) f[0], text((String) f[0], items.size() + 1, (int) f[1] * KB), null));
    }
    return items;
  }

  /**
   * A state package of {@code total} bytes: the small files and one large communication log,
   * written to a file under {@code dir} when {@code dir} is not null.
   */
  static List<Item> statePackage(long total, Path dir) throws IOException {
    List<Item> items = smallFiles();
    long big = total - items.stream().mapToLong(Item::size).sum();
    if (dir == null) {
      items.add(new Item(BIG_FILE, text(BIG_FILE, 7, big), null));
    } else {
      Path file = dir.resolve("state-" + total + ".md");
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
        writeText(out, 7, big, true);
      }
      items.add(new Item(BIG_FILE, null, file));
    }
    return items;
  }

  // ---- store operations -------------------------------------------------------------------------

  /** Commits {@code items} under a fresh checkpoint id, incremental to {@code parent} when not null. */
  static CheckpointStore.CommitResult commit(CheckpointStore store, String project, String parent, List<Item> items) {
    String id = CheckpointIds.of(System.currentTimeMillis(), UUID.randomUUID());
    List<PackageSource> sources = items.stream().map(Item::source).toList();
    return store.commit(new CheckpointStore.CommitRequest(project, id, parent, null, sources, d -> metadata(project, id, d)));
  }

  /** Plausible metadata around what the store computed, as the checkpoint activity builds it. */
  static CheckpointMetadata metadata(String project, String id, PackageDigest digest) {
    String retention = RetentionPolicy.classOf("medium", "phase_transition");
    Instant created = Instant.now();
    Instant expires = digest.retention().expiresAt(retention, created);
    return new CheckpointMetadata(
        new CheckpointMetadata.Info(id, created.toString(), "automatic", "phase_transition", "benchmark",
            "medium", "benchmark", project, "implementation", "greenfield-fullstack", 1, null),
        new CheckpointMetadata.StateSummary(0.5, 1, 0, 0, 0, 0, digest.files().size(), 0),
        new CheckpointMetadata.RecoveryMetadata("under 1 minute", "simple", List.of(), List.of(), true),
        new CheckpointMetadata.IntegrityValidation(digest.checksum(), created.toString(), "passed", Map.of(), digest.files()),
        new CheckpointMetadata.StorageMetadata(digest.storedBytes() / 1e6,
            (double) digest.storedBytes() / Math.max(1, digest.logicalBytes()), "cloud", retention,
            expires == null ? null : expires.toString(), digest.location(), digest.logicalBytes(), digest.storedBytes(),
            digest.bytesWritten(), digest.parentCheckpointId(), digest.incrementalDepth(), digest.references()),
        new CheckpointMetadata.TemporalReference("benchmark", "run", 1));
  }

  /** Uploads {@code items} as they are, one PutObject per file, under a fresh prefix. */
  static void rawPut(S3Client s3, List<Item> items) {
    String prefix = "raw/" + UUID.randomUUID() + "/";
    for (Item item : items) {
      s3.putObject(b -> b.bucket(DevStack.BUCKET).key(prefix + item.path()), item.body());
    }
  }

  // ---- measurements -----------------------------------------------------------------------------

  /** Loads and compiles the code paths of both writers before anything is timed. */
  private static void warmUp(CheckpointStore store, S3Client s3) throws IOException {
    for (long bytes : new long[] {100 * KB, 2 * MB}) {
      List<Item> items = statePackage(bytes, null);
      for (int i = 0; i < (bytes < MB ? 30 : 10); i++) {
        commit(store, "bench-warmup", null, items);
        rawPut(s3, items);
      }
    }
  }

  /** Times commits and raw puts of one state size, alternating which goes first. */
  private static WriteRow measureWrites(CheckpointStore store, S3Client s3, Size size, List<Item> items) {
    String project = "bench-write-" + size.bytes();
    long[] commits = new long[size.iterations()];
    long[] raws = new long[size.iterations()];
    long stored = 0;
    System.gc();
    for (int i = -size.warmups(); i < size.iterations(); i++) {
      long commitNanos = 0;
      long rawNanos = 0;
      for (int step = 0; step < 2; step++) {
        long start = System.nanoTime();
        if ((step == 0) == (Math.floorMod(i, 2) == 0)) {
          stored = commit(store, project, null, items).metadata().storageMetadata().storedBytes();
          commitNanos = System.nanoTime() - start;
        } else {
          rawPut(s3, items);
          rawNanos = System.nanoTime() - start;
        }
      }
      if (i >= 0) {
        commits[i] = commitNanos;
        raws[i] = rawNanos;
      }
    }
    return new WriteRow(size, commits, raws, stored);
  }

  /** Commits a full package of ten files, then one incremental to it with one small file changed. */
  private static Incremental measureIncremental(CheckpointStore store) {
    List<Item> full = new ArrayList<>();
    full.add(new Item("workflow-state-snapshot.json", text(".json", 100, 4 * KB), null));
    String[] paths = {"docs/project-brief.md", "docs/prd.md", "docs/front-end-spec.md", "docs/architecture.md",
        "docs/stories/1.1.story.md", "context-snapshot/project-context.md", "agent-states-snapshot/bmad-agents/pm.json",
        "agent-states-snapshot/bmad-agents/dev.json", "communication-log.jsonl"};
    for (int i = 0; i < paths.length; i++) {
      full.add(new Item(paths[i], text(paths[i], 200 + i, (2 * MB - 4 * KB) / paths.length), null));
    }
    List<Item> changed = new ArrayList<>(full);
    changed.set(0, new Item("workflow-state-snapshot.json", text(".json", 101, 4 * KB), null));
    CheckpointMetadata first = commit(store, "bench-incremental", null, full).metadata();
    CheckpointMetadata.StorageMetadata second =
        commit(store, "bench-incremental", first.checkpointMetadata().checkpointId(), changed).metadata().storageMetadata();
    if (second.parentCheckpointId() == null) {
      throw new IllegalStateException("the second checkpoint was not incremental");
    }
    return new Incremental(full.size(), first.storageMetadata().logicalBytes(), first.storageMetadata().bytesWritten(),
        second.bytesWritten(), second.references().size());
  }

  /** Runs {@link HeapProbe} in a JVM with {@code maxHeap}; returns what it reported and its exit code. */
  private static Map<String, String> heapProbe(URI endpoint, Path file, String maxHeap) throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process process = new ProcessBuilder(java, maxHeap, "-cp", System.getProperty("java.class.path"),
        HeapProbe.class.getName(), endpoint.toString(), file.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);
    Map<String, String> values = new LinkedHashMap<>();
    values.put("exit", String.valueOf(process.waitFor()));
    output.lines().filter(l -> l.contains("=")).forEach(l -> values.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
    return values;
  }

  /** Compresses each file of a package with each codec, {@code repetitions} times after a warm-up. */
  private static List<CodecRow> measureCodecs(String content, List<Item> items, int repetitions) throws IOException {
    List<Codec> codecs = List.of(
        new Codec("gzip level 6 (the JDK's default)", in -> gzip(in, -1), CheckpointBenchmark::gunzip),
        new Codec("gzip level 1 (the store's)", in -> gzip(in, 1), CheckpointBenchmark::gunzip),
        new Codec("zstd level 1", in -> Zstd.compress(in, 1), in -> Zstd.decompress(in, (int) Zstd.getFrameContentSize(in))),
        new Codec("zstd level 3 (zstd's default)", in -> Zstd.compress(in, 3), in -> Zstd.decompress(in, (int) Zstd.getFrameContentSize(in))));
    List<byte[]> files = items.stream().map(Item::bytes).toList();
    long logical = files.stream().mapToLong(f -> f.length).sum();
    List<CodecRow> rows = new ArrayList<>();
    for (Codec codec : codecs) {
      long[] compressTimes = new long[repetitions];
      long[] decompressTimes = new long[repetitions];
      long compressed = 0;
      for (int r = -2; r < repetitions; r++) {
        List<byte[]> packed = new ArrayList<>();
        long start = System.nanoTime();
        for (byte[] file : files) {
          packed.add(codec.compress().apply(file));
        }
        long middle = System.nanoTime();
        List<byte[]> unpacked = new ArrayList<>();
        for (byte[] p : packed) {
          unpacked.add(codec.decompress().apply(p));
        }
        long end = System.nanoTime();
        for (int f = 0; f < files.size(); f++) {
          if (!Arrays.equals(files.get(f), unpacked.get(f))) {
            throw new IllegalStateException(codec.name() + " did not round-trip");
          }
        }
        compressed = packed.stream().mapToLong(p -> p.length).sum();
        if (r >= 0) {
          compressTimes[r] = middle - start;
          decompressTimes[r] = end - middle;
        }
      }
      rows.add(new CodecRow(content, codec.name(), logical, compressed,
          (long) percentile(compressTimes, 0.5), (long) percentile(decompressTimes, 0.5)));
    }
    return rows;
  }

  static byte[] gzip(byte[] in, int level) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length / 3 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024) {
      {
        def.setLevel(level);
      }
    }) {
      gz.write(in);
    }
    return out.toByteArray();
  }

  static byte[] gunzip(byte[] in) throws IOException {
    try (GZIPInputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(in), 64 * 1024)) {
      return gz.readAllBytes();
    }
  }

  /** The nearest-rank percentile {@code p} of {@code values}. */
  static double percentile(long[] values, double p) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[Math.max(0, (int) Math.ceil(p * sorted.length) - 1)];
  }

  // ---- report -----------------------------------------------------------------------------------

  private static String report(Instant started, List<WriteRow> writes, Incremental incremental, Map<String, String> heap,
      Map<String, String> tight, List<CodecRow> codecs) throws IOException, InterruptedException {
    StringBuilder md = new StringBuilder();
    md.append("# Checkpoint store benchmarks\n\n")
        .append("Generated by `").append(COMMAND).append("` (builds the `benchmarks` module with `-Pbenchmarks`, then runs\n")
        .append("`io.bmadflow.benchmarks.CheckpointBenchmark`). Every figure below comes from one run of that command;\n")
        .append("re-running it rewrites this file.\n\n")
        .append("- Date: ").append(started.truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC))
        .append(", ").append(Duration.between(started, Instant.now()).toSeconds()).append(" s\n")
        .append("- Machine: ").append(Machine.describe()).append('\n')
        .append(String.format(Locale.ROOT, "- Load average (1 min, whole machine, this run included) at each step: %s%n",
            LOADS.stream().map(l -> String.format(Locale.ROOT, "%.2f", l)).toList()))
        .append("- Target: S3Proxy with its filesystem store in a temp dir, on 127.0.0.1, in the benchmark's JVM\n")
        .append("  (`DevStack`, which also starts an idle Temporal test server). Client: `S3Settings.newClient()`.\n")
        .append("- Store: `S3CheckpointStore` with `StoreOptions.defaults()` (gzip on, 8 MiB multipart threshold).\n")
        .append("- Units: KB = 1000 bytes, MB = 10^6 bytes.\n\n")
        .append("`java -version`:\n\n```\n").append(Machine.javaVersion()).append("```\n\n");

    WriteRow twoMb = writes.stream().filter(w -> w.size().bytes() == 2 * MB).findFirst().orElseThrow();
    double headline = twoMb.commitP50() / twoMb.rawP50();
    double incrementalPercent = incremental.percent();
    double extraHeap = Long.parseLong(heap.get("extraPeakPools"));
    double liveHeap = Long.parseLong(heap.get("extraLive"));
    md.append("## Goals\n\n| Goal | Figure | Met |\n|---|---|---|\n")
        .append(goal("Commit at most 1.5x a raw PutObject at 2 MB (p50)", String.format(Locale.ROOT, "%.2fx", headline), headline <= 1.5))
        .append(goal("Incremental after a one-file change at most 5% of a full one's bytes written",
            String.format(Locale.ROOT, "%.2f%%", incrementalPercent), incrementalPercent <= 5))
        .append(goal("100 MB commit with less than 64 MB extra heap (" + HEAP_LIMIT + ")",
            String.format(Locale.ROOT, "%.1f MB peak - baseline (live after GC: %.1f MB; with `%s`: %s)", extraHeap / MB,
                liveHeap / MB, tight.get("limit"), tight.get("exit").equals("0") ? "completes" : "fails"),
            extraHeap < 64 * MB))
        .append('\n');

    md.append("## 1. Write latency: commit against a raw PutObject\n\n")
        .append("Each state is four small JSON-lines files (").append(smallFiles().stream().mapToLong(Item::size).sum() / KB)
        .append(" KB in all) plus one large log of markdown story sections and\n")
        .append("JSON-lines agent events, words drawn from a fixed vocabulary by Zipf's law: prose-like text (the\n")
        .append("stored/logical column is what gzip leaves of it). *commit* is\n")
        .append("`S3CheckpointStore.commit` with a fresh checkpoint id (hash pass, gzip, create-only puts, manifest,\n")
        .append("metadata, registry update); *raw* is one plain `PutObject` per file of the same bytes, uncompressed.\n")
        .append("They alternate which goes first, after warm-ups. The 100 MB log is fed from a temp file\n")
        .append("(`PackageSource.of(path, Path)`, `RequestBody.fromFile`). p99 is nearest-rank: with 50 samples or fewer it\n")
        .append("is the slowest run. MB/s is the state size over the p50 latency.\n\n")
        .append("| State | Runs | commit p50 ms | commit p99 ms | commit MB/s | raw p50 ms | raw p99 ms | raw MB/s |"
            + " **commit/raw p50** | commit/raw p99 | stored/logical |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (WriteRow w : writes) {
      double mb = (double) w.size().bytes() / MB;
      md.append(String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | **%.2fx** | %.2fx | %.3f |%n",
          w.size().label(), w.size().iterations(), w.commitP50() / 1e6, w.commitP99() / 1e6, mb / (w.commitP50() / 1e9),
          w.rawP50() / 1e6, w.rawP99() / 1e6, mb / (w.rawP50() / 1e9), w.commitP50() / w.rawP50(),
          w.commitP99() / w.rawP99(), (double) w.storedBytes() / w.size().bytes()));
    }

    md.append("\n## 2. Incremental checkpoint after a one-file change\n\n")
        .append(String.format(Locale.ROOT, "A full package of %d files (%.2f MB), then a second one with `parentCheckpointId` set to the first\n"
            + "and only `workflow-state-snapshot.json` (4 KB) changed. Bytes written is `storage_metadata.bytes_written`\n"
            + "(content objects and the manifest; the metadata object and the registry update come on top in both).\n\n",
            incremental.files(), incremental.logicalBytes() / 1e6))
        .append("| Checkpoint | bytes written | % of full |\n|---|---|---|\n")
        .append(String.format(Locale.ROOT, "| full | %d | 100%% |%n| incremental (one file changed, references %d earlier checkpoint) | %d | **%.2f%%** |%n",
            incremental.fullWritten(), incremental.references(), incremental.incrementalWritten(), incrementalPercent));

    md.append("\n## 3. Heap while committing 100 MB\n\n")
        .append("A separate JVM (`HeapProbe`, `").append(HEAP_LIMIT).append("`, GC: ").append(heap.get("gc"))
        .append(") commits the 100 MB state to the same\n")
        .append("S3Proxy once to warm up, then ").append(heap.get("rounds")).append(" times under fresh ids; before each, it runs `System.gc()`, resets\n")
        .append("the heap pools' peaks and takes the used heap as the baseline, and a thread samples the used heap every\n")
        .append("millisecond during the commit. Each figure is the largest of the rounds. *Peak* includes garbage not\n")
        .append("yet collected, so it depends on how far the collector lets the young generation grow; *live* is the\n")
        .append("largest heap left after a collection during the commit.\n\n")
        .append("| Figure | MB |\n|---|---|\n")
        .append(heapRow("baseline used heap", heap.get("baseline")))
        .append(heapRow("**peak - baseline (heap pools' peak usage)**", heap.get("extraPeakPools")))
        .append(heapRow("peak - baseline (largest 1 ms sample)", heap.get("extraPeakSampled")))
        .append(heapRow("live - baseline (largest heap after a GC during a commit)", heap.get("extraLive")))
        .append(String.format(Locale.ROOT, "%nThe slowest measured commit took %s ms; %s collections in all.%n",
            heap.get("commitMillis"), heap.get("gcCount")))
        .append(tight.get("exit").equals("0")
            ? String.format(Locale.ROOT, "The same probe with `%s` (the baseline above plus 64 MB) completed: peak - baseline"
                + " %.1f MB, live - baseline %.1f MB, slowest commit %s ms, %s collections.%n", tight.get("limit"),
                Long.parseLong(tight.get("extraPeakPools")) / 1e6, Long.parseLong(tight.get("extraLive")) / 1e6,
                tight.get("commitMillis"), tight.get("gcCount"))
            : String.format(Locale.ROOT, "The same probe with `%s` (the baseline above plus 64 MB) failed (exit %s): %s%n",
                tight.get("limit"), tight.get("exit"), tight.getOrDefault("error", "see the run's stderr")));

    md.append("\n## 4. Compression: gzip against zstd\n\n")
        .append("Each file of the 2 MB and 20 MB states compressed on its own (as the store does), in memory, single\n")
        .append("thread; median of 7 (2 MB) or 3 (20 MB) repetitions after two warm-ups; every result is decompressed and\n")
        .append("compared. zstd is zstd-jni ").append(Zstd.class.getPackage().getImplementationVersion() == null
            ? "" : Zstd.class.getPackage().getImplementationVersion()).append(", in this module only.\n\n")
        .append("| Content | Codec | size after | ratio | compress MB/s | decompress MB/s |\n|---|---|---|---|---|---|\n");
    for (CodecRow c : codecs) {
      md.append(String.format(Locale.ROOT, "| %s | %s | %.1f%% | %.2f | %.0f | %.0f |%n", c.content(), c.codec(),
          100.0 * c.compressed() / c.logical(), (double) c.logical() / c.compressed(),
          c.logical() / 1e6 / (c.compressNanos() / 1e9), c.logical() / 1e6 / (c.decompressNanos() / 1e9)));
    }
    md.append('\n').append(compressionVerdict(codecs, writes));
    return md.toString();
  }

  private static String goal(String goal, String figure, boolean met) {
    return "| " + goal + " | " + figure + " | " + (met ? "met" : "**not met**") + " |\n";
  }

  private static String heapRow(String name, String bytes) {
    return String.format(Locale.ROOT, "| %s | %.1f |%n", name, Long.parseLong(bytes) / 1e6);
  }

  /** What the compression figures say about the store's gzip, from the codec rows and the commit latencies. */
  private static String compressionVerdict(List<CodecRow> codecs, List<WriteRow> writes) {
    StringBuilder out = new StringBuilder("### What this says about the store's gzip (level 1)\n\n");
    for (WriteRow w : writes) {
      CodecRow store = find(codecs, w.size().label() + " state", "gzip level 1");
      if (store != null) {
        out.append(String.format(Locale.ROOT, "- %s: gzip level 1 takes %.0f ms on the state's files; a commit takes %.0f ms (p50)"
                + " against %.0f ms for a raw put, an overhead of %.0f ms.%n", w.size().label(), store.compressNanos() / 1e6,
            w.commitP50() / 1e6, w.rawP50() / 1e6, (w.commitP50() - w.rawP50()) / 1e6));
      }
    }
    CodecRow gzip6 = find(codecs, "20 MB", "gzip level 6");
    CodecRow gzip1 = find(codecs, "20 MB", "gzip level 1");
    CodecRow zstd1 = find(codecs, "20 MB", "zstd level 1");
    double overSix = (double) gzip6.compressNanos() / gzip1.compressNanos();
    double zstdOverGzip1 = (double) gzip1.compressNanos() / zstd1.compressNanos();
    out.append(String.format(Locale.ROOT, "- 20 MB: gzip level 1 compresses %.1fx faster than level 6, to %.1f%% of the original"
            + " against %.1f%%; zstd level 1 compresses %.1fx faster than gzip level 1, to %.1f%%.%n%n",
        overSix, 100.0 * gzip1.compressed() / gzip1.logical(), 100.0 * gzip6.compressed() / gzip6.logical(),
        zstdOverGzip1, 100.0 * zstd1.compressed() / zstd1.logical()));
    out.append(String.format(Locale.ROOT, "The store uses gzip level 1: level 6 made compression most of a commit's cost, level 1 cuts"
        + " it %.1fx for a few more bytes, and the objects stay readable with `gzip -d` and the JDK alone. zstd level 1 would be"
        + " %.1fx faster again and smaller, at the price of a native library on every worker and reader; worth it only where"
        + " the overhead lines above show CPU, not round trips, bounding a commit.%n", overSix, zstdOverGzip1));
    return out.toString();
  }

  private static CodecRow find(List<CodecRow> rows, String content, String codec) {
    return rows.stream().filter(r -> r.content().startsWith(content) && r.codec().startsWith(codec)).findFirst().orElse(null);
  }

  /** The machine's 1-minute load average at each step: other processes share the cores. */
  private static final List<Double> LOADS = new ArrayList<>();

  private static void progress(String step) {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    LOADS.add(load);
    System.err.printf(Locale.ROOT, "[benchmark %s, load %.2f] %s%n", Instant.now().truncatedTo(ChronoUnit.SECONDS), load, step);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
