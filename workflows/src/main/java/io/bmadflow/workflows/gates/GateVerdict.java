package io.bmadflow.workflows.gates;

import java.util.Locale;

/**
 * BMAD's gate outcomes, normalized: checklists map APPROVED, GO and READY to PASS; CONDITIONAL,
 * PARTIAL and NEEDS WORK to CONCERNS; REJECTED, NO-GO and NOT READY to FAIL. Score gates pass
 * at {@link #PASSING_SCORE}.
 */
public enum GateVerdict {
  PASS,
  CONCERNS,
  FAIL,
  WAIVED;

  /** The score a scored gate needs to pass. */
  public static final int PASSING_SCORE = 85;

  /** Whether the work may go on: everything but FAIL. */
  public boolean proceeds() {
    return this != FAIL;
  }

  /** The verdict of a gate result. */
  public static GateVerdict of(GateResult result) {
    if (result.status() == null) {
      return result.score() != null && result.score() >= PASSING_SCORE ? PASS : FAIL;
    }
    return switch (result.status().trim().toUpperCase(Locale.ROOT).replace('_', ' ').replace('-', ' ')) {
      case "APPROVED", "GO", "READY", "PASS" -> PASS;
      case "CONDITIONAL", "PARTIAL", "NEEDS WORK", "CONCERNS" -> CONCERNS;
      case "WAIVED" -> WAIVED;
      default -> FAIL; // REJECTED, NO GO, NOT READY, FAIL, or anything unknown: fail closed.
    };
  }
}
