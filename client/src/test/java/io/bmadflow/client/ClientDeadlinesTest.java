package io.bmadflow.client;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.project.Decision;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectResult;
import io.bmadflow.workflows.project.ProjectWorkflowImpl;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestWorkflowEnvironment;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * No client call hangs: against a project whose workflow task fails on every attempt, an update
 * gives up after its timeout and says the workflow did not accept it and why, and status names
 * the failing task; against a project no worker serves, the update says to check the workers.
 */
class ClientDeadlinesTest {

  /** The project workflow with a bug: its task fails on every attempt, as after a bad deploy. */
  public static class BrokenProject extends ProjectWorkflowImpl {
    @Override
    public ProjectResult run(ProjectRequest request) {
      throw new IllegalStateException("boom on purpose in workflow code");
    }
  }

  @Test
  void anUpdateToAProjectWhoseTaskKeepsFailingEndsInItsTimeoutAndStatusNamesTheFailure() throws Exception {
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
    try {
      env.newWorker(TaskQueues.ORCHESTRATION).registerWorkflowImplementationTypes(BrokenProject.class);
      env.start();
      WorkflowStub project = start(env, "broken");
      BmadflowClient client = new BmadflowClient(env.getWorkflowClient(), null, Duration.ofSeconds(2));
      long started = System.nanoTime();
      BmadflowException e = assertThrows(BmadflowException.class,
          () -> client.createCheckpoint("broken", new ManualCheckpoint("user", "before a change", "test")));
      long tookMs = (System.nanoTime() - started) / 1_000_000;
      assertTrue(tookMs < 15_000, "the update gave up after " + tookMs + " ms, not about 2 s");
      assertTrue(e.getMessage().contains("checkpoint create got no answer within 2 s"), e.getMessage());
      assertTrue(e.getMessage().contains("the workflow has not accepted it"), e.getMessage());
      assertTrue(e.getMessage().contains("keeps failing"), e.getMessage());
      assertTrue(e.getMessage().contains("boom on purpose"), e.getMessage());

      ProjectStatus status = client.status("broken");
      assertNotNull(status.workflowTaskProblem(), "status names the failing workflow task");
      assertTrue(status.workflowTaskProblem().contains("attempt "), status.workflowTaskProblem());
      assertTrue(status.workflowTaskProblem().contains("boom on purpose"), status.workflowTaskProblem());
      assertTrue(status.workflowTaskProblem().contains("worker's log"), status.workflowTaskProblem());
      project.terminate("test over");
    } finally {
      env.close();
    }
  }

  @Test
  void anUpdateNoWorkerTakesUpEndsInItsTimeoutAndSaysToCheckTheWorkers() {
    TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance();
    try {
      env.start();
      WorkflowStub project = start(env, "unserved");
      BmadflowClient client = new BmadflowClient(env.getWorkflowClient(), null, Duration.ofSeconds(1));
      BmadflowException e = assertThrows(BmadflowException.class,
          () -> client.addDecision("unserved", new Decision(null, "use Postgres", "ops know it", null, false, null)));
      assertTrue(e.getMessage().contains("decision add got no answer within 1 s"), e.getMessage());
      assertTrue(e.getMessage().contains("is a worker running"), e.getMessage());
      assertNull(client.status("unserved").workflowTaskProblem(), "a task nobody polls is not a failing task");
      project.terminate("test over");
    } finally {
      env.close();
    }
  }

  @Test
  void aTimeoutIsPositive() {
    assertThrows(IllegalArgumentException.class, () -> new BmadflowClient(null, null, Duration.ofSeconds(-5)));
  }

  private static WorkflowStub start(TestWorkflowEnvironment env, String projectId) {
    WorkflowStub stub = env.getWorkflowClient().newUntypedWorkflowStub("ProjectWorkflow",
        WorkflowOptions.newBuilder().setWorkflowId(ProjectIds.workflowId(projectId)).setTaskQueue(TaskQueues.ORCHESTRATION).build());
    stub.start(new ProjectRequest(projectId, null, null));
    return stub;
  }
}
