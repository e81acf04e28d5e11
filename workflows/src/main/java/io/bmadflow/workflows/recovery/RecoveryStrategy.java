package io.bmadflow.workflows.recovery;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The seed's recovery strategies. {@code AUTO} lets the recovery pick one from its failure
 * assessment; see {@link StrategySelection#select}.
 */
public enum RecoveryStrategy {
  AUTO,
  /** Immediate failover in the running workflow: a failing agent moves to its fallback runner. */
  HOT,
  /** Every state component (context, agents, progress) restored into the running workflow. */
  WARM,
  /** A new run of the project workflow from the checkpoint, its workspace files restored first. */
  COLD,
  /** Like cold, to a checkpoint named by id or time; or only named workspace files. */
  POINT_IN_TIME,
  /** Only the named components restored into the running workflow (or named files on disk). */
  SELECTIVE,
  /** Context, then agents one by one, then resume, validating between stages. */
  PROGRESSIVE;

  /** The CLI's spelling: {@code point-in-time}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static RecoveryStrategy fromWire(String value) {
    for (RecoveryStrategy s : values()) {
      if (s.wire().equals(value) || s.name().equals(value)) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown recovery strategy '" + value + "'; strategies are "
        + Arrays.stream(values()).map(RecoveryStrategy::wire).collect(Collectors.joining(", ")));
  }
}
