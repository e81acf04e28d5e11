package io.bmadflow.infra.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Where the metrics endpoint listens: loopback unless told otherwise, the address it reports is
 * the one bound, and a bad address fails naming the setting.
 */
class MetricsBindTest {
  private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
  private static final Map<String, String> ANY_PORT = Map.of("BMADFLOW_METRICS_PORT", "0");

  /** An up, non-loopback IPv4 address of this machine, if it has one. */
  static Optional<InetAddress> nonLoopbackAddress() throws SocketException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address && !address.isLoopbackAddress() && !address.isLinkLocalAddress()) {
          return Optional.of(address);
        }
      }
    }
    return Optional.empty();
  }

  static int status(String host, int port) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + BmadflowMetrics.PATH))
        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  static boolean accepts(InetAddress address, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(address, port), 2000);
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  @Test
  void byDefaultTheEndpointIsOnLoopbackOnly() throws Exception {
    try (BmadflowMetrics metrics = BmadflowMetrics.fromEnvironment(ANY_PORT, null, false)) {
      assertEquals("127.0.0.1", metrics.boundAddress());
      assertEquals("http://127.0.0.1:" + metrics.port() + "/metrics", metrics.describe());
      assertFalse(metrics.listensOnAllInterfaces());
      assertEquals(200, status("127.0.0.1", metrics.port()));
      Optional<InetAddress> outside = nonLoopbackAddress();
      assumeTrue(outside.isPresent(), "this machine has no non-loopback IPv4 address to try the port on");
      assertFalse(accepts(outside.get(), metrics.port()),
          "the metrics port answers on " + outside.get().getHostAddress() + ", not only on loopback");
    }
  }

  @Test
  void anExplicitBindServesThereAndSaysSo() throws Exception {
    Optional<InetAddress> outside = nonLoopbackAddress();
    assumeTrue(outside.isPresent(), "this machine has no non-loopback IPv4 address to bind to");
    String address = outside.get().getHostAddress();
    Map<String, String> env = Map.of("BMADFLOW_METRICS_PORT", "0", "BMADFLOW_METRICS_BIND", address);
    try (BmadflowMetrics metrics = BmadflowMetrics.fromEnvironment(env, null, false)) {
      assertEquals(address, metrics.boundAddress());
      assertEquals("http://" + address + ":" + metrics.port() + "/metrics", metrics.url());
      assertEquals(200, status(address, metrics.port()));
      assertFalse(accepts(InetAddress.getLoopbackAddress(), metrics.port()), "bound to " + address + " only");
    }
    // The command line option wins over the environment.
    try (BmadflowMetrics metrics = BmadflowMetrics.fromEnvironment(env, "0.0.0.0", false)) {
      assertTrue(metrics.listensOnAllInterfaces());
      assertEquals("http://0.0.0.0:" + metrics.port() + "/metrics (all interfaces)", metrics.describe());
      assertEquals(200, status(address, metrics.port()));
      assertEquals(200, status("127.0.0.1", metrics.port()));
    }
  }

  @Test
  void aBindThatIsNotAnAddressFailsNamingTheSetting() {
    for (String bad : new String[] {"metrics.example", "999.1.1.1", "1.2.3", ""}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> BmadflowMetrics.fromEnvironment(ANY_PORT, bad, false), bad);
      assertTrue(e.getMessage().startsWith("--metrics-bind is '" + bad + "': not an IP address"), e.getMessage());
      assertTrue(e.getMessage().contains("0.0.0.0"), e.getMessage());
    }
    IllegalArgumentException env = assertThrows(IllegalArgumentException.class,
        () -> BmadflowMetrics.fromEnvironment(Map.of("BMADFLOW_METRICS_PORT", "0", "BMADFLOW_METRICS_BIND", "any"), null, false));
    assertTrue(env.getMessage().startsWith("BMADFLOW_METRICS_BIND is 'any'"), env.getMessage());
    // An address that is not this machine's fails at bind time, naming both settings to change.
    IllegalStateException foreign = assertThrows(IllegalStateException.class,
        () -> BmadflowMetrics.fromEnvironment(ANY_PORT, "203.0.113.77", false));
    assertTrue(foreign.getMessage().contains("203.0.113.77") && foreign.getMessage().contains("BMADFLOW_METRICS_BIND"),
        foreign.getMessage());
  }
}
