package io.bmadflow.workflows.checkpoint;

import java.util.Locale;

/** Why a checkpoint was taken; the seed's trigger reasons. */
public enum CheckpointTrigger {
  PHASE_TRANSITION,
  QUALITY_GATE,
  CRITICAL_DECISION,
  TEAM_HANDOFF,
  TIME_BASED,
  RISK_EVENT,
  USER_REQUEST,
  EXPERIMENT,
  MILESTONE,
  EMERGENCY,
  COMPLEXITY,
  PROGRESS,
  RESOURCE,
  CONTEXT,
  PROJECT_COMPLETE;

  /** The name as written in checkpoint metadata. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
