package io.bmadflow.worker.drills;

import io.bmadflow.workflows.drills.DrillActivities;
import java.util.List;

/** Runs the scheduled drills on this process's {@link DrillRunner}. */
public final class DrillActivitiesImpl implements DrillActivities {
  private final DrillRunner runner;

  public DrillActivitiesImpl(DrillRunner runner) {
    this.runner = runner;
  }

  @Override
  public synchronized List<String> runDrills(List<String> scenarios, int runs) {
    return runner.run(scenarios.stream().map(DrillScenario::fromWire).toList(), runs).stream()
        .map(DrillCommand::line)
        .toList();
  }
}
