package io.bmadflow.activities.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.checkpoint.CheckpointEvent;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The webhook against a real HTTP server on 127.0.0.1. */
class NotificationActivitiesImplTest {
  record Received(String method, String contentType, String idempotencyKey, byte[] body) {}

  HttpServer server;
  final List<Received> received = new CopyOnWriteArrayList<>();
  final AtomicInteger answer = new AtomicInteger(204);

  @BeforeEach
  void startServer() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/hook", exchange -> {
      try (exchange) {
        received.add(new Received(exchange.getRequestMethod(),
            exchange.getRequestHeaders().getFirst("Content-Type"),
            exchange.getRequestHeaders().getFirst("Idempotency-Key"),
            exchange.getRequestBody().readAllBytes()));
        int status = answer.get();
        byte[] body = status >= 300 ? "boom".getBytes() : new byte[0];
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
          exchange.getResponseBody().write(body);
        }
      }
    });
    server.start();
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  static CheckpointEvent event() {
    CheckpointRef ref = new CheckpointRef("cp-20260101T000000Z-0001", "automatic", "critical_decision", "critical",
        "solutioning", "2026-01-01T00:00:00Z", 1234, 12, "sha256:abc", "s3://bmadflow/my-app/docs/state/checkpoints/cp/", "2026-01-01T00:00:01Z", true);
    return CheckpointEvent.of("my-app", "the architect chose the stack", ref);
  }

  @Test
  void postsTheEventAsJson() throws Exception {
    NotificationActivitiesImpl notifications = NotificationActivitiesImpl.fromEnvironment(Map.of("BMADFLOW_WEBHOOK_URL", url()));
    assertTrue(notifications.enabled());
    notifications.notifyCheckpoint(event());

    assertEquals(1, received.size());
    Received got = received.get(0);
    assertEquals("POST", got.method());
    assertEquals("application/json", got.contentType());
    assertEquals("my-app/cp-20260101T000000Z-0001", got.idempotencyKey());
    JsonNode json = PackageJson.mapper().readTree(got.body());
    assertEquals("my-app", json.get("project_id").asText());
    assertEquals("cp-20260101T000000Z-0001", json.get("checkpoint_id").asText());
    assertEquals("automatic", json.get("type").asText());
    assertEquals("critical_decision", json.get("trigger").asText());
    assertEquals("critical", json.get("priority").asText());
    assertEquals("solutioning", json.get("phase").asText());
    assertEquals("the architect chose the stack", json.get("reason").asText());
    assertEquals("2026-01-01T00:00:00Z", json.get("created_at").asText());
    assertEquals("s3://bmadflow/my-app/docs/state/checkpoints/cp/", json.get("location").asText());
    assertEquals("sha256:abc", json.get("checksum").asText());
  }

  @Test
  void aServerErrorThrowsSoTemporalRetries() {
    answer.set(500);
    NotificationActivitiesImpl notifications = new NotificationActivitiesImpl(url());
    RuntimeException e = assertThrows(RuntimeException.class, () -> notifications.notifyCheckpoint(event()));
    assertTrue(e.getMessage().contains("500"), e.getMessage());
    assertEquals(1, received.size());
  }

  @Test
  void anUnreachableWebhookThrows() {
    int port = server.getAddress().getPort();
    server.stop(0);
    NotificationActivitiesImpl notifications = new NotificationActivitiesImpl("http://127.0.0.1:" + port + "/hook");
    assertThrows(RuntimeException.class, () -> notifications.notifyCheckpoint(event()));
  }

  @Test
  void withoutAUrlNothingIsSent() {
    NotificationActivitiesImpl notifications = NotificationActivitiesImpl.fromEnvironment(Map.of());
    assertFalse(notifications.enabled());
    notifications.notifyCheckpoint(event());
    new NotificationActivitiesImpl("  ").notifyCheckpoint(event());
    assertTrue(received.isEmpty());
  }

  @Test
  void aMalformedUrlIsRefusedAtStart() {
    assertThrows(IllegalArgumentException.class, () -> new NotificationActivitiesImpl("ftp://example.org/x"));
    assertThrows(IllegalArgumentException.class, () -> new NotificationActivitiesImpl("not a url"));
  }
}
