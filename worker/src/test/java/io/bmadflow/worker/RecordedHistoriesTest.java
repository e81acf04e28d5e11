package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.phase.PhaseWorkflowImpl;
import io.bmadflow.workflows.project.ProjectWorkflowImpl;
import io.temporal.testing.WorkflowReplayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Histories recorded from earlier versions replay on the current workflow code: a change that
 * would break running workflows fails here. Wrap such changes in {@code Workflow.getVersion}.
 *
 * <p>To record new ones: {@code ./mvnw -B verify -Dtest=ProjectRunTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Dbmadflow.recordHistories=$PWD/worker/src/test/resources/histories} (and {@code -Dtest=RecoveryTest} for a
 * recovery workflow and a project restarted part way through a phase), then commit them beside
 * the old ones (keep the old ones: they are what running workflows look like).
 */
class RecordedHistoriesTest {

  @Test
  void recordedHistoriesReplayOnTheCurrentCode() throws Exception {
    Path dir = Path.of("src/test/resources/histories");
    List<Path> histories;
    try (Stream<Path> files = Files.list(dir)) {
      histories = files.filter(f -> f.toString().endsWith(".json")).sorted().toList();
    }
    assertTrue(histories.size() >= 6, "expected the project and its five phase histories in " + dir.toAbsolutePath());
    for (Path history : histories) {
      WorkflowReplayer.replayWorkflowExecution(history.toFile(), ProjectWorkflowImpl.class, PhaseWorkflowImpl.class,
          io.bmadflow.workflows.recovery.RecoveryWorkflowImpl.class);
    }
  }
}
