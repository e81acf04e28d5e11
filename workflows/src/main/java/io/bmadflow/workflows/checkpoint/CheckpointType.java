package io.bmadflow.workflows.checkpoint;

import java.util.Locale;

/** The seed's three kinds of checkpoint. */
public enum CheckpointType {
  AUTOMATIC,
  MANUAL,
  INTELLIGENT;

  /** The name as written in checkpoint metadata. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
