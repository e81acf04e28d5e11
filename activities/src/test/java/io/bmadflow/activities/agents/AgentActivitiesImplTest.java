package io.bmadflow.activities.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@link AgentActivitiesImpl} reports a runner's failures to Temporal, and a request for the
 * fallback. This environment runs one attempt with no attempt number: the automatic switch is in
 * {@link AgentFallbackSwitchTest}.
 */
class AgentActivitiesImplTest {
  private static final AgentStepRequest REQUEST = new AgentStepRequest("my-app", null, "planning", 2, "pm",
      null, "prd.md", null, null, List.of(), null, null, Map.of());

  @TempDir Path temp;
  private TestActivityEnvironment environment;

  @BeforeEach
  void setUp() {
    environment = TestActivityEnvironment.newInstance();
  }

  @AfterEach
  void tearDown() {
    environment.close();
  }

  @Test
  void anIllegalArgumentFromTheRunnerIsANonRetryableInvalidInputFailure() {
    AgentRunner refusing = (request, workspace, progress) -> {
      throw new IllegalArgumentException("the reported path '../escape.md' escapes the workspace");
    };

    ApplicationFailure failure = runAndFail(refusing, ActivityProfiles.agentStep());

    assertEquals(Failures.INVALID_INPUT, failure.getType());
    assertTrue(failure.isNonRetryable());
    assertTrue(failure.getOriginalMessage().contains("agent pm, step 2"), failure.getOriginalMessage());
    assertTrue(failure.getOriginalMessage().contains("'../escape.md'"), failure.getOriginalMessage());
  }

  @Test
  void aStepWhoseProjectNamesAWorkspaceOutsideTheRootFailsWithoutRetriesNamingTheRoot() throws IOException {
    Path outside = Files.createDirectories(temp.resolve("elsewhere"));
    boolean[] ran = {false};
    AgentRunner runner = (request, workspace, progress) -> {
      ran[0] = true;
      throw new AssertionError("the runner must not run in " + workspace.root());
    };
    AgentActivities activities = register(runner);
    for (String bad : List.of("/etc", "/", outside.toString(), temp.resolve("workspaces/../elsewhere").toString())) {
      AgentStepRequest request = new AgentStepRequest("my-app", bad, "planning", 2, "pm", null, "prd.md", null, null,
          List.of(), null, null, Map.of());
      ApplicationFailure failure = assertInstanceOf(ApplicationFailure.class,
          assertThrows(ActivityFailure.class, () -> activities.runStep(request)).getCause());
      assertEquals(Failures.INVALID_INPUT, failure.getType());
      assertTrue(failure.isNonRetryable());
      assertTrue(failure.getOriginalMessage().startsWith("agent pm, step 2: workspace " + bad + " is refused"),
          failure.getOriginalMessage());
      assertTrue(failure.getOriginalMessage().contains("the workspace root " + temp.resolve("workspaces")),
          failure.getOriginalMessage());
    }
    assertFalse(ran[0]);
  }

