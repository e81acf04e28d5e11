package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.devstack.TemporalChoice;
import io.bmadflow.infra.recovery.DrillReport;
import io.bmadflow.worker.drills.DrillRunner;
import io.bmadflow.worker.drills.DrillScenario;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A drill's lost cluster on the dev server is real: the server is stopped, its database deleted
 * and started again empty, and the project is recovered from its checkpoints with nothing lost.
 */
class DevServerDrillTest {
  @TempDir static Path dataDir;
  static DrillRunner runner;

  @BeforeAll
  static void start() throws Exception {
    DevServerFixture.cli();
    runner = DrillRunner.start(new DrillRunner.Options(dataDir, "devdrill", 20, true, Duration.ofSeconds(120), 42,
        TemporalChoice.DEV_SERVER), null, null);
  }

  @AfterAll
  static void stop() {
    if (runner != null) {
      runner.close();
    }
  }

  @Test
  void aLostClusterDeletesTheDevServersDatabaseAndTheProjectIsRecovered() {
    assertTrue(runner.temporalDescription().startsWith("temporal: dev server "), runner.temporalDescription());
    DrillReport report = runner.run(DrillScenario.STATE_CORRUPTION, 1);
    assertTrue(report.faults().stream().anyMatch(f -> f.contains("database deleted")), report.faults().toString());
    assertTrue(report.passed(), report.evidence() + " faults " + report.faults());
  }
}
