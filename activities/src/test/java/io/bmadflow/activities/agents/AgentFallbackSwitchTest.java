package io.bmadflow.activities.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's automatic switch to an agent's fallback, across the real retries and attempt
 * numbers of the Temporal test server: a one-step workflow runs {@link AgentActivities#runStep}.
 */
class AgentFallbackSwitchTest {
  private static final AgentStepRequest REQUEST = new AgentStepRequest("my-app", null, "planning", 2, "pm",
      null, "prd.md", null, null, List.of(), null, null, Map.of());

  /** Runs one agent step with the given number of attempts, retried without waiting. */
  @WorkflowInterface
  public interface OneStep {
    @WorkflowMethod
    AgentStepResult run(AgentStepRequest request, int attempts);
  }

  public static class OneStepImpl implements OneStep {
    @Override
    public AgentStepResult run(AgentStepRequest request, int attempts) {
      ActivityOptions options = ActivityOptions.newBuilder(ActivityProfiles.agentStep())
          .setRetryOptions(RetryOptions.newBuilder()
              .setInitialInterval(Duration.ofMillis(1))
              .setBackoffCoefficient(1.0)
              .setMaximumAttempts(attempts)
              .setDoNotRetry(Failures.INVALID_INPUT)
              .build())
          .build();
      return Workflow.newActivityStub(AgentActivities.class, options).runStep(request);
    }
  }

  @TempDir Path temp;
  private TestWorkflowEnvironment environment;

  @BeforeEach
  void setUp() {
    environment = TestWorkflowEnvironment.newInstance();
  }

  @AfterEach
  void tearDown() {
    environment.close();
  }

  @Test
  void aFailingCommandIsReplacedByItsFallbackCommandAtAttemptNPlusOne() throws IOException {
    Path primaryRuns = temp.resolve("primary-runs");
    Path primary = script("primary.sh", "echo run >> '" + primaryRuns + "'\necho 'model quota exceeded' >&2\nexit 3\n");
    Path fallback = script("fallback.sh", "echo \"fallback ran step $BMADFLOW_STEP_INDEX\"\n");
    AgentRoster roster = AgentRoster.fromEnvironment(Map.of(
        "BMADFLOW_AGENT_COMMAND_PM", primary.toString(),
        "BMADFLOW_AGENT_FALLBACK_PM", fallback.toString(),
        "BMADFLOW_AGENT_FALLBACK_AFTER", "2"), new BuiltInAgentRunner(Duration.ZERO));

    AgentStepResult result = run(roster, REQUEST, 5);

    assertEquals(2, Files.readAllLines(primaryRuns).size(), "the primary ran attempts 1 and 2, then the fallback");
    assertEquals("fallback ran step 2", result.summary());
    assertEquals("test-worker (fallback)", result.executedBy());
  }

  @Test
  void theSwitchComesAtTheAttemptAfterTheThresholdAndLaterAttemptsStayOnTheFallback() {
    List<Integer> primaryAttempts = new CopyOnWriteArrayList<>();
    List<Integer> fallbackAttempts = new CopyOnWriteArrayList<>();
    AgentRunner primary = (request, workspace, progress) -> {
      primaryAttempts.add(attempt());
      throw new IllegalStateException("agent pm: primary down");
    };
    AgentRunner fallback = (request, workspace, progress) -> {
      fallbackAttempts.add(attempt());
      if (!request.useFallback()) {
        throw new AssertionError("the fallback got a request not marked for it");
      }
      if (attempt() == 4) {
        throw new IllegalStateException("agent pm: fallback hiccup");
      }
      return result("fallback done");
    };

    AgentStepResult result = run(roster(primary, fallback, 3), REQUEST, 6);

    assertEquals(List.of(1, 2, 3), primaryAttempts);
    assertEquals(List.of(4, 5), fallbackAttempts);
    assertEquals("fallback done", result.summary());
    assertEquals("test-worker (fallback)", result.executedBy());
  }

  @Test
  void aPrimaryThatSucceedsBeforeTheThresholdIsRecordedAsTheWorkersAlone() {
    List<Integer> primaryAttempts = new CopyOnWriteArrayList<>();
    List<Integer> fallbackAttempts = new CopyOnWriteArrayList<>();
    AgentRunner primary = (request, workspace, progress) -> {
      primaryAttempts.add(attempt());
      if (attempt() < 3) {
        throw new IllegalStateException("agent pm: flaky");
      }
      return result("primary done");
    };
    AgentRunner fallback = (request, workspace, progress) -> {
      fallbackAttempts.add(attempt());
      return result("fallback done");
    };

    AgentStepResult result = run(roster(primary, fallback, 3), REQUEST, 6);

    assertEquals(List.of(1, 2, 3), primaryAttempts);
    assertEquals(List.of(), fallbackAttempts);
    assertEquals("primary done", result.summary());
    assertEquals("test-worker", result.executedBy());
  }

  @Test
  void zeroTurnsTheAutomaticSwitchOffAndTheLastFailureNamesTheAgent() {
    List<Integer> primaryAttempts = new CopyOnWriteArrayList<>();
    List<Integer> fallbackAttempts = new CopyOnWriteArrayList<>();
    AgentRunner primary = (request, workspace, progress) -> {
      primaryAttempts.add(attempt());
      throw new IllegalStateException("agent pm: primary down");
    };
    AgentRunner fallback = (request, workspace, progress) -> {
      fallbackAttempts.add(attempt());
      return result("fallback done");
    };

    ApplicationFailure failure = runAndFail(roster(primary, fallback, 0), REQUEST, 4);

    assertEquals(List.of(1, 2, 3, 4), primaryAttempts);
    assertEquals(List.of(), fallbackAttempts);
    assertEquals(AgentActivitiesImpl.AGENT_FAILED, failure.getType());
    assertFalse(failure.isNonRetryable());
    assertTrue(failure.getOriginalMessage().startsWith("agent pm, step 2: agent pm: primary down"),
        failure.getOriginalMessage());
  }

  @Test
  void anAgentWithoutAFallbackKeepsItsPrimaryAfterTheThreshold() {
    List<Integer> primaryAttempts = new CopyOnWriteArrayList<>();
    AgentRunner primary = (request, workspace, progress) -> {
      primaryAttempts.add(attempt());
      if (attempt() < 3) {
        throw new IllegalStateException("agent pm: flaky");
      }
      return result("primary done");
    };
    AgentRoster roster = new AgentRoster(Map.of("pm", primary), null, null, List.of(),
        new AgentFallbacks(Map.of("architect", (request, workspace, progress) -> result("wrong agent")), null, 1));

    AgentStepResult result = run(roster, REQUEST, 5);

    assertEquals(List.of(1, 2, 3), primaryAttempts);
    assertEquals("primary done", result.summary());
    assertEquals("test-worker", result.executedBy());
  }

  // ---- helpers ----------------------------------------------------------------------------

  private AgentStepResult run(AgentRunner runner, AgentStepRequest request, int attempts) {
    return start(runner).run(request, attempts);
  }

  private ApplicationFailure runAndFail(AgentRunner runner, AgentStepRequest request, int attempts) {
    OneStep workflow = start(runner);
    WorkflowFailedException failed = assertThrows(WorkflowFailedException.class, () -> workflow.run(request, attempts));
    ActivityFailure activity = assertInstanceOf(ActivityFailure.class, failed.getCause());
    return assertInstanceOf(ApplicationFailure.class, activity.getCause());
  }

  private OneStep start(AgentRunner runner) {
    Worker worker = environment.newWorker(TaskQueues.AGENTS);
    worker.registerWorkflowImplementationTypes(OneStepImpl.class);
    worker.registerActivitiesImplementations(new AgentActivitiesImpl(runner, temp.resolve("workspaces"), "test-worker"));
    environment.start();
    WorkflowClient client = environment.getWorkflowClient();
    return client.newWorkflowStub(OneStep.class, WorkflowOptions.newBuilder()
        .setTaskQueue(TaskQueues.AGENTS)
        .setWorkflowId("one-step")
        .build());
  }

  private static AgentRoster roster(AgentRunner pm, AgentRunner pmFallback, int after) {
    return new AgentRoster(Map.of("pm", pm), null, null, List.of(),
        new AgentFallbacks(Map.of("pm", pmFallback), null, after));
  }

  private static int attempt() {
    return Activity.getExecutionContext().getInfo().getAttempt();
  }

  private static AgentStepResult result(String summary) {
    return new AgentStepResult("pm", List.of(), List.of(), Map.of(), summary, null);
  }

  private Path script(String name, String body) throws IOException {
    Path script = Files.writeString(temp.resolve(name), "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return script;
  }
}
