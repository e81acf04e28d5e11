package io.bmadflow.infra.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** The checkpoint store against a real S3Proxy. */
class S3CheckpointStoreTest {
  @TempDir static Path dataDir;
  static DevStack stack;
  static S3Client s3;
  static S3CheckpointStore store;

  @BeforeAll
  static void start() throws Exception {
    stack = DevStack.start(dataDir, 0, 0);
    s3 = stack.s3Settings().newClient();
    store = new S3CheckpointStore(s3, stack.s3Settings());
  }

  @AfterAll
  static void stop() {
    s3.close();
    stack.close();
  }

  private static long clock = System.currentTimeMillis();

  /** Ids one second apart, so their order is their age. */
  static synchronized String newId() {
    clock += 1000;
    return CheckpointIds.of(clock, java.util.UUID.randomUUID());
  }

  static List<PackageSource> files(String state) {
    List<PackageSource> files = new ArrayList<>();
    files.add(PackageSource.of("workflow-state-snapshot.json", "{\"state\":\"" + state + "\",\"padding\":\"" + "x".repeat(400) + "\"}"));
    files.add(PackageSource.of("agent-states-snapshot/bmad-agents/pm.json", "{\"agent\":\"pm\",\"notes\":\"" + "pm ".repeat(100) + "\"}"));
    files.add(PackageSource.of("context-snapshot/project-context.md", "# Context\n" + "line\n".repeat(200)));
    files.add(PackageSource.of("validation-report.json", "{\"status\":\"passed\"}"));
    return files;
  }

  static Function<PackageDigest, CheckpointMetadata> metadata(String project, String id, String priority) {
    return digest -> {
      String retention = RetentionPolicy.classOf(priority, "phase_transition");
      String created = Instant.ofEpochMilli(clock).toString();
      Instant expires = digest.retention().expiresAt(retention, Instant.parse(created));
      return new CheckpointMetadata(
          new CheckpointMetadata.Info(id, created, "automatic", "phase_transition", "test",
              priority, "system", project, "planning", "greenfield-fullstack", 1, null),
          new CheckpointMetadata.StateSummary(0.5, 2, 3, 3, 0, 0, 1, 0),
          new CheckpointMetadata.RecoveryMetadata("under 1 minute", "simple", List.of(), List.of(), true),
          new CheckpointMetadata.IntegrityValidation(digest.checksum(), "2026-11-25T00:00:01Z", "passed",
              Map.of("workflow_state", "valid"), digest.files()),
          new CheckpointMetadata.StorageMetadata(0.01, 1.0, "cloud", retention, expires == null ? null : expires.toString(),
              digest.location(), digest.logicalBytes(), digest.storedBytes(), digest.bytesWritten(),
              digest.parentCheckpointId(), digest.incrementalDepth(), digest.references()),
          new CheckpointMetadata.TemporalReference("wf", "run", 7));
    };
  }

  static CheckpointStore.CommitResult commit(CheckpointStore on, String project, String id, String parent, List<PackageSource> files) {
    return on.commit(new CheckpointStore.CommitRequest(project, id, parent, null, files, metadata(project, id, "medium")));
  }

  static String key(String project, String id, String path) {
    return PackagePaths.packagePrefix("", project, id) + path;
  }

  static byte[] object(String key) {
    return s3.getObjectAsBytes(b -> b.bucket(DevStack.BUCKET).key(key)).asByteArray();
  }

  static void overwrite(String key, byte[] bytes) {
    s3.putObject(b -> b.bucket(DevStack.BUCKET).key(key), RequestBody.fromBytes(bytes));
  }

  static List<String> failedPaths(VerificationReport report) {
    return report.failures().stream().map(VerificationReport.FileCheck::path).toList();
  }

