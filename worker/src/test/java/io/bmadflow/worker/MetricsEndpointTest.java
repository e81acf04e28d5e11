package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.infra.temporal.TemporalConnection;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.ProjectWorkflow;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker with its metrics endpoint runs a project; /metrics shows its checkpoints and Temporal's own metrics. */
class MetricsEndpointTest {

  @Test
  void aProjectRunShowsUpAtTheMetricsEndpoint(@TempDir Path dataDir) throws Exception {
    try (StackFixture fixture = new StackFixture(dataDir);
        BmadflowMetrics metrics = BmadflowMetrics.start("127.0.0.1", 0);
        TemporalConnection temporal = TemporalConnection.toDevStack(
            fixture.stack.temporalAddress(), DevStack.NAMESPACE, metrics.temporalScope());
        BmadflowWorker worker = BmadflowWorker.start(temporal, fixture.store, new BmadflowWorker.Options(
            "metrics-worker", fixture.workspaces, new BuiltInAgentRunner(Duration.ZERO), metrics, null))) {
      fixture.start("metrics-run", null);
      assertEquals(ProjectSnapshot.COMPLETE, fixture.await("metrics-run").finalState().phase());
      int checkpoints = (int) fixture.store.list("metrics-run").stream()
          .filter(c -> c.triggerReason().equals("phase_transition")).count();

      HttpClient http = HttpClient.newHttpClient();
      String body = "";
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (System.nanoTime() < deadline) {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(metrics.url())).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        body = response.body();
        if (body.lines().anyMatch(l -> l.startsWith("temporal_"))) {
          break;
        }
        Thread.sleep(200);
      }
      Matcher committed = Pattern.compile(
          "^bmadflow_checkpoint_creations_total\\{outcome=\"committed\",trigger=\"phase_transition\",type=\"automatic\"} (\\S+)$",
          Pattern.MULTILINE).matcher(body);
      assertTrue(committed.find(), body);
      assertEquals(checkpoints, (int) Double.parseDouble(committed.group(1)), "one count per committed phase-transition checkpoint");
      assertTrue(body.contains("bmadflow_checkpoint_validations_total{outcome=\"passed\"}"), body);
      assertTrue(body.contains("bmadflow_checkpoint_creation_seconds_bucket{"), body);
      assertTrue(body.contains("bmadflow_checkpoint_stored_bytes{project=\"metrics-run\"}"), body);
      assertTrue(body.contains("bmadflow_checkpoint_bytes_written_total{trigger=\"phase_transition\",type=\"automatic\"}"),
          body);
      assertTrue(body.lines().anyMatch(l -> l.startsWith("temporal_")),
          "Temporal SDK metrics on the same registry: " + Arrays.toString(body.lines().limit(40).toArray()));
    }
  }
}
