package io.bmadflow.workflows.checkpoint;

import java.util.Locale;

/** How much a checkpoint matters; high and critical ones notify stakeholders. */
public enum CheckpointPriority {
  LOW,
  MEDIUM,
  HIGH,
  CRITICAL;

  /** The name as written in checkpoint metadata. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
