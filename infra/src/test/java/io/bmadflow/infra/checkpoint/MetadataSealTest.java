package io.bmadflow.infra.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The metadata seal against a real S3Proxy: the digest catches an altered metadata field, only a
 * signing key stops an attacker who recomputes every checksum, keys rotate, and format versions
 * are read as they should be (older ones, newer minors, refused newer majors).
 */
class MetadataSealTest {
  @TempDir static Path dataDir;
  static DevStack stack;
  static S3Client s3;
  /** No signing key: digests are checked, signatures are not. */
  static S3CheckpointStore plain;

  static final String KEY_A = key(1);
  static final String KEY_B = key(2);

  @BeforeAll
  static void start() throws Exception {
    stack = DevStack.start(dataDir, 0, 0);
    s3 = stack.s3Settings().newClient();
    plain = new S3CheckpointStore(s3, stack.s3Settings());
  }

  @AfterAll
  static void stop() {
    s3.close();
    stack.close();
  }

  static String key(int seed) {
    byte[] key = new byte[32];
    new Random(seed).nextBytes(key);
    return Base64.getEncoder().encodeToString(key);
  }

  /** A store configured as the CLI and the worker configure theirs: from environment variables. */
  static S3CheckpointStore store(String... env) {
    Map<String, String> vars = new HashMap<>();
    for (int i = 0; i < env.length; i += 2) {
      vars.put(env[i], env[i + 1]);
    }
    return new S3CheckpointStore(s3, stack.s3Settings(), StoreOptions.fromEnvironment(vars));
  }

  private static long clock = System.currentTimeMillis();

  static synchronized String newId() {
    clock += 1000;
    return CheckpointIds.of(clock, java.util.UUID.randomUUID());
  }

  static CheckpointMetadata commit(CheckpointStore on, String project, String id) {
    List<PackageSource> files = new ArrayList<>();
    files.add(PackageSource.of("workflow-state-snapshot.json", "{\"state\":\"honest\",\"padding\":\"" + "x".repeat(400) + "\"}"));
    files.add(PackageSource.of("validation-report.json", "{\"status\":\"passed\"}"));
    return on.commit(new CheckpointStore.CommitRequest(project, id, null, null, files, digest -> new CheckpointMetadata(
        new CheckpointMetadata.Info(id, Instant.ofEpochMilli(clock).toString(), "automatic", "phase_transition", "test",
            "medium", "system", project, "planning", "greenfield-fullstack", 1, null),
        new CheckpointMetadata.StateSummary(0.5, 2, 3, 3, 0, 0, 1, 0),
        new CheckpointMetadata.RecoveryMetadata("under 1 minute", "simple", List.of(), List.of(), true),
        new CheckpointMetadata.IntegrityValidation(digest.checksum(), "2026-11-25T00:00:01Z", "passed",
            Map.of("workflow_state", "valid"), digest.files()),
        new CheckpointMetadata.StorageMetadata(0.01, 1.0, "cloud", "frequent_checkpoints", null, digest.location(),
            digest.logicalBytes(), digest.storedBytes(), digest.bytesWritten(), null, 0, List.of()),
        new CheckpointMetadata.TemporalReference("wf", "run", 7)))).metadata();
  }

  static String objectKey(String project, String id, String path) {
    return PackagePaths.packagePrefix("", project, id) + path;
  }

  static byte[] object(String key) {
    return s3.getObjectAsBytes(b -> b.bucket(DevStack.BUCKET).key(key)).asByteArray();
  }

  static void overwrite(String key, byte[] bytes) {
    s3.putObject(b -> b.bucket(DevStack.BUCKET).key(key), RequestBody.fromBytes(bytes));
  }

  static String metadataJson(String project, String id) {
    return new String(object(objectKey(project, id, PackagePaths.METADATA)), StandardCharsets.UTF_8);
  }

  /** Edits the stored metadata as a tree and writes it back, pretty printed as the store writes it. */
  static void editMetadata(String project, String id, Consumer<ObjectNode> edit) throws IOException {
    String key = objectKey(project, id, PackagePaths.METADATA);
    ObjectNode tree = (ObjectNode) PackageJson.readTree(object(key));
    edit.accept(tree);
    overwrite(key, PackageJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(tree));
  }

  static VerificationReport.FileCheck metadataCheck(VerificationReport report) {
    assertEquals(PackagePaths.METADATA, report.checks().get(0).path(), report.toString());
    return report.checks().get(0);
  }

