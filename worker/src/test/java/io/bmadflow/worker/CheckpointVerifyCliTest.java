package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.client.cli.BmadflowCommand;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.PackageSource;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.checkpoint.StoreOptions;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code bmadflow checkpoint verify} end to end against S3Proxy: a signed package verifies with
 * exit code 0 and says what the seal covered; one whose metadata was altered exits 1 naming the
 * metadata and the digest mismatch; an unsigned one exits 1 while a signing key is set.
 */
class CheckpointVerifyCliTest {
  @TempDir Path dataDir;

  record Run(int code, String out, String err) {}

  static Run cli(Map<String, String> env, String... args) {
    CommandLine cli = Main.commandLine(env);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    try (var services = ((BmadflowCommand) cli.getCommand()).services()) {
      return new Run(cli.execute(args), out.toString(), err.toString());
    }
  }

  static void commit(CheckpointStore store, String project, String id) {
    store.commit(new CheckpointStore.CommitRequest(project, id, null, null,
        List.of(PackageSource.of("workflow-state-snapshot.json", "{\"state\":\"ok\"}")), digest -> new CheckpointMetadata(
            new CheckpointMetadata.Info(id, Instant.now().toString(), "manual", "user", "test", "medium", "user", project,
                "planning", "greenfield-fullstack", 1, null),
            new CheckpointMetadata.StateSummary(0.5, 1, 3, 3, 0, 0, 0, 0),
            new CheckpointMetadata.RecoveryMetadata("under 1 minute", "simple", List.of(), List.of(), true),
            new CheckpointMetadata.IntegrityValidation(digest.checksum(), Instant.now().toString(), "passed", Map.of(), digest.files()),
            new CheckpointMetadata.StorageMetadata(0.01, 1.0, "cloud", "frequent_checkpoints", null, digest.location(),
                digest.logicalBytes(), digest.storedBytes(), digest.bytesWritten(), null, 0, List.of()),
            new CheckpointMetadata.TemporalReference("wf", "run", 1))));
  }

  @Test
  void verifyExitsOneOnATamperedOrUnsignedPackageAndZeroOnASignedOne() throws Exception {
    try (DevStack stack = DevStack.start(dataDir, 0, 0); S3Client s3 = stack.s3Settings().newClient()) {
      byte[] key = new byte[32];
      new java.util.Random(5).nextBytes(key);
      Map<String, String> env = new HashMap<>(stack.environment());
      env.put("BMADFLOW_SIGNING_KEY", Base64.getEncoder().encodeToString(key));
      env.put("BMADFLOW_SIGNING_KEY_ID", "cli-test");
      S3CheckpointStore signing = new S3CheckpointStore(s3, stack.s3Settings(), StoreOptions.fromEnvironment(env));
      String project = "cli-seal";
      String id = CheckpointIds.of(System.currentTimeMillis(), UUID.randomUUID());
      commit(signing, project, id);

      Run ok = cli(env, "checkpoint", "verify", "--project", project, id);
      assertEquals(0, ok.code(), ok.out() + ok.err());
      assertTrue(ok.out().contains("ok   checkpoint-metadata.json (package format 2.0, metadata digest ok, signature of key id"
          + " cli-test verified)"), ok.out());

      String metadataKey = PackagePaths.packagePrefix("", project, id) + PackagePaths.METADATA;
      String json = s3.getObjectAsBytes(b -> b.bucket(DevStack.BUCKET).key(metadataKey)).asUtf8String();
      s3.putObject(b -> b.bucket(DevStack.BUCKET).key(metadataKey), RequestBody.fromString(
          json.replace("\"completed_tasks\" : 3,", "\"completed_tasks\" : 4,"), StandardCharsets.UTF_8));
      Run tampered = cli(env, "checkpoint", "verify", "--project", project, id);
      assertEquals(1, tampered.code(), tampered.out() + tampered.err());
      assertTrue(tampered.out().contains("FAIL checkpoint-metadata.json: checkpoint " + id
          + ": checkpoint-metadata.json: metadata digest mismatch"), tampered.out());
      assertTrue(tampered.err().contains("checkpoint " + id + " failed verification: checkpoint-metadata.json"), tampered.err());

      String unsigned = CheckpointIds.of(System.currentTimeMillis() + 1000, UUID.randomUUID());
      commit(new S3CheckpointStore(s3, stack.s3Settings()), project, unsigned);
      Run refused = cli(env, "checkpoint", "verify", "--project", project, unsigned);
      assertEquals(1, refused.code(), refused.out() + refused.err());
      assertTrue(refused.out().contains("is not signed and this store requires signed packages"), refused.out());
    }
  }
}
