package io.bmadflow.workflows.drills;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.TaskQueues;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The drill schedule runs a round, sleeps the interval, runs again, and answers with its last round. */
class DrillScheduleWorkflowTest {
  private TestWorkflowEnvironment env;
  private final List<String> calls = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    env = TestWorkflowEnvironment.newInstance();
    Worker worker = env.newWorker(TaskQueues.DRILLS);
    worker.registerWorkflowImplementationTypes(DrillScheduleWorkflowImpl.class);
    worker.registerActivitiesImplementations(new DrillActivities() {
      @Override
      public List<String> runDrills(List<String> scenarios, int runs) {
        calls.add(scenarios + "x" + runs);
        return List.of("round " + calls.size() + ": " + String.join(",", scenarios) + " passed");
      }
    });
    env.start();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  @Test
  void roundsRunEveryIntervalAndTheLastOneIsQueryable() {
    DrillScheduleWorkflow schedule = env.getWorkflowClient().newWorkflowStub(DrillScheduleWorkflow.class,
        WorkflowOptions.newBuilder().setWorkflowId("schedule").setTaskQueue(TaskQueues.DRILLS).build());
    WorkflowClient.start(schedule::run, List.of("state-corruption", "human-error"), 2, 3600L, 0);
    env.sleep(Duration.ofMinutes(30));
    assertEquals(1, calls.size(), "the first round runs at once, the next after an hour");
    env.sleep(Duration.ofHours(2));
    assertEquals(3, calls.size(), calls.toString());
    assertEquals("[state-corruption, human-error]x2", calls.get(0));
    assertTrue(schedule.lastRound().get(0).startsWith("round 3: "), schedule.lastRound().toString());
  }
}
