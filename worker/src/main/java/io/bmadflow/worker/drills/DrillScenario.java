package io.bmadflow.worker.drills;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The seed's recovery test scenarios; see {@link DrillRunner} for the fault each injects. */
public enum DrillScenario {
  SINGLE_AGENT_FAILURE("an agent's runner crashes on every attempt; a hot recovery moves it to its fallback"),
  MULTIPLE_AGENT_FAILURE("two agents' runners crash; hot recoveries move each to its fallback"),
  COMMUNICATION_BREAKDOWN("the TCP path from the workers to Temporal or S3 is cut or slowed for seconds mid-run"),
  STATE_CORRUPTION("the newest checkpoint's stored objects are altered (one, or all) and the workflow is lost; cold recovery"),
  STORAGE_FAILURE("S3 becomes unreachable for the workers mid-run and the workflow is lost; recovery waits it out"),
  CASCADE_FAILURE("the workflow is lost, then the worker is killed while the recovery runs"),
  HUMAN_ERROR("workspace files deleted and modified, or the newest checkpoint deleted with the workflow lost");

  private final String fault;

  DrillScenario(String fault) {
    this.fault = fault;
  }

  /** What the drill does to the project. */
  public String fault() {
    return fault;
  }

  /** The CLI's spelling: {@code single-agent-failure}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static DrillScenario fromWire(String value) {
    for (DrillScenario s : values()) {
      if (s.wire().equals(value)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown drill scenario '" + value + "'; scenarios are all, "
        + Arrays.stream(values()).map(DrillScenario::wire).collect(Collectors.joining(", ")));
  }
}
