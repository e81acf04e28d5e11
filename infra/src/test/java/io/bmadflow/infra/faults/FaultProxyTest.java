package io.bmadflow.infra.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The proxy over real sockets on 127.0.0.1: an echo server behind it, then an HTTP server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultProxyTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  /** Long enough never to fire on a loaded machine; a prompt failure comes far sooner. */
  private static final int READ_TIMEOUT_MILLIS = 10_000;

  private EchoServer echo;
  private FaultProxy proxy;

  @BeforeEach
  void startEchoBehindProxy() throws IOException {
    echo = new EchoServer();
    proxy = FaultProxy.start("127.0.0.1", echo.port());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  @Test
  void forwardsBytesBothWaysIncludingFiveMegabytes() throws Exception {
    try (Socket client = connect(proxy.port())) {
      assertEquals("hello", roundTrip(client, "hello"));

      byte[] payload = new byte[5 * 1024 * 1024];
      new Random(42).nextBytes(payload);
      // Written on another thread: the echo comes back while we are still sending.
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          client.getOutputStream().write(payload);
          client.getOutputStream().flush();
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      MessageDigest received = MessageDigest.getInstance("SHA-256");
      InputStream in = client.getInputStream();
      byte[] buffer = new byte[32 * 1024];
      long total = 0;
      while (total < payload.length) {
        int n = in.read(buffer);
        assertTrue(n > 0, "the echo ended after " + total + " of " + payload.length + " bytes");
        received.update(buffer, 0, n);
        total += n;
      }
      writer.get(30, TimeUnit.SECONDS);
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(payload), received.digest());
    }
    assertEquals(1, proxy.connectionsAccepted());
    // The counter moves just after each write, so it may trail what the client has read.
    long expected = 2L * (5 * 1024 * 1024 + 5);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (proxy.bytesForwarded() < expected && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(expected, proxy.bytesForwarded());
  }

  @Test
  void passesEndOfStreamOnAsAHalfClose() throws Exception {
    try (Socket client = connect(proxy.port())) {
      client.getOutputStream().write("bye".getBytes(StandardCharsets.UTF_8));
      client.shutdownOutput();
      // The echo server answers the end of stream by ending its side, which reaches us.
      assertEquals("bye", new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void cutResetsOpenConnectionsAndRefusesNewOnesUntilRestoredOnTheSamePort() throws Exception {
    int port = proxy.port();
    List<Socket> clients = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Socket client = connect(port);
        clients.add(client);
        assertEquals("ping" + i, roundTrip(client, "ping" + i));
      }

      proxy.cut();

      assertEquals(FaultProxy.Mode.CUT, proxy.mode());
      assertEquals(3, proxy.connectionsCut());
      for (Socket client : clients) {
        assertBroken(client);
      }
      assertThrows(ConnectException.class, () -> connect(port).close(), "a new connection was accepted while cut");
      proxy.cut(); // Idempotent.
      assertEquals(3, proxy.connectionsCut());
    } finally {
      for (Socket client : clients) {
        client.close();
      }
    }

    proxy.restore();

    assertEquals(port, proxy.port());
    assertEquals(FaultProxy.Mode.FORWARDING, proxy.mode());
    try (Socket client = connect(port)) {
      assertEquals("again", roundTrip(client, "again"));
    }
    assertEquals(4, proxy.connectionsAccepted());

    // A second cut and restore work the same way.
    proxy.cut();
    assertThrows(ConnectException.class, () -> connect(port).close());
    proxy.restore();
    try (Socket client = connect(port)) {
      assertEquals("third", roundTrip(client, "third"));
    }
  }

  @Test
  void aCutBreaksAClientThatIsOnlyWriting() throws Exception {
    try (Socket client = connect(proxy.port())) {
      assertEquals("x", roundTrip(client, "x"));
      proxy.cut();
      // The reset may arrive before the first write or after it; within a few writes it shows.
      long start = System.nanoTime();
      IOException failure = null;
      byte[] chunk = new byte[16 * 1024];
      for (int i = 0; i < 10_000 && failure == null; i++) {
        try {
          client.getOutputStream().write(chunk);
        } catch (IOException e) {
          failure = e;
        }
      }
      assertTrue(failure instanceof SocketException, "writes kept succeeding after the cut: " + failure);
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the write failure was not prompt");
    }
  }

  @Test
  void delayAddsLatencyToEveryChunkInBothDirections() throws Exception {
    Duration delay = Duration.ofMillis(200);
    try (Socket client = connect(proxy.port())) {
      assertEquals("warm", roundTrip(client, "warm"));

      proxy.delay(delay);
      assertEquals(delay, proxy.delay());
      long start = System.nanoTime();
      assertEquals("slow", roundTrip(client, "slow"));
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);

      // Once on the way there, once on the way back. A lower bound only: machines are noisy.
      assertTrue(elapsed.compareTo(delay.multipliedBy(2)) >= 0, "round trip took only " + elapsed);

      proxy.delay(Duration.ZERO);
      assertEquals("fast", roundTrip(client, "fast"));
    }
    assertThrows(IllegalArgumentException.class, () -> proxy.delay(Duration.ofMillis(-1)));
  }

  @Test
  void blackholeHoldsBytesUntilRestoredAndThenDeliversThem() throws Exception {
    try (Socket client = connect(proxy.port())) {
      assertEquals("before", roundTrip(client, "before"));

      proxy.blackhole();

      assertEquals(FaultProxy.Mode.BLACKHOLED, proxy.mode());
      client.getOutputStream().write("held".getBytes(StandardCharsets.UTF_8));
      client.setSoTimeout(500);
      assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read(),
          "bytes went through the blackhole");

      proxy.restore();

      client.setSoTimeout(READ_TIMEOUT_MILLIS);
      assertEquals("held", new String(client.getInputStream().readNBytes(4), StandardCharsets.UTF_8));
    }
  }

  @Test
  void aConnectionToADownTargetIsReset() throws Exception {
    int closedPort;
    try (ServerSocket gone = new ServerSocket(0, 50, LOOPBACK)) {
      closedPort = gone.getLocalPort();
    }
    try (FaultProxy toNowhere = FaultProxy.start("127.0.0.1", closedPort);
        Socket client = connect(toNowhere.port())) {
      assertBroken(client);
    }
  }

  @Test
  void closeFreesThePortAndEndsItsThreads() throws Exception {
    int port = proxy.port();
    Socket open = connect(port);
    assertEquals("open", roundTrip(open, "open"));
    proxy.blackhole(); // A pump waiting on the blackhole must end too.
    open.getOutputStream().write(1);
    String threadPrefix = "fault-proxy-" + port + "-";
    assertTrue(proxyThreads(threadPrefix) >= 3, "expected an acceptor and two pumps");

    proxy.close();

    assertEquals(0, proxyThreads(threadPrefix), "threads still alive after close()");
    try (ServerSocket again = new ServerSocket()) {
      again.bind(new InetSocketAddress(LOOPBACK, port));
    }
    assertBroken(open);
    open.close();
    assertThrows(IllegalStateException.class, proxy::cut);
    proxy.close(); // Idempotent.
  }

  @Test
  void listensOnAGivenPort() throws Exception {
    int wanted;
    try (ServerSocket probe = new ServerSocket(0, 50, LOOPBACK)) {
      wanted = probe.getLocalPort();
    }
    try (FaultProxy fixed = FaultProxy.start(wanted, "127.0.0.1", echo.port());
        Socket client = connect(wanted)) {
      assertEquals(wanted, fixed.port());
      assertEquals("127.0.0.1:" + wanted, fixed.address());
      assertEquals("http://127.0.0.1:" + wanted, fixed.endpoint().toString());
      assertEquals("given", roundTrip(client, "given"));
    }
  }

  @Test
  void anHttpClientFailsWhileCutAndWorksAfterRestore() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    server.createContext("/hello", exchange -> {
      byte[] body = "hi".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    server.start();
    try (FaultProxy http = FaultProxy.start("127.0.0.1", server.getAddress().getPort())) {
      HttpClient client = HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
      HttpRequest get = HttpRequest.newBuilder(http.endpoint().resolve("/hello"))
          .timeout(Duration.ofSeconds(10))
          .GET()
          .build();

      HttpResponse<String> ok = client.send(get, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, ok.statusCode());
      assertEquals("hi", ok.body());

      http.cut();
      long start = System.nanoTime();
      IOException failure = assertThrows(IOException.class, () -> client.send(get, HttpResponse.BodyHandlers.ofString()));
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "the failure while cut was not prompt: " + failure);

      http.restore();
      HttpResponse<String> again = client.send(get, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, again.statusCode());
      assertEquals("hi", again.body());
    } finally {
      server.stop(0);
    }
  }

  private static Socket connect(int port) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(LOOPBACK, port), 5_000);
      socket.setSoTimeout(READ_TIMEOUT_MILLIS);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private static String roundTrip(Socket socket, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
    return new String(socket.getInputStream().readNBytes(bytes.length), StandardCharsets.UTF_8);
  }

  /** The next read fails or ends the stream, well before the read timeout. */
  private static void assertBroken(Socket socket) throws IOException {
    socket.setSoTimeout(READ_TIMEOUT_MILLIS);
    try {
      int read = socket.getInputStream().read();
      assertEquals(-1, read, "read a byte from a connection that should be broken");
    } catch (SocketTimeoutException e) {
      fail("the connection stayed open: no reset or end of stream within " + READ_TIMEOUT_MILLIS + " ms");
    } catch (SocketException expected) {
      // "Connection reset": what an abortive close looks like.
    }
  }

  private static long proxyThreads(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith(prefix) && t.isAlive())
        .count();
  }

  /** Echoes every connection's bytes back, and ends its side when the client ends its own. */
  private static final class EchoServer implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 50, LOOPBACK);
    private final List<Socket> sockets = new ArrayList<>();

    EchoServer() throws IOException {
      Thread acceptor = new Thread(this::acceptLoop, "echo-accept-" + server.getLocalPort());
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void acceptLoop() {
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          synchronized (sockets) {
            sockets.add(socket);
          }
          Thread echo = new Thread(() -> echo(socket), "echo-" + socket.getPort());
          echo.setDaemon(true);
          echo.start();
        } catch (IOException closed) {
          return;
        }
      }
    }

    private static void echo(Socket socket) {
      try (socket) {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        byte[] buffer = new byte[16 * 1024];
        int n;
        while ((n = in.read(buffer)) >= 0) {
          out.write(buffer, 0, n);
        }
        socket.shutdownOutput();
      } catch (IOException reset) {
        // The proxy reset the connection: what the cut tests do on purpose.
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (sockets) {
        for (Socket socket : sockets) {
          socket.close();
        }
      }
    }
  }
}
