package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.StepRecord;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed mid-phase is replaced and the workflow resumes from its history: the finished
 * state equals that of an uninterrupted run, and the steps done before the crash are not re-run.
 */
class WorkerCrashTest {
  private static final String PROJECT = "crash";
  private static final int KILL_AFTER_STEPS = 5;

  @TempDir static Path dataDir;
  static StackFixture fixture;
  static Map<String, Object> uninterrupted;

  @BeforeAll
  static void runUninterrupted() throws Exception {
    fixture = new StackFixture(dataDir);
    try (BmadflowWorker worker = fixture.worker("baseline", 0)) {
      fixture.start(PROJECT, dataDir.resolve("ws-baseline"));
      uninterrupted = Outcomes.comparable(fixture.await(PROJECT).finalState());
    }
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void resumesWhenTheWorkerFactoryIsShutDownMidPhase() throws Exception {
    BmadflowWorker first = fixture.worker("first", 150);
    fixture.start(PROJECT, dataDir.resolve("ws-factory"));
    ProjectSnapshot atKill = fixture.awaitState(PROJECT, s -> s.stepsCompleted() >= KILL_AFTER_STEPS);
    first.kill();
    try (BmadflowWorker second = fixture.worker("second", 0)) {
      ProjectSnapshot end = fixture.await(PROJECT).finalState();
      assertEquals(uninterrupted, Outcomes.comparable(end));
      assertResumedNotRestarted(end, atKill, "first", "second");
    } finally {
      first.close();
    }
  }

  @Test
  void resumesWhenTheWorkerJvmIsKilled() throws Exception {
    Path log = dataDir.resolve("killed-worker.log");
    ProcessBuilder builder = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "worker", "--name", "jvm-worker", "--agent-step-ms", "150")
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    builder.environment().putAll(fixture.env());
    Process process = builder.start();
    try {
      fixture.start(PROJECT, dataDir.resolve("ws-jvm"));
      ProjectSnapshot atKill = fixture.awaitState(PROJECT, s -> s.stepsCompleted() >= KILL_AFTER_STEPS);
      process.destroyForcibly(); // SIGKILL: no shutdown hook, no graceful anything.
      assertTrue(process.waitFor(10, TimeUnit.SECONDS), "the worker JVM did not die");
      assertEquals(137, process.exitValue(), "killed by SIGKILL");
      try (BmadflowWorker replacement = fixture.worker("replacement", 0)) {
        ProjectSnapshot end = fixture.await(PROJECT).finalState();
        assertEquals(uninterrupted, Outcomes.comparable(end));
        assertResumedNotRestarted(end, atKill, "jvm-worker", "replacement");
      }
    } finally {
      process.destroyForcibly();
    }
  }

  /** Steps done before the crash keep the first worker's results; the rest ran on the second. */
  private static void assertResumedNotRestarted(ProjectSnapshot end, ProjectSnapshot atKill, String first, String second) {
    List<StepRecord> before = end.steps().subList(0, atKill.stepsCompleted());
    assertEquals(atKill.steps(), before, "the steps done before the crash changed");
    assertTrue(before.stream().noneMatch(s -> second.equals(s.executedBy())), "a step done before the crash ran again");
    assertTrue(before.stream().anyMatch(s -> first.equals(s.executedBy())));
    assertTrue(end.steps().stream().anyMatch(s -> second.equals(s.executedBy())), "the new worker did no work");
  }
}
