package io.bmadflow.worker.drills;

import io.bmadflow.activities.StoreFailures;
import io.bmadflow.workflows.drills.DrillActivities;
import java.util.List;

/**
 * Runs the scheduled drills on this process's {@link DrillRunner}; a store error that escapes
 * becomes a Temporal failure through {@link StoreFailures}.
 */
public final class DrillActivitiesImpl implements DrillActivities {
  private final DrillRunner runner;

  public DrillActivitiesImpl(DrillRunner runner) {
    this.runner = runner;
  }

  @Override
  public synchronized List<String> runDrills(List<String> scenarios, int runs) {
    return StoreFailures.call(() -> runner.run(scenarios.stream().map(DrillScenario::fromWire).toList(), runs).stream()
        .map(DrillCommand::line)
        .toList());
  }
}
