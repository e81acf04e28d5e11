package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bmadflow.client.BmadflowClient;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.testing.HistoryReplayCheck;
import io.bmadflow.workflows.testing.RequiredTool;
import io.temporal.client.WorkflowClient;
import io.temporal.common.converter.DefaultDataConverter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
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
  private static final String INSTALL = "python3 -m pip install temporalio==1.35.0";
  private static final Path SCRIPT = locate("src/test/python/sdk_client.py");
  private static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(150);

  @TempDir static Path dataDir;
  private static StackFixture stack;
  /** Found by the ReplayEveryHistory extension, which replays every history after each test. */
  private static WorkflowClient devServerClient;
  private static BmadflowWorker worker;
  private static String address;

  @BeforeAll
  static void start() throws Exception {
    requirePythonSdk();
    // The dev server with the search attributes registered, S3Proxy, and real-server worker settings.
    stack = DevServerFixture.start(dataDir.resolve("stack"));
    devServerClient = stack.temporal.client();
    address = stack.stack.temporalAddress();
    worker = stack.worker("python-contract", 0);
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
      if (stack != null) {
        stack.close();
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

    BmadflowClient client = new BmadflowClient(devServerClient, stack.store);
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
    CheckpointSummary stored = stack.store.list(projectId).stream()
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

  /**
   * Skips the class without the Python SDK, except under {@code CI=true}, where it fails (the
   * temporal CLI is {@link DevServerFixture}'s to require).
   */
  private static void requirePythonSdk() {
    if (!succeeds("python3", "-c", "import temporalio")) {
      RequiredTool.require("the Python package temporalio", null, INSTALL, System.getenv());
    }
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

  private static Path locate(String path) {
    Path inModule = Path.of(path);
    return Files.exists(inModule) ? inModule.toAbsolutePath() : Path.of("worker").resolve(path).toAbsolutePath();
  }
}
