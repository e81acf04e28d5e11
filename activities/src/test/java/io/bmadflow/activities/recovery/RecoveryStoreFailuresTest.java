package io.bmadflow.activities.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.recovery.RecoveryActivities;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** A corrupt checkpoint escaping a recovery step fails it at once, as a checkpoint-corrupt failure. */
class RecoveryStoreFailuresTest {
  private static final String CORRUPT = "checkpoint cp-2026-01-02-03-04-05-abcd1234: checkpoint-metadata.json is not valid"
      + " (a section is missing); the package is corrupt, use an earlier checkpoint";

  @TempDir Path temp;
  private TestActivityEnvironment environment;
  private RecoveryActivities activities;

  @BeforeEach
  void setUp() {
    // A store whose every package is corrupt; nothing else of it is used.
    CheckpointStore corrupt = (CheckpointStore) Proxy.newProxyInstance(CheckpointStore.class.getClassLoader(),
        new Class<?>[] {CheckpointStore.class}, (proxy, method, args) -> {
          if (method.getName().equals("open")) {
            throw new CheckpointStoreException.Corrupt(CORRUPT);
          }
          throw new UnsupportedOperationException(method.getName());
        });
    environment = TestActivityEnvironment.newInstance();
    environment.registerActivitiesImplementations(new RecoveryActivitiesImpl(null, corrupt, temp, "test-worker", null));
    activities = environment.newActivityStub(RecoveryActivities.class, ActivityProfiles.recovery());
  }

  @AfterEach
  void tearDown() {
    environment.close();
  }

  @Test
  void everyStepReadingTheCheckpointFailsNonRetryableAsCorrupt() {
    String cp = "cp-2026-01-02-03-04-05-abcd1234";
    assertCorrupt(() -> activities.planRestore("my-app", cp, List.of(), null));
    assertCorrupt(() -> activities.backup("rc-1", "my-app", cp, List.of("docs/prd.md")));
    assertCorrupt(() -> activities.restoreFiles("my-app", cp, List.of("docs/prd.md")));
    assertCorrupt(() -> activities.restart("rc-1", "my-app", cp, true));
    assertCorrupt(() -> activities.restoreComponents("rc-1", "my-app", cp, List.of("agent_states")));
  }

  private static void assertCorrupt(Executable step) {
    ActivityFailure failure = assertThrows(ActivityFailure.class, step);
    ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, failure.getCause());
    assertEquals(Failures.CHECKPOINT_CORRUPT, cause.getType());
    assertTrue(cause.isNonRetryable());
    assertEquals(CORRUPT, cause.getOriginalMessage());
  }
}