  @Test
  void commitsCompressedVerifiablePackagesWithPlainMetadata() throws IOException {
    String id = newId();
    CheckpointMetadata m = commit(store, "store-ok", id, null, files("a")).metadata();
    assertTrue(m.integrityValidation().checksum().startsWith("sha256:"));
    assertEquals(List.of(id), store.list("store-ok").stream().map(CheckpointSummary::checkpointId).toList());
    assertTrue(store.verify("store-ok", id).ok());
    PackageFile state = m.integrityValidation().files().stream().filter(f -> f.path().equals("workflow-state-snapshot.json")).findFirst().orElseThrow();
    assertEquals(PackageFile.GZIP, state.encoding());
    assertTrue(state.storedSize() < state.size());
    PackageFile tiny = m.integrityValidation().files().stream().filter(f -> f.path().equals("validation-report.json")).findFirst().orElseThrow();
    assertEquals(PackageFile.IDENTITY, tiny.encoding(), "gzip would make a tiny file bigger, so it is stored as is");
    // Metadata is plain JSON any S3 tool can read; the manifest is sha256sum format over logical content.
    String metadataJson = new String(object(key("store-ok", id, "checkpoint-metadata.json")), StandardCharsets.UTF_8);
    assertTrue(metadataJson.contains("\"checkpoint_metadata\""), metadataJson);
    String manifest = new String(store.readFile("store-ok", id, "manifest.sha256"), StandardCharsets.UTF_8);
    byte[] pm = store.readFile("store-ok", id, "agent-states-snapshot/bmad-agents/pm.json");
    assertTrue(manifest.startsWith(Sha256.hex(pm) + "  agent-states-snapshot/bmad-agents/pm.json\n"), manifest);
    assertEquals(m.integrityValidation().checksum(), "sha256:" + Sha256.hex(manifest.getBytes(StandardCharsets.UTF_8)));
    ByteArrayOutputStream copied = new ByteArrayOutputStream();
    store.copyFile("store-ok", id, "workflow-state-snapshot.json", copied);
    assertTrue(copied.toString(StandardCharsets.UTF_8).startsWith("{\"state\":\"a\""));
  }

  @Test
  void everyKindOfTamperingIsDetectedNamingTheFile() {
    String project = "store-tamper";
    record Tamper(String name, String path, Function<byte[], byte[]> change) {}
    List<Tamper> tampers = List.of(
        new Tamper("flipped byte", "workflow-state-snapshot.json", b -> { b = b.clone(); b[b.length / 2] ^= 1; return b; }),
        new Tamper("truncated", "context-snapshot/project-context.md", b -> java.util.Arrays.copyOf(b, b.length - 7)),
        new Tamper("deleted", "agent-states-snapshot/bmad-agents/pm.json", null),
        new Tamper("replaced manifest", "manifest.sha256", b -> new String(b, StandardCharsets.UTF_8)
            .replaceFirst("[0-9a-f]{64}", "0".repeat(64)).getBytes(StandardCharsets.UTF_8)));
    for (Tamper tamper : tampers) {
      String id = newId();
      commit(store, project, id, null, files(tamper.name()));
      String key = key(project, id, tamper.path());
      if (tamper.change() == null) {
        s3.deleteObject(b -> b.bucket(DevStack.BUCKET).key(key));
      } else {
        overwrite(key, tamper.change().apply(object(key)));
      }
      VerificationReport report = store.verify(project, id);
      assertTrue(failedPaths(report).contains(tamper.path()), tamper.name() + ": " + report);
      String problem = report.failures().get(0).problem();
      assertTrue(problem.contains("checkpoint " + id + ": " + tamper.path()), tamper.name() + ": " + problem);
      assertThrows(CheckpointStoreException.Corrupt.class, () -> store.readFile(project, id, tamper.path()), tamper.name());
    }
    // An altered metadata field: the metadata itself fails, and listing leaves the package out.
    String id = newId();
    commit(store, project, id, null, files("meta"));
    String key = key(project, id, PackagePaths.METADATA);
    String json = new String(object(key), StandardCharsets.UTF_8);
    overwrite(key, json.replace("\"priority\" : \"medium\"", "\"priority\" : \"medium\", \"surprise\" : 1").getBytes(StandardCharsets.UTF_8));
    VerificationReport report = store.verify(project, id);
    assertEquals(List.of(PackagePaths.METADATA), failedPaths(report));
    assertTrue(report.failures().get(0).problem().contains("surprise"), report.failures().get(0).problem());
    overwrite(key, json.replaceFirst("\"sha256\" : \"[0-9a-f]{64}\"", "\"sha256\" : \"deadbeef\"").getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(PackagePaths.METADATA), failedPaths(store.verify(project, id)));
    overwrite(key, json.replaceFirst("\"path\" : \"context-snapshot/project-context.md\"", "\"path\" : \"../../escape.md\"").getBytes(StandardCharsets.UTF_8));
    assertTrue(store.verify(project, id).failures().get(0).problem().contains("escape.md"), "path traversal refused on read");
    assertThrows(CheckpointStoreException.Corrupt.class, () -> store.metadata(project, id));
  }

