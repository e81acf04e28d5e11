package io.bmadflow.workflows.drills;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/** Runs recovery drills, for the drill schedule; on the {@code bmadflow-drills} task queue. */
@ActivityInterface(namePrefix = "Drill")
public interface DrillActivities {

  /** Runs each scenario {@code runs} times; returns one line per drill run (id, verdict). */
  @ActivityMethod
  List<String> runDrills(List<String> scenarios, int runs);
}
