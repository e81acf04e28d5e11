package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackageFile;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.recovery.DrillReport;
import io.bmadflow.worker.drills.DrillRunner;
import io.bmadflow.worker.drills.DrillScenario;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A drill writes its packages with the store options of its environment, as a worker does: with
 * {@code BMADFLOW_ENCRYPTION_KEY} set, the drill's checkpoints are encrypted, and a state
 * corruption drill still recovers through them.
 */
class DrillStoreSettingsTest {

  @Test
  void aDrillEncryptsItsCheckpointsWithTheKeyOfItsEnvironment(@TempDir Path dataDir) throws Exception {
    byte[] raw = new byte[32];
    new Random(21).nextBytes(raw);
    Map<String, String> env = Map.of("BMADFLOW_ENCRYPTION_KEY", Base64.getEncoder().encodeToString(raw),
        "BMADFLOW_S3_PREFIX", "ignored-by-the-drill-stack/");
    try (DrillRunner runner = DrillRunner.start(
        new DrillRunner.Options(dataDir, "dkey", 20, true, Duration.ofSeconds(120), 7), null, null, env)) {
      DrillReport report = runner.run(DrillScenario.STATE_CORRUPTION, 1);
      assertTrue(report.passed(), report.evidence() + " faults " + report.faults());
      List<CheckpointSummary> checkpoints = runner.reports().list(report.projectId());
      assertFalse(checkpoints.isEmpty());
      CheckpointSummary newest = checkpoints.get(checkpoints.size() - 1);
      int content = 0;
      for (PackageFile f : runner.reports().metadata(report.projectId(), newest.checkpointId()).integrityValidation().files()) {
        if (!f.path().equals(PackagePaths.MANIFEST)) {
          assertEquals(PackageFile.AES_256_GCM, f.encryption(), f.path() + " of the drill's newest checkpoint");
          content++;
        }
      }
      assertTrue(content > 0);
    }
  }
}