  @Test
  void aWriterKilledBetweenObjectsLeavesNoVisiblePackageAndARetryCompletesIt() {
    String id = newId();
    List<PackageSource> failing = new ArrayList<>(files("a"));
    failing.add(2, new PackageSource("context-snapshot/technical-context.md", new PackageSource.Content() {
      int opens;
      @Override
      public java.io.InputStream open() throws IOException {
        if (++opens == 2) {
          throw new IOException("killed mid-commit");
        }
        return new java.io.ByteArrayInputStream("# Tech\n".getBytes(StandardCharsets.UTF_8));
      }
    }));
    assertThrows(java.io.UncheckedIOException.class, () -> commit(store, "store-crash", id, null, failing));
    assertTrue(s3.listObjectsV2(b -> b.bucket(DevStack.BUCKET).prefix(PackagePaths.packagePrefix("", "store-crash", id))).keyCount() > 0,
        "some objects were written before the crash");
    assertEquals(List.of(), store.list("store-crash"));
    assertThrows(CheckpointStoreException.NotFound.class, () -> store.metadata("store-crash", id));
    List<PackageSource> retry = new ArrayList<>(files("a"));
    retry.add(2, PackageSource.of("context-snapshot/technical-context.md", "# Tech\n"));
    assertFalse(commit(store, "store-crash", id, null, retry).alreadyCommitted());
    assertTrue(store.verify("store-crash", id).ok());
  }

  @Test
  void neverOverwritesACommittedPackage() {
    String id = newId();
    CheckpointMetadata first = commit(store, "store-idem", id, null, files("a")).metadata();
    var again = commit(store, "store-idem", id, null, files("a"));
    assertTrue(again.alreadyCommitted());
    assertEquals(first.integrityValidation().checksum(), again.metadata().integrityValidation().checksum());
    assertThrows(CheckpointStoreException.Conflict.class, () -> commit(store, "store-idem", id, null, files("b")));
    assertTrue(store.verify("store-idem", id).ok());
  }

  @Test
  void twoConcurrentWritersOfOneIdOneWinsTheOtherIsToldWhy() throws Exception {
    for (int round = 0; round < 3; round++) {
      String id = newId();
      CountDownLatch go = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      List<Future<CheckpointStore.CommitResult>> results = new ArrayList<>();
      for (String state : List.of("writer-a", "writer-b")) {
        Callable<CheckpointStore.CommitResult> writer = () -> {
          go.await();
          return commit(store, "store-race", id, null, files(state));
        };
        results.add(pool.submit(writer));
      }
      go.countDown();
      int won = 0;
      int refused = 0;
      for (Future<CheckpointStore.CommitResult> result : results) {
        try {
          result.get();
          won++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertTrue(e.getCause() instanceof CheckpointStoreException.Conflict, String.valueOf(e.getCause()));
          assertTrue(e.getCause().getMessage().contains(id), e.getCause().getMessage());
          refused++;
        }
      }
      pool.shutdown();
      assertEquals(1, won);
      assertEquals(1, refused);
      assertTrue(store.verify("store-race", id).ok(), "the winner's package is whole");
    }
  }

  @Test
  void incrementalCheckpointsWriteOnlyWhatChangedAndFullOnesComeEveryN() {
    S3CheckpointStore everyTwo = new S3CheckpointStore(s3, stack.s3Settings(), StoreOptions.defaults().withFullEvery(2));
    String project = "store-incr";
    String full = newId();
    CheckpointMetadata first = commit(everyTwo, project, full, null, files("a")).metadata();
    String inc1 = newId();
    List<PackageSource> changed = files("b"); // Only the state file differs.
    CheckpointMetadata second = commit(everyTwo, project, inc1, full, changed).metadata();
    assertEquals(full, second.storageMetadata().parentCheckpointId());
    assertEquals(1, second.storageMetadata().incrementalDepth());
    assertEquals(List.of(full), second.storageMetadata().references());
    long stateStored = second.integrityValidation().files().stream().filter(f -> f.path().equals("workflow-state-snapshot.json")).findFirst().orElseThrow().storedSize();
    assertTrue(second.storageMetadata().bytesWritten() < first.storageMetadata().bytesWritten());
    assertTrue(second.storageMetadata().bytesWritten() <= stateStored + 1024, "only the changed file plus the manifest");
    assertEquals(first.storageMetadata().storedBytes() - first.integrityValidation().files().stream().filter(f -> f.path().equals("workflow-state-snapshot.json")).findFirst().orElseThrow().storedSize() + stateStored,
        second.storageMetadata().storedBytes(), "stored bytes count referenced objects too");
    assertEquals("{\"agent\":\"pm\",\"notes\":\"" + "pm ".repeat(100) + "\"}",
        new String(everyTwo.readFile(project, inc1, "agent-states-snapshot/bmad-agents/pm.json"), StandardCharsets.UTF_8),
        "reading resolves the chain");
    assertTrue(everyTwo.verify(project, inc1).ok());
    String inc2 = newId();
    assertEquals(2, commit(everyTwo, project, inc2, inc1, files("c")).metadata().storageMetadata().incrementalDepth());
    String forcedFull = newId();
    CheckpointMetadata fourth = commit(everyTwo, project, forcedFull, inc2, files("d")).metadata();
    assertNull(fourth.storageMetadata().parentCheckpointId(), "a full checkpoint after 2 incrementals");
    assertEquals(List.of(), fourth.storageMetadata().references());
  }