  @Test
  void theCanonicalFormSortsKeysDropsWhitespaceAndKeepsNumbersExact() throws IOException {
    ObjectNode tree = (ObjectNode) PackageJson.readTree(
        "{ \"b\" : 1.50, \"signature\" : {\"x\": 1}, \"a\" : [ true, null, \"q\\\"\u00e9\" ], \"c\" : { \"z\" : 1, \"y\" : -2 }, \"d\" : 1.5E-5 }"
            .getBytes(StandardCharsets.UTF_8));
    assertEquals("{\"a\":[true,null,\"q\\\"\u00e9\"],\"b\":1.50,\"c\":{\"y\":-2,\"z\":1},\"d\":0.000015}",
        new String(MetadataSeal.canonical(tree, Set.of("signature")), StandardCharsets.UTF_8));
    assertEquals("sha256:" + Sha256.hex("{\"a\":[true,null,\"q\\\"\u00e9\"],\"b\":1.50,\"c\":{\"y\":-2,\"z\":1},\"d\":0.000015}"
        .getBytes(StandardCharsets.UTF_8)), MetadataSeal.digest(tree), "the digest leaves out the digest and the signature");
    // The tree the digest covers is the document the record is bound from: no key may be doubled
    // (one copy digested, the other read) and nothing may follow the document.
    assertThrows(IOException.class, () -> PackageJson.readTree("{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8)));
    assertThrows(IOException.class, () -> PackageJson.readTree("{\"a\":1} {\"a\":2}".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void aNumberBeyondEveryRangeIsAnIoExceptionAndHugeExponentsStayShort() throws IOException {
    // Found by fuzzing: an exponent past int's range made BigDecimal throw NumberFormatException,
    // which callers that expect the documented IOException did not catch.
    assertThrows(IOException.class, () -> MetadataSeal.parse("{\"a\":1e308147483648000}".getBytes(StandardCharsets.UTF_8), "cp"));
    assertThrows(IOException.class, () -> PackageJson.readTree("[1e308147483648000]".getBytes(StandardCharsets.UTF_8)));
    // A large but valid exponent is digested in its short scientific spelling, not expanded.
    ObjectNode tree = (ObjectNode) PackageJson.readTree("{\"a\":1.5e999999999}".getBytes(StandardCharsets.UTF_8));
    assertEquals("{\"a\":1.5E+999999999}", new String(MetadataSeal.canonical(tree, Set.of()), StandardCharsets.UTF_8));
  }

  @Test
  void anAlteredMetadataFieldFailsVerifyOnTheMetadataAndEveryRead() throws IOException {
    String project = "seal-altered";
    String id = newId();
    CheckpointMetadata committed = commit(plain, project, id);
    assertEquals(MetadataSeal.FORMAT_VERSION, committed.formatVersion());
    assertTrue(committed.metadataSha256().matches("sha256:[0-9a-f]{64}"), committed.metadataSha256());
    assertNull(committed.signature(), "no signing key, no signature");
    String json = metadataJson(project, id);
    assertTrue(json.contains("\"format_version\" : \"2.0\""), json);
    assertTrue(json.contains("\"metadata_sha256\" : \"" + committed.metadataSha256() + "\""), json);
    VerificationReport.FileCheck ok = metadataCheck(plain.verify(project, id));
    assertTrue(ok.ok());
    assertEquals("package format 2.0, metadata digest ok, unsigned", ok.note());

    assertTrue(json.contains("\"completed_tasks\" : 3,"), json);
    overwrite(objectKey(project, id, PackagePaths.METADATA),
        json.replace("\"completed_tasks\" : 3,", "\"completed_tasks\" : 30,").getBytes(StandardCharsets.UTF_8));
    VerificationReport report = plain.verify(project, id);
    assertFalse(report.ok());
    assertEquals(List.of(PackagePaths.METADATA), report.failures().stream().map(VerificationReport.FileCheck::path).toList());
    String problem = report.failures().get(0).problem();
    assertTrue(problem.startsWith("checkpoint " + id + ": checkpoint-metadata.json: metadata digest mismatch (expected "
        + committed.metadataSha256().substring(0, 19) + "..., got sha256:"), problem);
    assertTrue(problem.contains("); the metadata was altered after commit"), problem);
    var opened = assertThrows(CheckpointStoreException.Corrupt.class, () -> plain.open(project, id));
    assertEquals(problem, opened.getMessage());
    assertThrows(CheckpointStoreException.Corrupt.class, () -> plain.metadata(project, id));
    assertThrows(CheckpointStoreException.Corrupt.class, () -> plain.readFile(project, id, "validation-report.json"));

    // Removing the digest of a format 2.0 package does not make it pass either.
    editMetadata(project, id, tree -> tree.remove(MetadataSeal.DIGEST_FIELD));
    var undigested = assertThrows(CheckpointStoreException.Corrupt.class, () -> plain.open(project, id));
    assertTrue(undigested.getMessage().contains("has no metadata_sha256, which package format 2.0 requires"), undigested.getMessage());
  }

  /**
   * The attack the digest cannot stop: change a file, then recompute everything that needs no
   * key (the file's entry, the manifest, its entry, the package checksum, the metadata digest).
   */
  static void tamperAsAnAttacker(String project, String id) throws IOException {
    byte[] evil = "{\"state\":\"tampered\"}".getBytes(StandardCharsets.UTF_8);
    overwrite(objectKey(project, id, "workflow-state-snapshot.json"), evil);
    String manifestKey = objectKey(project, id, PackagePaths.MANIFEST);
    Map<String, String> hashes = new TreeMap<>(PackageManifest.parse(object(manifestKey)).entries());
    hashes.put("workflow-state-snapshot.json", Sha256.hex(evil));
    byte[] manifest = PackageManifest.of(hashes).toBytes();
    overwrite(manifestKey, manifest);
    editMetadata(project, id, tree -> {
      for (JsonNode file : tree.path("integrity_validation").path("files")) {
        ObjectNode entry = (ObjectNode) file;
        byte[] bytes = switch (entry.get("path").asText()) {
          case "workflow-state-snapshot.json" -> evil;
          case "manifest.sha256" -> manifest;
          default -> null;
        };
        if (bytes != null) {
          entry.put("size", bytes.length).put("sha256", Sha256.hex(bytes)).put("stored_size", bytes.length)
              .put("stored_sha256", Sha256.hex(bytes)).put("encoding", PackageFile.IDENTITY);
        }
      }
      ((ObjectNode) tree.get("integrity_validation")).put("checksum", "sha256:" + Sha256.hex(manifest));
      tree.put(MetadataSeal.DIGEST_FIELD, MetadataSeal.digest(tree));
    });
  }

  @Test
  void anAttackerWhoRecomputesEveryChecksumIsStoppedByTheSignature() throws IOException {
    S3CheckpointStore signing = store("BMADFLOW_SIGNING_KEY", KEY_A, "BMADFLOW_SIGNING_KEY_ID", "ops-2026");
    String project = "seal-attack";
    String id = newId();
    CheckpointMetadata committed = commit(signing, project, id);
    assertEquals(new CheckpointMetadata.Signature("ops-2026", "HMAC-SHA256", committed.signature().value()), committed.signature());
    assertTrue(committed.signature().value().matches("[0-9a-f]{64}"));
    VerificationReport.FileCheck ok = metadataCheck(signing.verify(project, id));
    assertTrue(ok.ok(), ok.toString());
    assertEquals("package format 2.0, metadata digest ok, signature of key id ops-2026 verified", ok.note());
    assertEquals("package format 2.0, metadata digest ok, signature (key id 'ops-2026') not checked: BMADFLOW_SIGNING_KEY"
        + " is not set", metadataCheck(plain.verify(project, id)).note(), "without the key, a signed package reads");
    assertFalse(metadataJson(project, id).contains(KEY_A), "the key is never written");

    tamperAsAnAttacker(project, id);
    // The attack is complete: without the key, nothing can tell.
    assertTrue(plain.verify(project, id).ok(), plain.verify(project, id).toString());
    assertEquals("{\"state\":\"tampered\"}", new String(plain.readFile(project, id, "workflow-state-snapshot.json"), StandardCharsets.UTF_8));
    // With it, verify and every read refuse the package.
    VerificationReport report = signing.verify(project, id);
    assertEquals(List.of(PackagePaths.METADATA), report.failures().stream().map(VerificationReport.FileCheck::path).toList());
    assertEquals("checkpoint " + id + ": checkpoint-metadata.json: signature mismatch for key id ops-2026 (HMAC-SHA256);"
        + " the package was altered after it was signed, or signed by another key with the same id: use an earlier checkpoint",
        report.failures().get(0).problem());
    assertThrows(CheckpointStoreException.Corrupt.class, () -> signing.open(project, id));
    assertThrows(CheckpointStoreException.Corrupt.class, () -> signing.readFile(project, id, "workflow-state-snapshot.json"));

    // Nor does a forged value, or an algorithm the attacker can compute, get through.
    editMetadata(project, id, tree -> ((ObjectNode) tree.get("signature")).put("value", "0".repeat(64)));
    assertTrue(signing.verify(project, id).failures().get(0).problem().contains("signature mismatch for key id ops-2026"));
    editMetadata(project, id, tree -> ((ObjectNode) tree.get("signature")).put("algorithm", "SHA-256").put("value", "x"));
    String algorithm = signing.verify(project, id).failures().get(0).problem();
    assertTrue(algorithm.contains("is signed with algorithm 'SHA-256'") && algorithm.contains("checks HMAC-SHA256 only"), algorithm);
    // Stripping the signature makes it an unsigned package, which is refused while a key is set.
    editMetadata(project, id, tree -> tree.remove("signature"));
    var unsigned = assertThrows(CheckpointStoreException.Corrupt.class, () -> signing.open(project, id));
    assertTrue(unsigned.getMessage().contains("checkpoint " + id + ": checkpoint-metadata.json is not signed and this store"
        + " requires signed packages (BMADFLOW_SIGNING_KEY is set, key id ops-2026)"), unsigned.getMessage());
  }

  @Test
  void theManifestEntryMustAgreeWithThePackageChecksumTheSignatureCovers() throws IOException {
    String project = "seal-manifest";
    String id = newId();
    commit(plain, project, id);
    editMetadata(project, id, tree -> {
      for (JsonNode file : tree.path("integrity_validation").path("files")) {
        if (file.get("path").asText().equals(PackagePaths.MANIFEST)) {
          ((ObjectNode) file).put("sha256", "0".repeat(64));
        }
      }
      tree.put(MetadataSeal.DIGEST_FIELD, MetadataSeal.digest(tree));
    });
    var e = assertThrows(CheckpointStoreException.Corrupt.class, () -> plain.open(project, id));
    assertTrue(e.getMessage().contains("the manifest.sha256 entry and integrity_validation.checksum disagree"), e.getMessage());
  }

  @Test
  void anUnsignedPackageIsRefusedWhileAKeyIsSet() {
    S3CheckpointStore signing = store("BMADFLOW_SIGNING_KEY", KEY_A);
    String keyId = signing.options().signing().currentKeyId();
    assertTrue(keyId.matches("k[0-9a-f]{12}"), "the default key id is a fingerprint: " + keyId);
    String project = "seal-unsigned";
    String id = newId();
    commit(plain, project, id);
    assertTrue(plain.verify(project, id).ok());
    VerificationReport report = signing.verify(project, id);
    assertFalse(report.ok());
    String problem = metadataCheck(report).problem();
    assertTrue(problem.startsWith("checkpoint " + id + ": checkpoint-metadata.json is not signed and this store requires"
        + " signed packages (BMADFLOW_SIGNING_KEY is set, key id " + keyId + ")"), problem);
    assertTrue(problem.contains("use a checkpoint signed with a key this store knows"), problem);
    var e = assertThrows(CheckpointStoreException.Corrupt.class, () -> signing.open(project, id));
    assertEquals(problem, e.getMessage());
  }

  @Test
  void aPreviousKeyVerifiesOnlyWhenListedAndNeverSigns() {
    String project = "seal-rotate";
    String id = newId();
    commit(store("BMADFLOW_SIGNING_KEY", KEY_A, "BMADFLOW_SIGNING_KEY_ID", "old"), project, id);

    S3CheckpointStore rotated = store("BMADFLOW_SIGNING_KEY", KEY_B, "BMADFLOW_SIGNING_KEY_ID", "new",
        "BMADFLOW_SIGNING_KEYS_PREVIOUS", "older:" + key(3) + ", old:" + KEY_A);
    VerificationReport.FileCheck ok = metadataCheck(rotated.verify(project, id));
    assertTrue(ok.ok(), ok.toString());
    assertEquals("package format 2.0, metadata digest ok, signature of key id old verified", ok.note());
    assertEquals(id, rotated.open(project, id).metadata().checkpointMetadata().checkpointId());
    String next = newId();
    assertEquals("new", commit(rotated, project, next).signature().keyId(), "a previous key never signs");

    S3CheckpointStore forgotten = store("BMADFLOW_SIGNING_KEY", KEY_B, "BMADFLOW_SIGNING_KEY_ID", "new");
    String problem = metadataCheck(forgotten.verify(project, id)).problem();
    assertEquals("checkpoint " + id + ": checkpoint-metadata.json is signed with key id 'old', which this store does not know"
        + " (its current key id is new); if that is a previous key of yours, add it to BMADFLOW_SIGNING_KEYS_PREVIOUS as"
        + " id:<base64 key>, else use another checkpoint", problem);
    assertThrows(CheckpointStoreException.Corrupt.class, () -> forgotten.open(project, id));
    assertTrue(forgotten.verify(project, next).ok());

    S3CheckpointStore wrong = store("BMADFLOW_SIGNING_KEY", KEY_B, "BMADFLOW_SIGNING_KEY_ID", "new",
        "BMADFLOW_SIGNING_KEYS_PREVIOUS", "old:" + key(4));
    assertTrue(metadataCheck(wrong.verify(project, id)).problem().contains("signature mismatch for key id old"),
        "another key under the same id does not verify");
  }

  @Test
  void signingKeysAreCheckedAndNeverShown() {
    record Bad(Map<String, String> env, String message) {}
    List<Bad> bad = List.of(
        new Bad(Map.of("BMADFLOW_SIGNING_KEY", "c2hvcnQ="), "BMADFLOW_SIGNING_KEY decodes to 5 bytes, HMAC-SHA256 signing needs at least 32; generate one with `openssl rand -base64 32`"),
        new Bad(Map.of("BMADFLOW_SIGNING_KEY", "not base64!"), "BMADFLOW_SIGNING_KEY is not base64; generate one with `openssl rand -base64 32`"),
        new Bad(Map.of("BMADFLOW_SIGNING_KEY", KEY_A, "BMADFLOW_SIGNING_KEY_ID", "has space"), "BMADFLOW_SIGNING_KEY_ID must be 1 to 64 of A-Z a-z 0-9 . _ -"),
        new Bad(Map.of("BMADFLOW_SIGNING_KEY", KEY_A, "BMADFLOW_SIGNING_KEYS_PREVIOUS", KEY_B), "BMADFLOW_SIGNING_KEYS_PREVIOUS entry 1 is not 'id:base64'"),
        new Bad(Map.of("BMADFLOW_SIGNING_KEY", KEY_A, "BMADFLOW_SIGNING_KEYS_PREVIOUS", "a:" + KEY_B + ",b:c2hvcnQ="), "BMADFLOW_SIGNING_KEYS_PREVIOUS key 'b' decodes to 5 bytes"),
        new Bad(Map.of("BMADFLOW_SIGNING_KEY", KEY_A, "BMADFLOW_SIGNING_KEY_ID", "x", "BMADFLOW_SIGNING_KEYS_PREVIOUS", "x:" + KEY_B), "key id 'x' is the current BMADFLOW_SIGNING_KEY_ID"),
        new Bad(Map.of("BMADFLOW_SIGNING_KEYS_PREVIOUS", "a:" + KEY_B), "BMADFLOW_SIGNING_KEYS_PREVIOUS is set but BMADFLOW_SIGNING_KEY is not"));
    for (Bad b : bad) {
      var e = assertThrows(IllegalArgumentException.class, () -> StoreOptions.fromEnvironment(b.env()), b.message());
      assertTrue(e.getMessage().contains(b.message()), e.getMessage());
      assertFalse(e.getMessage().contains(KEY_A) || e.getMessage().contains(KEY_B), "a key is never repeated: " + e.getMessage());
    }
    assertNull(StoreOptions.fromEnvironment(Map.of()).signing());
    StoreOptions options = StoreOptions.fromEnvironment(Map.of("BMADFLOW_SIGNING_KEY", KEY_A, "BMADFLOW_SIGNING_KEY_ID", "now",
        "BMADFLOW_SIGNING_KEYS_PREVIOUS", "then:" + KEY_B));
    assertEquals("HMAC-SHA256 signing key now (also verifying then)", options.signing().toString());
    assertFalse(options.toString().contains(KEY_A) || options.toString().contains(KEY_B), options.toString());
  }

  @Test
  void aNewerMajorFormatIsRefusedWithTheUpgradeMessage() throws IOException {
    String project = "seal-major";
    String id = newId();
    commit(plain, project, id);
    editMetadata(project, id, tree -> {
      tree.put("format_version", "3.0");
      tree.putObject("quantum_section").put("entangled", true); // Unknown to this version.
      tree.put(MetadataSeal.DIGEST_FIELD, MetadataSeal.digest(tree));
    });
    String message = "checkpoint " + id + " was written in package format 3.0; this bmadflow reads up to 2.x; upgrade bmadflow to read it";
    assertEquals(message, assertThrows(CheckpointStoreException.Corrupt.class, () -> plain.open(project, id)).getMessage());
    assertEquals(message, metadataCheck(plain.verify(project, id)).problem());
    editMetadata(project, id, tree -> tree.put("format_version", "three"));
    String malformed = metadataCheck(plain.verify(project, id)).problem();
    assertTrue(malformed.contains("format_version '\"three\"' is not \"MAJOR.MINOR\""), malformed);
  }

  @Test
  void aNewerMinorFormatWithUnknownFieldsReadsAndItsDigestCoversThem() throws IOException {
    String project = "seal-minor";
    String id = newId();
    S3CheckpointStore signing = store("BMADFLOW_SIGNING_KEY", KEY_A);
    commit(plain, project, id);
    editMetadata(project, id, tree -> {
      tree.put("format_version", "2.7");
      tree.putObject("carbon_footprint").put("grams_co2", new java.math.BigDecimal("1.250"));
      ((ObjectNode) tree.get("state_summary")).put("flaky_tests", 2);
      tree.put(MetadataSeal.DIGEST_FIELD, MetadataSeal.digest(tree));
    });
    StoredCheckpoint handle = plain.open(project, id);
    CheckpointMetadata read = handle.metadata();
    assertEquals("2.7", read.formatVersion());
    // The handle keeps the bytes as stored (what `checkpoint export` writes): the fields this
    // version does not bind survive, so the exported copy's digest still holds.
    String exported = new String(handle.metadataBytes(), StandardCharsets.UTF_8);
    assertEquals(metadataJson(project, id), exported);
    assertTrue(exported.contains("carbon_footprint"), exported);
    assertEquals(3, read.stateSummary().completedTasks());
    VerificationReport report = plain.verify(project, id);
    assertTrue(report.ok(), report.toString());
    assertEquals("package format 2.7, metadata digest ok, unsigned", metadataCheck(report).note());
    assertTrue(metadataCheck(signing.verify(project, id)).problem().contains("is not signed"), "unsigned stays refused with a key");

    // The digest covers the fields this version does not know.
    String json = metadataJson(project, id);
    assertTrue(json.contains("\"grams_co2\" : 1.250"), json);
    overwrite(objectKey(project, id, PackagePaths.METADATA), json.replace("\"grams_co2\" : 1.250", "\"grams_co2\" : 0.1")
        .getBytes(StandardCharsets.UTF_8));
    assertTrue(metadataCheck(plain.verify(project, id)).problem().contains("metadata digest mismatch"));

    // A known version is still read strictly: an unknown field names itself.
    editMetadata(project, id, tree -> {
      tree.put("format_version", "2.0");
      tree.put(MetadataSeal.DIGEST_FIELD, MetadataSeal.digest(tree));
    });
    String strict = metadataCheck(plain.verify(project, id)).problem();
    assertTrue(strict.contains("Unrecognized field \"flaky_tests\""), strict);
  }

  @Test
  void aPackageOfFormatOneWithoutADigestReadsAndVerifyNotesIt() throws IOException {
    String project = "seal-old";
    String id = newId();
    commit(plain, project, id);
    // What the writer of format 1 stored: the same document without the seal's three fields.
    editMetadata(project, id, tree -> tree.remove(List.of("format_version", "metadata_sha256", "signature")));
    String json = metadataJson(project, id);
    assertFalse(json.contains("format_version\" : \"") || json.contains("metadata_sha256") || json.contains("signature"), json);
    CheckpointMetadata read = plain.open(project, id).metadata();
    assertNull(read.formatVersion());
    assertNull(read.metadataSha256());
    assertNotNull(plain.readFile(project, id, "workflow-state-snapshot.json"));
    VerificationReport report = plain.verify(project, id);
    assertTrue(report.ok(), report.toString());
    assertEquals("package format 1: the metadata is not covered by a digest (written before metadata digests); its files"
        + " are checked against it", metadataCheck(report).note());
    S3CheckpointStore signing = store("BMADFLOW_SIGNING_KEY", KEY_A);
    String problem = metadataCheck(signing.verify(project, id)).problem();
    assertTrue(problem.contains("is not signed (package format 1, written before signatures) and this store requires signed"
        + " packages"), problem);
    assertThrows(CheckpointStoreException.Corrupt.class, () -> signing.open(project, id));
  }
}
