/**
 * The project workflow: one BMAD project, its state, its checkpoints.
 *
 * <h2>Determinism rules</h2>
 *
 * <p>These hold for every workflow package ({@code project}, {@code phase}, {@code recovery},
 * {@code drills}); the build checks them by replaying every history a test produces and the
 * recorded ones in {@code worker/src/test/resources/histories/}.
 *
 * <ol>
 *   <li>Workflow code does no I/O and reads no clock, randomness, thread or environment outside the
 *       {@code Workflow} API: {@code Workflow.currentTimeMillis}, {@code Workflow.randomUUID},
 *       {@code Workflow.sleep}/{@code await}, {@code Async}, {@code Workflow.getLogger}.
 *       Configuration arrives in the request.
 *   <li>Version decisions ({@code Workflow.getVersion}) are taken at fixed points of the main
 *       workflow method, in the same order on every run: for the project workflow, all of them in
 *       {@code ProjectVersions.decide()}, the first call of {@code run}. Never inside a signal or
 *       update handler or its validator; never lazily, at first use, from whichever coroutine gets
 *       there first; never under a condition that a handler changes (paused, a pending gate, a
 *       queued trigger). Handlers and coroutines read the decisions, they never take them.
 *       Why: on replay, Temporal may apply a signal, an update and a coroutine's wake-up of one
 *       workflow task in another order than the first run did, so a marker recorded from a
 *       handler can be asked for before or after the place it was recorded at
 *       ({@code TMPRL1100 getVersion call before the existing version marker event}).
 *   <li>Handlers validate (in the update's validator, before anything is written to history) and
 *       then change the state object and queue work: they send no commands themselves. Activities,
 *       signals to other workflows and search-attribute upserts are sent by the main method or by a
 *       coroutine it started (the project's checkpointer and outbox). Why: when a signal and an
 *       update arrive in one workflow task, the update's acceptance is recorded before the
 *       commands of that task, and on replay a command sent from the signal's handler lands before
 *       it ({@code TMPRL1100 ... UPDATE_ACCEPTED does not match command type
 *       UPSERT_WORKFLOW_SEARCH_ATTRIBUTES}, found by {@code ScheduleFuzzTest}).
 *   <li>The main method awaits {@code Workflow.isEveryHandlerFinished()} before continue-as-new
 *       and before it returns, so no update is left unanswered.
 *   <li>Big data never travels through history: state holds references (paths, hashes, ids) and
 *       activities read files and packages themselves.
 *   <li>A change that adds, removes or reorders commands (activities, child workflows, timers,
 *       signals to other workflows, search-attribute upserts, markers) is a new version decided
 *       as rule 2 says, with the old path kept for old histories.
 * </ol>
 */
package io.bmadflow.workflows.project;
