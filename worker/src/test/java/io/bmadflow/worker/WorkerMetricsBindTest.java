package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bmadflow worker} as its own process: its metrics endpoint listens where the line it
 * prints says, loopback unless {@code --metrics-bind} says otherwise.
 */
class WorkerMetricsBindTest {
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

  static Optional<InetAddress> nonLoopbackAddress() throws IOException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (nic.isUp() && !nic.isLoopback()) {
        for (InetAddress address : Collections.list(nic.getInetAddresses())) {
          if (address instanceof Inet4Address && !address.isLinkLocalAddress()) {
            return Optional.of(address);
          }
        }
      }
    }
    return Optional.empty();
  }

  static boolean accepts(InetAddress address, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address, port), 2000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  /** Starts {@code bmadflow worker} with these arguments and returns its "metrics" line's value, then stops it. */
  static String metricsLine(Path log, Check check, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "worker"));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
    Map<String, String> env = builder.environment();
    env.keySet().removeIf(k -> k.startsWith("BMADFLOW_") || k.startsWith("TEMPORAL_"));
    env.putAll(fixture.env());
    env.put("BMADFLOW_METRICS_PORT", "0");
    env.put("BMADFLOW_READINESS_INTERVAL_SECONDS", "off");
    Process process = builder.start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      String metrics = null;
      while ((line = out.readLine()) != null && !line.equals("Ctrl-C to stop.")) {
        if (line.startsWith("  metrics   ")) {
          metrics = line.substring("  metrics   ".length()).trim();
        }
      }
      assertNotNull(metrics, "no metrics line; stderr: " + Files.readString(log));
      check.accept(metrics);
      return metrics;
    } finally {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }

  interface Check {
    void accept(String metricsLine) throws Exception;
  }

  static int port(String url) {
    return URI.create(url.split(" ")[0]).getPort();
  }

  @Test
  void byDefaultTheWorkerServesMetricsOnLoopbackOnly() throws Exception {
    Optional<InetAddress> outside = nonLoopbackAddress();
    metricsLine(dataDir.resolve("default.err"), metrics -> {
      assertTrue(metrics.matches("http://127\\.0\\.0\\.1:\\d+/metrics"), metrics);
      int port = port(metrics);
      HttpResponse<String> scraped = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create(metrics)).timeout(Duration.ofSeconds(10)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, scraped.statusCode());
      assumeTrue(outside.isPresent(), "this machine has no non-loopback IPv4 address to try the port on");
      assertFalse(accepts(outside.get(), port),
          "the worker's metrics port " + port + " answers on " + outside.get().getHostAddress() + " while it printed " + metrics);
    });
  }

  @Test
  void metricsBindExposesTheEndpointOnPurposeAndSaysSo() throws Exception {
    Optional<InetAddress> outside = nonLoopbackAddress();
    assumeTrue(outside.isPresent(), "this machine has no non-loopback IPv4 address to reach the endpoint on");
    metricsLine(dataDir.resolve("all.err"), metrics -> {
      assertTrue(metrics.matches("http://0\\.0\\.0\\.0:\\d+/metrics \\(all interfaces\\)"), metrics);
      assertTrue(accepts(outside.get(), port(metrics)), metrics);
    }, "--metrics-bind", "0.0.0.0");
  }

  @Test
  void aBadMetricsBindIsAUsageError() {
    StackFixture.CliResult bad = fixture.cli("worker", "--metrics-bind", "everywhere");
    assertEquals(2, bad.code(), bad.err());
    assertTrue(bad.err().contains("--metrics-bind is 'everywhere': not an IP address"), bad.err());
  }
}
