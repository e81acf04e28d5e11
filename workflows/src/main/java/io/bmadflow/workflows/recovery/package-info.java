/**
 * The recovery workflow: assessment, strategy, restore, validation, resumption and report.
 *
 * <p>Workflow code: the determinism rules of {@link io.bmadflow.workflows.project} apply here
 * (the {@code Workflow} API only; versions decided at fixed points of the main method, never in a
 * handler or lazily; handlers validate and delegate; every handler finished before the workflow
 * returns or continues as new).
 */
package io.bmadflow.workflows.recovery;
