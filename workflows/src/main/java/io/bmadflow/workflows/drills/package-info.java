/**
 * Scheduled recovery drills.
 *
 * <p>Workflow code: the determinism rules of {@link io.bmadflow.workflows.project} apply here
 * (the {@code Workflow} API only; versions decided at fixed points of the main method, never in a
 * handler or lazily; handlers validate and delegate; every handler finished before the workflow
 * returns or continues as new).
 */
package io.bmadflow.workflows.drills;
