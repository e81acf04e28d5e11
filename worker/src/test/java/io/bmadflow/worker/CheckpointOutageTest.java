package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.temporal.api.enums.v1.EventType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** S3 goes away in the middle of a project: checkpoints wait and retry, none is lost or half written. */
class CheckpointOutageTest {

  @Test
  void anS3OutageDelaysCheckpointsWithoutLosingOrHalfWritingAny(@TempDir Path dataDir) throws Exception {
    try (StackFixture fixture = new StackFixture(dataDir);
        BmadflowWorker worker = fixture.worker("outage", 100)) {
      fixture.start("outage", null);
      ProjectSnapshot atStop = fixture.awaitState("outage", s -> s.checkpoints().size() >= 1);
      fixture.stack.stopS3();
      Thread.sleep(3000); // Checkpoint attempts fail meanwhile; agent work goes on up to the next phase transition.
      ProjectSnapshot during = fixture.client.state("outage");
      fixture.stack.startS3();
      ProjectSnapshot end = fixture.await("outage").finalState();

      assertEquals("complete", end.phase());
      assertTrue(during.stepsCompleted() > atStop.stepsCompleted(), "agents kept working while S3 was down");
      List<CheckpointSummary> listed = fixture.store.list("outage");
      assertEquals(5, listed.stream().filter(c -> c.triggerReason().equals("phase_transition")).count());
      for (CheckpointSummary c : listed) {
        assertTrue(fixture.store.verify("outage", c.checkpointId()).ok(), c.checkpointId() + " verifies");
      }
      assertTrue(end.checkpoints().stream().allMatch(c -> c.verified()), "every counted checkpoint was verified");
      boolean retried = fixture.temporal.client().fetchHistory(ProjectIds.workflowId("outage")).getEvents().stream()
          .filter(e -> e.getEventType() == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
          .anyMatch(e -> e.getActivityTaskStartedEventAttributes().getAttempt() > 1);
      assertTrue(retried, "a checkpoint step was retried through the outage");
    }
  }
}