  @Test
  void pruneKeepsEveryChainAKeptCheckpointNeeds() {
    String project = "store-prune";
    String a = newId();
    commit(store, project, a, null, files("a"));
    String b = newId();
    commit(store, project, b, a, files("b")); // references a
    String c = newId();
    commit(store, project, c, null, files("c"));
    Instant later = Instant.now().plus(Duration.ofDays(365));
    PrunePlan plan = store.planPrune(project, later);
    // All three expired, c is the newest (kept); a and b are deleted. With b kept, a must stay.
    assertEquals(List.of(a, b), plan.toDelete());
    store.prune(plan);
    assertEquals(List.of(c), store.list(project).stream().map(CheckpointSummary::checkpointId).toList());
    assertEquals(0, s3.listObjectsV2(x -> x.bucket(DevStack.BUCKET).prefix(PackagePaths.packagePrefix("", project, a))).keyCount());

    String d = newId();
    commit(store, project, d, c, files("d")); // references c
    String e = newId();
    store.commit(new CheckpointStore.CommitRequest(project, e, d, null, files("e"), metadata(project, e, "critical")));
    PrunePlan second = store.planPrune(project, later);
    // e is critical and kept; every file it did not write itself is stored in c (d had it from c),
    // so c stays although it expired, and d, which e no longer needs, goes.
    assertEquals(List.of(d), second.toDelete(), second.toString());
    assertTrue(second.decisions().stream().anyMatch(x -> x.checkpointId().equals(c) && x.reason().contains("referenced by " + e)), second.toString());
    store.prune(second);
    assertTrue(store.verify(project, e).ok(), "the kept chain still reads");
  }

  @Test
  void theRegistryRebuildsItselfAndCatchesUpWithCommitsItMissed() {
    String project = "store-registry";
    String a = newId();
    commit(store, project, a, null, files("a"));
    String registryKey = CheckpointRegistry.key("", project);
    assertTrue(new String(object(registryKey), StandardCharsets.UTF_8).contains(a));
    s3.deleteObject(x -> x.bucket(DevStack.BUCKET).key(registryKey));
    assertEquals(List.of(a), store.list(project).stream().map(CheckpointSummary::checkpointId).toList(), "rebuilt when missing");
    overwrite(registryKey, "{not json".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of(a), store.list(project).stream().map(CheckpointSummary::checkpointId).toList(), "rebuilt when corrupt");
    byte[] registryWithA = object(registryKey);
    String b = newId();
    commit(store, project, b, a, files("b"));
    overwrite(registryKey, registryWithA); // As if the writer crashed before updating the registry.
    assertEquals(List.of(a, b), store.list(project).stream().map(CheckpointSummary::checkpointId).toList(), "newer commits are found");
    assertTrue(new String(object(registryKey), StandardCharsets.UTF_8).contains(b), "and added back");
  }

  @Test
  void clientSideEncryptionHidesContentAndNeedsTheKey() {
    byte[] key = new byte[32];
    new Random(7).nextBytes(key);
    String base64 = Base64.getEncoder().encodeToString(key);
    S3CheckpointStore encrypted = new S3CheckpointStore(s3, stack.s3Settings(), StoreOptions.defaults().withCipher(ContentCipher.fromBase64(base64)));
    String id = newId();
    CheckpointMetadata m = commit(encrypted, "store-crypt", id, null, files("secret-state")).metadata();
    assertTrue(m.integrityValidation().files().stream().filter(f -> !f.path().equals("manifest.sha256"))
        .allMatch(f -> f.encryption().equals(PackageFile.AES_256_GCM)));
    byte[] stored = object(key("store-crypt", id, "workflow-state-snapshot.json"));
    assertFalse(new String(stored, StandardCharsets.ISO_8859_1).contains("secret-state"));
    assertTrue(new String(encrypted.readFile("store-crypt", id, "workflow-state-snapshot.json"), StandardCharsets.UTF_8).contains("secret-state"));
    assertTrue(encrypted.verify("store-crypt", id).ok());
    String metadataJson = new String(object(key("store-crypt", id, PackagePaths.METADATA)), StandardCharsets.UTF_8);
    assertFalse(metadataJson.contains(base64), "the key is never written");
    VerificationReport withoutKey = store.verify("store-crypt", id);
    assertTrue(withoutKey.failures().get(0).problem().contains("BMADFLOW_ENCRYPTION_KEY"), withoutKey.toString());
    new Random(8).nextBytes(key);
    S3CheckpointStore wrongKey = new S3CheckpointStore(s3, stack.s3Settings(),
        StoreOptions.defaults().withCipher(ContentCipher.fromBase64(Base64.getEncoder().encodeToString(key))));
    assertTrue(wrongKey.verify("store-crypt", id).failures().get(0).problem().contains("cannot be decrypted"));
    assertThrows(IllegalArgumentException.class, () -> ContentCipher.fromBase64("c2hvcnQ="));
  }

