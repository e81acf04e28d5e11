package io.bmadflow.infra.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The endpoint over real HTTP: what is recorded is scraped with its tags. */
class BmadflowMetricsTest {
  private static final HttpClient http = HttpClient.newHttpClient();

  static HttpResponse<String> get(String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void recoveriesDrillsAndReadinessAreServedUnderTheNamesTheAlertsUse() throws Exception {
    try (BmadflowMetrics metrics = BmadflowMetrics.start("127.0.0.1", 0)) {
      metrics.recordRecovery("cold", "recovered", 2.5);
      metrics.recordRecovery("cold", "planned", 0.2);
      metrics.recordRecoveryTest("state-corruption", true, 1_700_000_000L);
      metrics.recordRecoveryTest("state-corruption", false, 1_700_000_100L);
      metrics.recordReadiness("my-app", 4, 120.0, 77.5, Map.of("cold", 3.0, "hot", 0.5), 600.0);
      metrics.recordReadiness("my-app", 5, 10.0, 80.0, Map.of("cold", 2.0), 30.0);
      metrics.recordStorageCapacity(1_000_000_000L);
      String body = get(metrics.url()).body();
      assertTrue(body.contains("bmadflow_recoveries_total{outcome=\"recovered\",strategy=\"cold\"} 1.0"), body);
      assertTrue(body.contains("bmadflow_recoveries_total{outcome=\"planned\",strategy=\"cold\"} 1.0"), body);
      assertTrue(body.contains("bmadflow_recovery_duration_seconds_count{strategy=\"cold\"} 1"), "a dry run is not timed: " + body);
      assertTrue(body.contains("bmadflow_recovery_duration_seconds_bucket{strategy=\"cold\""), body);
      assertTrue(body.contains("bmadflow_recovery_tests_total{outcome=\"passed\",scenario=\"state-corruption\"} 1.0"), body);
      assertTrue(body.contains("bmadflow_recovery_tests_total{outcome=\"failed\",scenario=\"state-corruption\"} 1.0"), body);
      assertTrue(body.contains("bmadflow_drill_last_result{scenario=\"state-corruption\"} 0.0"), body);
      assertTrue(body.contains("bmadflow_drill_last_run_timestamp_seconds{scenario=\"state-corruption\"} 1.7000001E9"), body);
      assertTrue(body.contains("bmadflow_recovery_points{project=\"my-app\"} 5.0"), "the newest value wins: " + body);
      assertTrue(body.contains("bmadflow_recovery_newest_point_age_seconds{project=\"my-app\"} 10.0"), body);
      assertTrue(body.contains("bmadflow_recovery_capability_score{project=\"my-app\"} 80.0"), body);
      assertTrue(body.contains("bmadflow_recovery_estimated_seconds{project=\"my-app\",strategy=\"cold\"} 2.0"), body);
      assertTrue(body.contains("bmadflow_recovery_plan_age_seconds{project=\"my-app\"} 30.0"), body);
      assertTrue(body.contains("bmadflow_storage_capacity_bytes 1.0E9"), body);
    }
  }

  @Test
  void recordedCheckpointsAreServedAtMetricsWithTheirTags() throws Exception {
    try (BmadflowMetrics metrics = BmadflowMetrics.start("127.0.0.1", 0)) {
      assertTrue(metrics.port() > 0);
      assertEquals("http://127.0.0.1:" + metrics.port() + "/metrics", metrics.url());
      metrics.recordCheckpoint("automatic", "phase_transition", BmadflowMetrics.COMMITTED, 0.25, 4096, 10_000,
          "my-app", "passed");
      metrics.recordCheckpoint("automatic", "phase_transition", BmadflowMetrics.COMMITTED, 0.5, 1024, 12_345,
          "my-app", "passed");
      metrics.recordCheckpoint("manual", "user_request", BmadflowMetrics.ALREADY_COMMITTED, 0.01, 0, 12_000,
          "my-app", null);
      metrics.recordCheckpoint("automatic", "quality_gate", BmadflowMetrics.FAILED, 1.0, 0, -1, "my-app", null);
      metrics.recordCheckpoint("automatic", "quality_gate", BmadflowMetrics.COMMITTED, 0.1, 10, 500,
          "other-app", "failed");

      HttpResponse<String> response = get(metrics.url());
      assertEquals(200, response.statusCode());
      assertTrue(response.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      String body = response.body();
      assertTrue(body.contains(
          "bmadflow_checkpoint_creations_total{outcome=\"committed\",trigger=\"phase_transition\",type=\"automatic\"} 2.0"),
          body);
      assertTrue(body.contains(
          "bmadflow_checkpoint_creations_total{outcome=\"already_committed\",trigger=\"user_request\",type=\"manual\"} 1.0"),
          body);
      assertTrue(body.contains(
          "bmadflow_checkpoint_creations_total{outcome=\"failed\",trigger=\"quality_gate\",type=\"automatic\"} 1.0"),
          body);
      assertTrue(body.contains("bmadflow_checkpoint_validations_total{outcome=\"passed\"} 2.0"), body);
      assertTrue(body.contains("bmadflow_checkpoint_validations_total{outcome=\"failed\"} 1.0"), body);
      assertTrue(body.contains(
          "bmadflow_checkpoint_bytes_written_total{trigger=\"phase_transition\",type=\"automatic\"} 5120.0"), body);
      assertTrue(body.contains(
          "bmadflow_checkpoint_creation_seconds_count{outcome=\"committed\",trigger=\"phase_transition\",type=\"automatic\"} 2"),
          body);
      assertTrue(body.contains("bmadflow_checkpoint_creation_seconds_bucket{"), "a histogram: " + body);
      assertTrue(body.contains("bmadflow_checkpoint_stored_bytes{project=\"my-app\"} 12000.0"), body);
      assertTrue(body.contains("bmadflow_checkpoint_stored_bytes{project=\"other-app\"} 500.0"), body);
      assertFalse(body.contains("checkpoint_id"), "never tagged by checkpoint id");

      HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(metrics.url()))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
    }
  }

  @Test
  void theTemporalScopeReportsIntoTheSameRegistry() throws Exception {
    try (BmadflowMetrics metrics = BmadflowMetrics.start("127.0.0.1", 0)) {
      metrics.temporalScope().counter("temporal_probe").inc(3);
      long deadline = System.nanoTime() + 10_000_000_000L;
      String body = "";
      while (System.nanoTime() < deadline && !body.contains("temporal_probe")) {
        Thread.sleep(100);
        body = get(metrics.url()).body();
      }
      assertTrue(body.contains("temporal_probe"), body);
    }
  }

  @Test
  void theEnvironmentChoosesPortAndHostOrTurnsTheEndpointOff() throws Exception {
    assertNull(BmadflowMetrics.fromEnvironment(Map.of("BMADFLOW_METRICS_PORT", "off"), null, false));
    assertThrows(IllegalArgumentException.class,
        () -> BmadflowMetrics.fromEnvironment(Map.of("BMADFLOW_METRICS_PORT", "nine"), null, false));
    try (BmadflowMetrics metrics = BmadflowMetrics.fromEnvironment(
        Map.of("BMADFLOW_METRICS_PORT", "0", "BMADFLOW_METRICS_HOST", "127.0.0.1"), null, false)) {
      assertEquals(200, get(metrics.url()).statusCode());
    }
    // A busy explicit port fails with the variable to change; the dev stack's default falls back.
    try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Map<String, String> env = Map.of("BMADFLOW_METRICS_PORT", String.valueOf(busy.getLocalPort()));
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> BmadflowMetrics.fromEnvironment(env, null, true));
      assertTrue(e.getMessage().contains("BMADFLOW_METRICS_PORT"), e.getMessage());
    }
  }
}
