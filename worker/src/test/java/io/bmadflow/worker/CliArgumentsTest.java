package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.PackageDigest;
import io.bmadflow.infra.checkpoint.PackageFile;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.PackageSource;
import io.bmadflow.infra.checkpoint.RetentionPolicy;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * What a user types that the CLI cannot use is a usage error (exit 2) naming the option, the value
 * and what is accepted, never an "unexpected error"; and {@code checkpoint export} leaves either
 * the whole verified folder or nothing. Each test is bounded: a usage error let through would
 * otherwise wait for a recovery no worker runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CliArgumentsTest {
  private static final String PROJECT = "cli-args";

  @TempDir static Path dataDir;
  static StackFixture fixture;

  @BeforeAll
  static void stack() throws IOException {
    fixture = new StackFixture(dataDir.resolve("stack"));
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  static void assertUsageError(StackFixture.CliResult result, String... mentions) {
    assertEquals(2, result.code(), "exit code; err: " + result.err());
    assertFalse(result.err().contains("unexpected error"), result.err());
    for (String mention : mentions) {
      assertTrue(result.err().contains(mention), "'" + mention + "' in: " + result.err());
    }
  }

  @Test
  void recoverAtOutOfRangeOrUnparseableIsAUsageError() {
    for (String at : List.of("99999-01-01T00:00:00Z", "+99999-01-01T00:00:00Z", "+1000000000-01-01T00:00:00Z",
        "-1000000000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "3000-01-01T00:00:00Z", "2026-13-01T00:00:00Z",
        "2026-01-15T14:30:00", "yesterday", "")) {
      StackFixture.CliResult result = fixture.cli("recover", "--project", PROJECT, "--at", at);
      assertUsageError(result, "--at: '" + at + "'", "ISO-8601", "2026-01-15T14:30:00Z");
    }
    assertUsageError(fixture.cli("recover", "--project", PROJECT, "--at", "1969-12-31T23:59:59Z"), "before any checkpoint");
    assertUsageError(fixture.cli("recover", "--project", PROJECT, "--at", "3000-01-01T00:00:00Z"), "in the future");
  }

  @Test
  void timeoutsOutOfRangeAreUsageErrors() {
    String checkpoint = CheckpointIds.of(System.currentTimeMillis(), UUID.randomUUID());
    for (String minutes : List.of("-5", "0", "1441", "9223372036854775807")) {
      assertUsageError(fixture.cli("recover", "--project", PROJECT, "--timeout", minutes),
          "--timeout: " + minutes + " is not between 1 and 1440 minutes");
      assertUsageError(fixture.cli("reset", "--project", PROJECT, "--checkpoint", checkpoint, "--timeout", minutes),
          "--timeout: " + minutes + " is not between 1 and 1440 minutes");
    }
    assertUsageError(fixture.cli("recover", "--project", PROJECT, "--timeout", "99999999999999999999"), "--timeout");
    assertUsageError(fixture.cli("recover", "--project", PROJECT, "--timeout", "soon"), "--timeout", "soon");
    for (String seconds : List.of("-5", "0", "86401")) {
      assertUsageError(fixture.cli("gate", "approve", "--project", PROJECT, "--reason", "ok", "--timeout", seconds),
          "--timeout: " + seconds + " is not between 1 and 86400 seconds");
    }
    assertUsageError(fixture.cli("risk", "add", "--project", PROJECT, "--title", "t", "--probability", "7", "--impact", "3"),
        "--probability: 7 is not between 1");
    assertUsageError(fixture.cli("risk", "add", "--project", PROJECT, "--title", "t", "--probability", "2", "--impact", "-1"),
        "--impact: -1 is not between 1");
  }

  @Test
  void theWorkerSideCommandsCheckTheirNumbersBeforeStartingAnything() {
    assertUsageError(fixture.cli("dev", "--temporal-port", "70000"), "--temporal-port: 70000 is not between 0 and 65535");
    assertUsageError(fixture.cli("dev", "--s3-port", "-1"), "--s3-port: -1 is not between 0 and 65535");
    assertUsageError(fixture.cli("dev", "--agent-step-ms", "-5"), "--agent-step-ms: -5 is not between 0 and 600000 ms");
    assertUsageError(fixture.cli("worker", "--agent-step-ms", "-5"), "--agent-step-ms: -5 is not between 0 and 600000 ms");
    assertUsageError(fixture.cli("demo", "--kill-after-steps", "0"), "--kill-after-steps: 0 is not between 1 and 1000");
    assertUsageError(fixture.cli("drill", "--timeout", "-5"), "--timeout: -5 is not between 1 and 86400 seconds");
    assertUsageError(fixture.cli("drill", "--runs", "0"), "--runs: 0 is not between 1 and 1000");
    assertUsageError(fixture.cli("drill", "--every", "0"), "--every: 0 is not between 1 and 10080 minutes");
  }

  @Test
  void exportToAFileOrIntoAMissingFolderOrANonEmptyOneIsAUsageError(@TempDir Path tmp) throws IOException {
    String id = commit("usage");
    Path file = Files.writeString(tmp.resolve("a-file"), "x");
    assertUsageError(fixture.cli("checkpoint", "export", "--project", PROJECT, id, file.toString()),
        "DIR " + file, "is a file (or a link), not a folder");
    assertEquals("x", Files.readString(file), "the file is left alone");
    Path orphan = tmp.resolve("missing").resolve("out");
    assertUsageError(fixture.cli("checkpoint", "export", "--project", PROJECT, id, orphan.toString()),
        "DIR " + orphan, tmp.resolve("missing") + ", does not exist");
    assertFalse(Files.exists(tmp.resolve("missing")), "no parent folder is made");
    Path underFile = file.resolve("out");
    assertUsageError(fixture.cli("checkpoint", "export", "--project", PROJECT, id, underFile.toString()),
        "DIR " + underFile, "does not exist as a folder");
    Path full = Files.createDirectory(tmp.resolve("full"));
    Files.writeString(full.resolve("keep.txt"), "mine");
    assertUsageError(fixture.cli("checkpoint", "export", "--project", PROJECT, id, full.toString()),
        "DIR " + full + " is not empty");
  }

  @Test
  void exportWritesTheWholeVerifiedFolderIntoANewOrEmptyPath(@TempDir Path tmp) throws Exception {
    String id = commit("whole");
    Path fresh = tmp.resolve("fresh");
    StackFixture.CliResult result = fixture.cli("checkpoint", "export", "--project", PROJECT, id, fresh.toString());
    assertEquals(0, result.code(), result.err());
    assertManifestHolds(fresh);
    // The metadata as stored, byte for byte: its digest (and signature) still check out, and a
    // newer minor format's fields are kept.
    byte[] stored = fixture.s3.getObjectAsBytes(b -> b.bucket(DevStack.BUCKET)
        .key(PackagePaths.packagePrefix("", PROJECT, id) + PackagePaths.METADATA)).asByteArray();
    assertArrayEquals(stored, Files.readAllBytes(fresh.resolve(PackagePaths.METADATA)));
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    assertEquals(0, fixture.cli("checkpoint", "export", "--project", PROJECT, id, empty.toString()).code());
    assertManifestHolds(empty);
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of("empty", "fresh"), left.map(p -> p.getFileName().toString()).sorted().toList(),
          "no temporary folder is left beside the exports");
    }
  }

  @Test
  void aCorruptSecondFileLeavesNoExportFolder(@TempDir Path tmp) throws IOException {
    String id = commit("corrupt");
    CheckpointMetadata m = fixture.store.metadata(PROJECT, id);
    PackageFile second = m.integrityValidation().files().get(1);
    String key = PackagePaths.packagePrefix("", PROJECT, second.storedIn()) + second.path();
    fixture.s3.putObject(b -> b.bucket(DevStack.BUCKET).key(key), RequestBody.fromString("tampered with"));

    Path target = tmp.resolve("out");
    StackFixture.CliResult result = fixture.cli("checkpoint", "export", "--project", PROJECT, id, target.toString());
    assertFalse(Files.exists(target), "no partial export folder; err: " + result.err());
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.toList(), "no temporary folder is left either");
    }
    assertEquals(1, result.code(), result.err());
    assertFalse(result.err().contains("unexpected error"), result.err());
    assertTrue(result.err().contains(second.path()), "names the corrupt file: " + result.err());
    assertTrue(result.err().contains("nothing was left there"), result.err());
  }

  @Test
  void exportWithS3UnreachableFailsWithTheReasonAndLeavesNothing(@TempDir Path tmp) throws IOException {
    String id = commit("unreachable");
    int closed;
    try (ServerSocket socket = new ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    Map<String, String> env = new LinkedHashMap<>(fixture.env());
    env.put("BMADFLOW_S3_ENDPOINT", "http://127.0.0.1:" + closed);
    CommandLine cli = Main.commandLine(env);
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setErr(new PrintWriter(err, true));
    Path target = tmp.resolve("out");
    int code;
    try (var services = ((io.bmadflow.client.cli.BmadflowCommand) cli.getCommand()).services()) {
      code = cli.execute("checkpoint", "export", "--project", PROJECT, id, target.toString());
    }
    assertEquals(1, code, err.toString());
    assertTrue(err.toString().startsWith("bmadflow: S3 "), err.toString());
    assertFalse(err.toString().contains("unexpected error"), err.toString());
    try (Stream<Path> left = Files.list(tmp)) {
      assertEquals(List.of(), left.toList());
    }
  }

  static void assertManifestHolds(Path folder) throws Exception {
    List<String> lines = Files.readAllLines(folder.resolve(PackagePaths.MANIFEST), StandardCharsets.UTF_8);
    assertFalse(lines.isEmpty());
    for (String line : lines) {
      String[] hashAndPath = line.split(" [ *]", 2);
      byte[] content = Files.readAllBytes(folder.resolve(hashAndPath[1]));
      assertEquals(hashAndPath[0], HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)), line);
    }
  }

  private static long clock = System.currentTimeMillis() - 3_600_000;

  /** Commits a small package of four files to the fixture's store and returns its id. */
  static synchronized String commit(String state) {
    clock += 1000;
    String id = CheckpointIds.of(clock, UUID.randomUUID());
    List<PackageSource> files = List.of(
        PackageSource.of("workflow-state-snapshot.json", "{\"state\":\"" + state + "\",\"padding\":\"" + "x".repeat(400) + "\"}"),
        PackageSource.of("agent-states-snapshot/bmad-agents/pm.json", "{\"agent\":\"pm\",\"notes\":\"" + "pm ".repeat(100) + "\"}"),
        PackageSource.of("context-snapshot/project-context.md", "# Context\n" + "line\n".repeat(200)),
        PackageSource.of("validation-report.json", "{\"status\":\"passed\"}"));
    fixture.store.commit(new CheckpointStore.CommitRequest(PROJECT, id, null, null, files, metadata(id, clock)));
    return id;
  }

  static Function<PackageDigest, CheckpointMetadata> metadata(String id, long at) {
    return digest -> {
      String retention = RetentionPolicy.classOf("medium", "phase_transition");
      String created = Instant.ofEpochMilli(at).toString();
      Instant expires = digest.retention().expiresAt(retention, Instant.parse(created));
      return new CheckpointMetadata(
          new CheckpointMetadata.Info(id, created, "automatic", "phase_transition", "test",
              "medium", "system", PROJECT, "planning", "greenfield-fullstack", 1, null),
          new CheckpointMetadata.StateSummary(0.5, 2, 3, 3, 0, 0, 1, 0),
          new CheckpointMetadata.RecoveryMetadata("under 1 minute", "simple", List.of(), List.of(), true),
          new CheckpointMetadata.IntegrityValidation(digest.checksum(), created, "passed",
              Map.of("workflow_state", "valid"), digest.files()),
          new CheckpointMetadata.StorageMetadata(0.01, 1.0, "cloud", retention, expires == null ? null : expires.toString(),
              digest.location(), digest.logicalBytes(), digest.storedBytes(), digest.bytesWritten(),
              digest.parentCheckpointId(), digest.incrementalDepth(), digest.references()),
          new CheckpointMetadata.TemporalReference("wf", "run", 7));
    };
  }
}
