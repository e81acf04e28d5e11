package io.bmadflow.workflows.project;

/**
 * An entry of the append-only decision log.
 *
 * @param id {@code D<n>}, in order
 * @param title what was decided
 * @param rationale why
 * @param madeBy the agent or operator
 * @param critical whether it is a critical decision (architecture, technology choice)
 * @param phase the phase it was made in
 */
public record Decision(String id, String title, String rationale, String madeBy, boolean critical, String phase) {}