  @Test
  void aCommandReportingAnUnsafePathFailsTheStepWithoutRetries() throws IOException {
    Path script = Files.writeString(temp.resolve("escaping.sh"), "#!/bin/sh\necho 'BMADFLOW-ARTIFACT: /etc/passwd'\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));

    ApplicationFailure failure = runAndFail(
        new CommandAgentRunner(List.of(script.toString()), Duration.ofSeconds(30)), ActivityProfiles.agentStep());

    assertEquals(Failures.INVALID_INPUT, failure.getType());
    assertTrue(failure.isNonRetryable());
    assertTrue(failure.getOriginalMessage().contains("'/etc/passwd'"), failure.getOriginalMessage());
  }

  @Test
  void anyOtherRunnerFailureStaysRetryableNamingTheAgentAndTheStepFirst() {
    AgentRunner failing = (request, workspace, progress) -> {
      throw new IllegalStateException("agent pm: the command failed with exit code 3");
    };

    ApplicationFailure failure = runAndFail(failing, attempts(1));

    assertEquals(AgentActivitiesImpl.AGENT_FAILED, failure.getType());
    assertEquals("BmadflowAgentFailed", failure.getType());
    assertFalse(failure.isNonRetryable());
    assertTrue(failure.getOriginalMessage().startsWith("agent pm, step 2: "), failure.getOriginalMessage());
    assertTrue(failure.getOriginalMessage().contains("exit code 3"), failure.getOriginalMessage());
    assertNull(failure.getCause(), "the prefixed message is the innermost one the workflow reports");
    Matcher assessment = Pattern.compile("agent (\\S+), step").matcher(failure.getOriginalMessage());
    assertTrue(assessment.find());
    assertEquals("pm", assessment.group(1), "what a recovery's failure assessment reads");
  }

  @Test
  void anApplicationFailureFromTheRunnerPassesUnchanged() {
    AgentRunner failing = (request, workspace, progress) -> {
      throw ApplicationFailure.newFailure("the model said no", "ModelRefused");
    };

    ApplicationFailure failure = runAndFail(failing, attempts(1));

    assertEquals("ModelRefused", failure.getType());
    assertEquals("the model said no", failure.getOriginalMessage());
  }

  @Test
  void aCancellationThatReachesTheRunnerThroughItsHeartbeatIsNotWrappedAsAnAgentFailure() {
    List<String> seen = new CopyOnWriteArrayList<>();
    AgentRunner heartbeating = (request, workspace, progress) -> {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      try {
        while (System.nanoTime() < deadline) {
          progress.run();
          Thread.sleep(50);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        seen.add(e.getClass().getSimpleName());
        throw e;
      }
      throw new IllegalStateException("agent pm: never cancelled");
    };
    environment.requestCancelActivity();

    AgentActivities activities = register(heartbeating);

    assertThrows(CanceledFailure.class, () -> activities.runStep(REQUEST));
    assertEquals(List.of("ActivityCanceledException"), seen);
  }

  @Test
  void aRequestForTheFallbackRunsItEvenWithTheAutomaticSwitchOff() {
    List<String> ran = new CopyOnWriteArrayList<>();
    AgentRunner primary = (request, workspace, progress) -> {
      throw new AssertionError("the primary must not run when the request asks for the fallback");
    };
    AgentRunner fallback = (request, workspace, progress) -> {
      ran.add("fallback " + request.useFallback());
      return new AgentStepResult("pm", List.of(), List.of(), Map.of(), "fallback done", null);
    };
    AgentActivities activities = register(roster(primary, new AgentFallbacks(Map.of("pm", fallback), null, 0)));

    AgentStepResult result = activities.runStep(REQUEST.withFallback());

    assertEquals(List.of("fallback true"), ran);
    assertEquals("fallback done", result.summary());
    assertEquals("test-worker (fallback)", result.executedBy());
  }

  @Test
  void aRequestForAMissingFallbackFailsWithoutRetriesNamingTheAgentAndTheVariable() {
    List<String> ran = new CopyOnWriteArrayList<>();
    AgentRunner primary = (request, workspace, progress) -> {
      ran.add("primary");
      return new AgentStepResult("pm", List.of(), List.of(), Map.of(), "primary done", null);
    };
    AgentFallbacks otherAgentOnly = new AgentFallbacks(Map.of("architect", primary), null, 3);

    for (AgentRunner runner : List.of(roster(primary, otherAgentOnly), primary)) {
      environment.close();
      environment = TestActivityEnvironment.newInstance();
      ApplicationFailure failure = runAndFail(runner, ActivityProfiles.agentStep(), REQUEST.withFallback());

      assertEquals(Failures.INVALID_INPUT, failure.getType());
      assertTrue(failure.isNonRetryable());
      String message = failure.getOriginalMessage();
      assertTrue(message.startsWith("agent pm, step 2: "), message);
      assertTrue(message.contains("no fallback for 'pm'"), message);
      assertTrue(message.contains("BMADFLOW_AGENT_FALLBACK_PM"), message);
      assertTrue(message.contains("BMADFLOW_AGENT_FALLBACK "), message);
    }
    assertEquals(List.of(), ran, "nothing ran in the fallback's place");
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static AgentRoster roster(AgentRunner pm, AgentFallbacks fallbacks) {
    return new AgentRoster(Map.of("pm", pm), null, null, List.of(), fallbacks);
  }

  /** The agent step profile with the given attempts (this environment runs only the first). */
  private static ActivityOptions attempts(int attempts) {
    return ActivityOptions.newBuilder(ActivityProfiles.agentStep())
        .setRetryOptions(RetryOptions.newBuilder()
            .setInitialInterval(Duration.ofMillis(1))
            .setBackoffCoefficient(1.0)
            .setMaximumAttempts(attempts)
            .setDoNotRetry(Failures.INVALID_INPUT)
            .build())
        .build();
  }

  private AgentActivities register(AgentRunner runner) {
    environment.registerActivitiesImplementations(
        new AgentActivitiesImpl(runner, temp.resolve("workspaces"), "test-worker"));
    return environment.newActivityStub(AgentActivities.class, attempts(1));
  }

  private ApplicationFailure runAndFail(AgentRunner runner, ActivityOptions options) {
    return runAndFail(runner, options, REQUEST);
  }

  private ApplicationFailure runAndFail(AgentRunner runner, ActivityOptions options, AgentStepRequest request) {
    environment.registerActivitiesImplementations(
        new AgentActivitiesImpl(runner, temp.resolve("workspaces"), "test-worker"));
    AgentActivities activities = environment.newActivityStub(AgentActivities.class, options);
    ActivityFailure failure = assertThrows(ActivityFailure.class, () -> activities.runStep(request));
    return assertInstanceOf(ApplicationFailure.class, failure.getCause());
  }
}
