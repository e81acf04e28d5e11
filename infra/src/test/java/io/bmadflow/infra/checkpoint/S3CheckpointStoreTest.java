package io.bmadflow.infra.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

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

  static String newId() {
    return CheckpointIds.of(System.currentTimeMillis(), UUID.randomUUID());
  }

  static SortedMap<String, byte[]> files(String state) {
    SortedMap<String, byte[]> files = new TreeMap<>();
    files.put("workflow-state-snapshot.json", ("{\"state\":\"" + state + "\"}").getBytes(StandardCharsets.UTF_8));
    files.put("agent-states-snapshot/bmad-agents/pm.json", "{\"agent\":\"pm\"}".getBytes(StandardCharsets.UTF_8));
    files.put("validation-report.json", "{\"status\":\"passed\"}".getBytes(StandardCharsets.UTF_8));
    return files;
  }

  static Function<PackageDigest, CheckpointMetadata> metadata(String project, String id) {
    return digest -> new CheckpointMetadata(
        new CheckpointMetadata.Info(id, "2026-11-25T00:00:00Z", "automatic", "phase_transition", "test",
            "medium", "system", project, "planning", "greenfield-fullstack", 1),
        new CheckpointMetadata.StateSummary(0.5, 2, 3, 3, 0, 0, 1, 0),
        new CheckpointMetadata.RecoveryMetadata("under 1 minute", "simple", List.of(), List.of(), true),
        new CheckpointMetadata.IntegrityValidation(digest.checksum(), "2026-11-25T00:00:01Z", "passed",
            Map.of("workflow_state", "valid"), digest.files()),
        new CheckpointMetadata.StorageMetadata(0.01, 1.0, "cloud", "30-days-milestone", digest.location(),
            digest.logicalBytes(), digest.storedBytes()),
        new CheckpointMetadata.TemporalReference("wf", "run", 7));
  }

  @Test
  void commitsListsAndVerifiesAPackage() {
    String id = newId();
    CheckpointMetadata committed = store.commit("store-ok", id, files("a"), metadata("store-ok", id));
    assertTrue(committed.integrityValidation().checksum().startsWith("sha256:"));
    assertEquals(List.of(id), store.list("store-ok").stream().map(m -> m.checkpointMetadata().checkpointId()).toList());
    VerificationReport report = store.verify("store-ok", id);
    assertTrue(report.ok(), report.toString());
    assertEquals("{\"state\":\"a\"}", new String(store.readFile("store-ok", id, "workflow-state-snapshot.json"), StandardCharsets.UTF_8));
    String manifest = new String(store.readFile("store-ok", id, "manifest.sha256"), StandardCharsets.UTF_8);
    assertTrue(manifest.startsWith(Sha256.hex("{\"agent\":\"pm\"}".getBytes(StandardCharsets.UTF_8)) + "  agent-states-snapshot/bmad-agents/pm.json\n"), manifest);
  }

  @Test
  void verifyNamesTheAlteredFile() {
    String id = newId();
    store.commit("store-tamper", id, files("a"), metadata("store-tamper", id));
    String key = PackagePaths.packagePrefix("", "store-tamper", id) + "validation-report.json";
    s3.putObject(b -> b.bucket(DevStack.BUCKET).key(key), RequestBody.fromString("{\"status\":\"PASSED\"}"));
    VerificationReport report = store.verify("store-tamper", id);
    assertFalse(report.ok());
    assertEquals(List.of("validation-report.json"), report.failures().stream().map(VerificationReport.FileCheck::path).toList());
    assertTrue(report.failures().get(0).problem().contains("sha256 mismatch"), report.failures().get(0).problem());
    assertThrows(CheckpointStoreException.Corrupt.class, () -> store.readFile("store-tamper", id, "validation-report.json"));
  }

  @Test
  void aTamperedMetadataFileFailsVerificationAndIsLeftOutOfListings() {
    String good = newId();
    String bad = newId();
    store.commit("store-meta", good, files("a"), metadata("store-meta", good));
    store.commit("store-meta", bad, files("b"), metadata("store-meta", bad));
    String key = PackagePaths.packagePrefix("", "store-meta", bad) + PackagePaths.METADATA;
    String json = s3.getObjectAsBytes(b -> b.bucket(DevStack.BUCKET).key(key)).asUtf8String();
    s3.putObject(b -> b.bucket(DevStack.BUCKET).key(key),
        RequestBody.fromString(json.replace("\"priority\"", "\"surprise\" : 1,\n    \"priority\"")));
    VerificationReport report = store.verify("store-meta", bad);
    assertEquals(List.of(PackagePaths.METADATA), report.failures().stream().map(VerificationReport.FileCheck::path).toList());
    assertTrue(report.failures().get(0).problem().contains("surprise"), report.failures().get(0).problem());
    assertEquals(List.of(good), store.list("store-meta").stream().map(m -> m.checkpointMetadata().checkpointId()).toList());
  }

  @Test
  void neverOverwritesACommittedPackage() {
    String id = newId();
    CheckpointMetadata first = store.commit("store-idem", id, files("a"), metadata("store-idem", id));
    CheckpointMetadata again = store.commit("store-idem", id, files("a"), metadata("store-idem", id));
    assertEquals(first.integrityValidation().checksum(), again.integrityValidation().checksum());
    assertThrows(CheckpointStoreException.Conflict.class,
        () -> store.commit("store-idem", id, files("b"), metadata("store-idem", id)));
    assertTrue(store.verify("store-idem", id).ok());
  }

  @Test
  void aPackageWithoutMetadataIsInvisible() {
    String id = newId();
    String key = PackagePaths.packagePrefix("", "store-partial", id) + "workflow-state-snapshot.json";
    s3.putObject(b -> b.bucket(DevStack.BUCKET).key(key), RequestBody.fromString("{}"));
    assertEquals(List.of(), store.list("store-partial"));
    assertThrows(CheckpointStoreException.NotFound.class, () -> store.metadata("store-partial", id));
  }

  @Test
  void refusesUnsafePathsAndIdsBeforeWriting() {
    String id = newId();
    for (String bad : List.of("../escape.json", "/abs.json", "a\\b.json", "a//b.json", "a/./b", "ctl\u0001.json")) {
      SortedMap<String, byte[]> files = files("a");
      files.put(bad, new byte[] {1});
      assertThrows(IllegalArgumentException.class, () -> store.commit("store-paths", id, files, metadata("store-paths", id)), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> store.commit("../x", id, files("a"), metadata("../x", id)));
    assertThrows(IllegalArgumentException.class, () -> store.commit("store-paths", "cp-x", files("a"), metadata("store-paths", "cp-x")));
    assertEquals(0, s3.listObjectsV2(b -> b.bucket(DevStack.BUCKET).prefix("store-paths/")).keyCount());
  }

  @Test
  void anUnreachableServerIsAClearError() {
    var settings = new io.bmadflow.infra.config.S3Settings(java.net.URI.create("http://127.0.0.1:1"), "bmadflow", "", "us-east-1",
        stack.s3Settings().credentials());
    try (S3Client dead = settings.newClient()) {
      var e = assertThrows(CheckpointStoreException.Unavailable.class, () -> new S3CheckpointStore(dead, settings).checkAccess());
      assertTrue(e.getMessage().contains("http://127.0.0.1:1 cannot be reached"), e.getMessage());
    }
  }
}
