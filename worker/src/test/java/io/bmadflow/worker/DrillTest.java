package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.recovery.DrillReport;
import io.bmadflow.infra.recovery.Readiness;
import io.bmadflow.infra.recovery.ReadinessCalculator;
import io.bmadflow.worker.drills.DrillRunner;
import io.bmadflow.worker.drills.DrillScenario;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every recovery drill scenario passes once on the embedded stack (a short version of each), and
 * a drill with recovery disabled fails with evidence.
 */
class DrillTest {
  @TempDir static Path dataDir;
  static DrillRunner runner;
  static final List<DrillReport> reports = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    runner = DrillRunner.start(new DrillRunner.Options(dataDir, "drill", 20, true, Duration.ofSeconds(120), 42), null, null);
  }

  @AfterAll
  static void stop() {
    runner.close();
  }

  @Test
  void everyScenarioRecoversWithNothingLost() {
    List<String> failed = new ArrayList<>();
    for (DrillScenario scenario : DrillScenario.values()) {
      DrillReport report = runner.run(scenario, 1);
      reports.add(report);
      if (!report.passed()) {
        failed.add(scenario.wire() + ": " + report.evidence() + " faults " + report.faults());
      }
      assertFalse(report.faults().isEmpty(), scenario + " injected no fault");
    }
    assertTrue(failed.isEmpty(), String.join("\n", failed));
    assertTrue(reports.stream().filter(r -> !r.scenario().equals("communication-breakdown"))
        .allMatch(r -> !r.recoveryIds().isEmpty()), "a scenario ran no recovery");

    // The stored reports count in readiness: every drill passed, just now.
    Readiness readiness = new ReadinessCalculator(runner.reports()).compute(reports.get(0).projectId(), Instant.now(), null);
    assertEquals(DrillScenario.values().length, readiness.drillsRun());
    assertEquals(readiness.drillsRun(), readiness.drillsPassed());
    assertTrue(readiness.lastDrillAgeSeconds() >= 0 && readiness.lastDrillAgeSeconds() < 600);
    assertEquals(20.0, readiness.scoreParts().stream().filter(p -> p.name().equals("drill pass rate")).findFirst()
        .orElseThrow().points(), 0.001);
  }

  @Test
  void aDrillWithRecoveryDisabledFailsWithEvidence() throws Exception {
    try (DrillRunner broken = DrillRunner.start(new DrillRunner.Options(dataDir.resolve("broken"), "nodrill", 20, false,
        Duration.ofSeconds(10), 7), null, null)) {
      DrillReport report = broken.run(DrillScenario.STATE_CORRUPTION, 1);
      assertFalse(report.passed());
      assertTrue(report.verdict().startsWith("not recovered"), report.verdict());
      assertTrue(report.evidence().stream().anyMatch(e -> e.contains("recovery is disabled")), report.evidence().toString());
      assertTrue(report.evidence().stream().anyMatch(e -> e.contains("did not finish")), report.evidence().toString());
    }
  }
}
