package io.bmadflow.activities.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@link AgentActivitiesImpl} reports a runner's failures to Temporal. */
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
  void anIllegalStateFromTheRunnerStaysRetryable() {
    AgentRunner failing = (request, workspace, progress) -> {
      throw new IllegalStateException("agent pm: the command failed with exit code 3");
    };
    ActivityOptions once = ActivityOptions.newBuilder(ActivityProfiles.agentStep())
        .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
        .build();

    ApplicationFailure failure = runAndFail(failing, once);

    assertEquals(IllegalStateException.class.getName(), failure.getType());
    assertFalse(failure.isNonRetryable());
    assertTrue(failure.getOriginalMessage().contains("exit code 3"), failure.getOriginalMessage());
  }

  private ApplicationFailure runAndFail(AgentRunner runner, ActivityOptions options) {
    environment.registerActivitiesImplementations(
        new AgentActivitiesImpl(runner, temp.resolve("workspaces"), "test-worker"));
    AgentActivities activities = environment.newActivityStub(AgentActivities.class, options);
    ActivityFailure failure = assertThrows(ActivityFailure.class, () -> activities.runStep(REQUEST));
    return assertInstanceOf(ApplicationFailure.class, failure.getCause());
  }
}
