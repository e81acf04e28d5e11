package io.bmadflow.workflows.gates;

/**
 * A gate as the project records it, once decided.
 *
 * @param gateId {@code <step-index>[#<story>]}, unique within the project
 * @param phase the phase
 * @param kind the gate kind ({@link GateResult#gate()})
 * @param agent the agent that ran it
 * @param verdict the final verdict
 * @param score the last quality score, or null
 * @param attempts how many times the gate ran (1 plus improvement loops)
 * @param decidedBy {@code agent}, or {@code operator} when an operator approved or waived it
 * @param note the issues found, or the operator's reason
 */
public record GateRecord(
    String gateId,
    String phase,
    String kind,
    String agent,
    GateVerdict verdict,
    Integer score,
    int attempts,
    String decidedBy,
    String note) {}