  @Test
  void largeFilesStreamAsMultipartUploads() throws IOException {
    S3CheckpointStore streaming = new S3CheckpointStore(s3, stack.s3Settings(), StoreOptions.defaults().withMultipartThreshold(1024));
    byte[] big = new byte[12 * 1024 * 1024];
    new Random(1).nextBytes(big);
    for (int i = 0; i < big.length; i += 2) {
      big[i] = 'a'; // Half random, so gzip has work to do and the object spans parts.
    }
    String id = newId();
    List<PackageSource> files = new ArrayList<>(files("big"));
    files.add(PackageSource.of("context-snapshot/business-context.md", big));
    CheckpointMetadata m = commit(streaming, "store-big", id, null, files).metadata();
    PackageFile entry = m.integrityValidation().files().stream().filter(f -> f.path().equals("context-snapshot/business-context.md")).findFirst().orElseThrow();
    assertEquals(big.length, entry.size());
    assertEquals(PackageFile.GZIP, entry.encoding());
    assertTrue(entry.storedSize() > 5 * 1024 * 1024, "more than one part: " + entry.storedSize());
    assertTrue(streaming.verify("store-big", id).ok(), streaming.verify("store-big", id).toString());
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    streaming.copyFile("store-big", id, "context-snapshot/business-context.md", out);
    assertEquals(Sha256.hex(big), Sha256.hex(out.toByteArray()));
  }

  @Test
  void criticalCheckpointsAskForALegalHoldAndWarnWhereTheBucketCannot() {
    String id = newId();
    var result = store.commit(new CheckpointStore.CommitRequest("store-hold", id, null, null, files("a"), metadata("store-hold", id, "critical")));
    assertEquals(1, result.warnings().size(), result.warnings().toString());
    assertTrue(result.warnings().get(0).contains("does not support Object Lock"), result.warnings().get(0));
    assertNull(result.metadata().storageMetadata().expiresAt());
    assertEquals(RetentionPolicy.CRITICAL, result.metadata().storageMetadata().retentionPolicy());
  }

  @Test
  void refusesUnsafePathsAndIdsBeforeWriting() {
    String id = newId();
    for (String bad : List.of("../escape.json", "/abs.json", "a\\b.json", "a//b.json", "a/./b", "ctl\u0001.json", "manifest.sha256")) {
      List<PackageSource> files = new ArrayList<>(files("a"));
      files.add(PackageSource.of(bad, "x"));
      assertThrows(IllegalArgumentException.class, () -> commit(store, "store-paths", id, null, files), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> commit(store, "../x", id, null, files("a")));
    assertThrows(IllegalArgumentException.class, () -> commit(store, "store-paths", "cp-x", null, files("a")));
    assertEquals(0, s3.listObjectsV2(b -> b.bucket(DevStack.BUCKET).prefix("store-paths/")).keyCount());
  }

  @Test
  void anUnreachableServerIsAClearError() {
    var settings = new S3Settings(java.net.URI.create("http://127.0.0.1:1"), "bmadflow", "", "us-east-1", stack.s3Settings().credentials());
    try (S3Client dead = settings.newClient()) {
      var e = assertThrows(CheckpointStoreException.Unavailable.class, () -> new S3CheckpointStore(dead, settings).checkAccess());
      assertTrue(e.getMessage().contains("http://127.0.0.1:1 cannot be reached"), e.getMessage());
    }
    assertThrows(IllegalArgumentException.class, () -> S3Settings.fromEnvironment(Map.of("BMADFLOW_S3_SSE", "rot13")));
    assertNotEquals(null, S3Settings.fromEnvironment(Map.of("BMADFLOW_S3_SSE", "aws:kms", "BMADFLOW_S3_SSE_KMS_KEY_ID", "alias/x")).kmsKeyId());
  }
}
