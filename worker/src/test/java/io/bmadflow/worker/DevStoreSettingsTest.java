package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.client.BmadflowClient;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackageFile;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.checkpoint.StoreOptions;
import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.temporal.TemporalConnection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code bmadflow dev} as its own process builds its store from the same settings as
 * {@code bmadflow worker}: with {@code BMADFLOW_ENCRYPTION_KEY} (and {@code BMADFLOW_COMPRESSION=none},
 * so plain text would show) in its environment, the checkpoints its worker writes are encrypted.
 */
class DevStoreSettingsTest {

  @Test
  void devEncryptsCheckpointsWithTheKeyOfItsEnvironment(@TempDir Path dataDir) throws Exception {
    byte[] raw = new byte[32];
    new Random(12).nextBytes(raw);
    String key = Base64.getEncoder().encodeToString(raw);
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "dev", "--temporal", "test-server", "--data-dir", dataDir.toString(), "--temporal-port", "0", "--s3-port", "0")
        .redirectError(dataDir.resolve("dev.err").toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("BMADFLOW_") || k.startsWith("TEMPORAL_"));
    builder.environment().put("BMADFLOW_ENCRYPTION_KEY", key);
    builder.environment().put("BMADFLOW_COMPRESSION", "none");
    builder.environment().put("BMADFLOW_METRICS_PORT", "off");
    builder.environment().put("BMADFLOW_READINESS_INTERVAL_SECONDS", "off");
    Process process = builder.start();
    Map<String, String> env = new LinkedHashMap<>();
    List<String> printed = new ArrayList<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("Ctrl-C to stop.")) {
        printed.add(line);
        if (line.startsWith("export ")) {
          String[] kv = line.substring("export ".length()).split("=", 2);
          env.put(kv[0], kv[1]);
        }
      }
      assertTrue(env.containsKey("BMADFLOW_S3_ENDPOINT"), "dev did not start: " + printed + " " + Files.readString(dataDir.resolve("dev.err")));
      assertFalse(String.join("\n", printed).contains(key), "the key is never printed");
      assertTrue(printed.contains("# and, as in this shell (not printed): BMADFLOW_ENCRYPTION_KEY BMADFLOW_COMPRESSION"),
          String.join("\n", printed));

      String project = "dev-encrypted";
      Map<String, String> reader = new LinkedHashMap<>(env);
      reader.put("BMADFLOW_ENCRYPTION_KEY", key);
      S3Settings settings = S3Settings.fromEnvironment(reader);
      try (TemporalConnection temporal = TemporalConnection.fromEnvironment(env); S3Client s3 = settings.newClient()) {
        S3CheckpointStore store = new S3CheckpointStore(s3, settings, StoreOptions.fromEnvironment(reader));
        BmadflowClient client = new BmadflowClient(temporal.client(), store);
        client.start(project, DefinitionLoader.load(DefinitionLoader.DEFAULT).definition(), null);
        List<CheckpointSummary> checkpoints = List.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (checkpoints.isEmpty() && System.nanoTime() < deadline) {
          Thread.sleep(200);
          checkpoints = store.list(project);
        }
        assertFalse(checkpoints.isEmpty(), "dev's worker wrote no checkpoint in 90 s");
        String id = checkpoints.get(0).checkpointId();
        CheckpointMetadata m = store.metadata(project, id);
        List<PackageFile> content = m.integrityValidation().files().stream()
            .filter(f -> !f.path().equals(PackagePaths.MANIFEST)).toList();
        assertTrue(content.stream().anyMatch(f -> f.path().startsWith(PackagePaths.WORKSPACE)), content.toString());
        for (PackageFile f : content) {
          assertEquals(PackageFile.AES_256_GCM, f.encryption(), f.path() + " of a checkpoint written by dev");
          assertEquals(PackageFile.IDENTITY, f.encoding(), f.path() + ": BMADFLOW_COMPRESSION=none is honoured too");
        }
        // The stored workspace object does not hold its content in plain text; the key opens it.
        PackageFile workspaceFile = content.stream().filter(f -> f.path().startsWith(PackagePaths.WORKSPACE))
            .filter(f -> f.size() >= 16).findFirst().orElseThrow();
        String plain = new String(store.readFile(project, id, workspaceFile.path()), StandardCharsets.UTF_8);
        String objectKey = PackagePaths.packagePrefix(settings.prefix(), project, workspaceFile.storedIn()) + workspaceFile.path();
        String stored = new String(s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(objectKey)).asByteArray(),
            StandardCharsets.ISO_8859_1);
        String probe = plain.substring(0, 16);
        assertFalse(stored.contains(probe), "the stored object of " + workspaceFile.path() + " shows '" + probe + "'");
        // A reader without the key cannot read it.
        S3CheckpointStore withoutKey = new S3CheckpointStore(s3, settings, StoreOptions.fromEnvironment(env));
        assertFalse(withoutKey.verify(project, id).ok());
      }
    } finally {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
