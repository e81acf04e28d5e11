package io.bmadflow.workflows.gates;

/**
 * An operator's decision on an escalated gate.
 *
 * @param gateId the gate ({@code GateRecord#gateId}), or null for whichever gate is waiting
 * @param action {@code approve} (treat as passed) or {@code waive} (accept as WAIVED)
 * @param by who decided
 * @param reason why
 */
public record OperatorDecision(String gateId, String action, String by, String reason) {
  public static final String APPROVE = "approve";
  public static final String WAIVE = "waive";
}
