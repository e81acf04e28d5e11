package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.temporal.TemporalConnection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code bmadflow dev} as its own process: the export lines work, and SIGTERM shuts it down cleanly. */
class DevCommandTest {

  @Test
  void printsWorkingExportLinesAndStopsCleanlyOnSigterm(@TempDir Path dataDir) throws Exception {
    Process process = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "dev", "--temporal", "test-server", "--data-dir", dataDir.toString(), "--temporal-port", "0", "--s3-port", "0")
        .redirectError(dataDir.resolve("dev.err").toFile())
        .start();
    Map<String, String> env = new LinkedHashMap<>();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      String metricsUrl = null;
      while ((line = out.readLine()) != null && !line.equals("Ctrl-C to stop.")) {
        if (line.startsWith("  metrics   ")) {
          metricsUrl = line.substring("  metrics   ".length()).trim();
        }
        if (line.startsWith("export ")) {
          String[] kv = line.substring("export ".length()).split("=", 2);
          env.put(kv[0], kv[1]);
        }
      }
      assertTrue(env.keySet().containsAll(List.of("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "BMADFLOW_S3_ENDPOINT",
          "BMADFLOW_S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION")), env.toString());
      // The metrics endpoint is on loopback and answers.
      assertTrue(metricsUrl != null && metricsUrl.matches("http://127\\.0\\.0\\.1:\\d+/metrics"), String.valueOf(metricsUrl));
      var metrics = java.net.http.HttpClient.newHttpClient().send(
          java.net.http.HttpRequest.newBuilder(URI.create(metricsUrl)).GET().build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(200, metrics.statusCode());

      // A second terminal with only these variables reaches both servers.
      try (TemporalConnection temporal = TemporalConnection.fromEnvironment(env)) {
        assertTrue(temporal.isDevStack());
      }
      S3Settings s3Settings = S3Settings.fromEnvironment(env);
      try (S3Client s3 = s3Settings.newClient()) {
        s3.headBucket(b -> b.bucket(env.get("BMADFLOW_S3_BUCKET")));
      }

      process.destroy(); // SIGTERM
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "dev did not stop on SIGTERM");
      assertEquals(143, process.exitValue());
    } finally {
      process.destroyForcibly();
    }
    // Both ports are free again: the servers were shut down, not abandoned.
    for (String address : List.of(env.get("TEMPORAL_ADDRESS"), URI.create(env.get("BMADFLOW_S3_ENDPOINT")).getAuthority())) {
      int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      try (ServerSocket again = new ServerSocket()) {
        again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      }
    }
  }
}
