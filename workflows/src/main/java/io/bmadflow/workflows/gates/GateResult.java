package io.bmadflow.workflows.gates;

import java.util.List;

/**
 * A quality gate as an agent reports it, in BMAD's own words.
 *
 * @param gate the kind: {@code po-master-checklist}, {@code qa-gate} or {@code spec-score}
 * @param status as the agent wrote it: APPROVED / CONDITIONAL / REJECTED for the PO checklist,
 *     PASS / CONCERNS / FAIL / WAIVED for the QA gate; null for a score gate
 * @param score a quality score from 0 to 100, or null
 * @param issues what the gate found
 */
public record GateResult(String gate, String status, Integer score, List<String> issues) {
  public static final String PO_CHECKLIST = "po-master-checklist";
  public static final String QA_GATE = "qa-gate";
  public static final String SPEC_SCORE = "spec-score";

  public GateResult {
    issues = issues == null ? List.of() : List.copyOf(issues);
  }
}
