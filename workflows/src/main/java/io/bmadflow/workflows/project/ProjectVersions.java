package io.bmadflow.workflows.project;

import io.temporal.workflow.Workflow;

/**
 * The project workflow's version decisions, all taken at one fixed point of its main method.
 *
 * <p>{@link #decide()} is the first thing {@code ProjectWorkflowImpl.run} does, before any
 * command, handler or coroutine can run: a workflow started on this code records one marker,
 * {@value #CORE}, and takes every change since it without asking again. Histories recorded before
 * that marker existed (it is missing from them, so {@code getVersion} gives the default) replay on
 * the legacy path, which asks the older change ids where they were asked then, so those histories
 * keep replaying; no new workflow ever takes that path.
 *
 * <p>A later change adds its {@code Workflow.getVersion} call to {@link #decide()}, after the
 * existing ones, never in a handler, a coroutine or a lazily called method.
 */
final class ProjectVersions {
  /** The change id of the replay-safe core: versions at fixed points, trigger memory carried. */
  static final String CORE = "replay-safe-core";
  /**
   * The change id of BMAD v4's step shapes: guidance steps honour their condition, routing steps
   * choose a route, agent steps get {@code uses}, notes and optional sub-steps (see
   * {@code PhaseRequest.stepModel}). Asked right after {@link #CORE}, on the replay-safe path only.
   */
  static final String V4_STEP_SHAPES = "v4-step-shapes";

  private final boolean legacy;
  private final boolean v4StepShapes;
  /** The legacy change ids asked so far, with their answers: each is asked once, at first use, as it was. */
  private final java.util.Map<String, Integer> asked = new java.util.HashMap<>();

  private ProjectVersions(boolean legacy, boolean v4StepShapes) {
    this.legacy = legacy;
    this.v4StepShapes = v4StepShapes;
  }

  /** Takes the decisions; call it once, first, in the main workflow method. */
  static ProjectVersions decide() {
    boolean legacy = Workflow.getVersion(CORE, Workflow.DEFAULT_VERSION, 1) < 1;
    boolean v4StepShapes = !legacy && Workflow.getVersion(V4_STEP_SHAPES, Workflow.DEFAULT_VERSION, 1) >= 1;
    return new ProjectVersions(legacy, v4StepShapes);
  }

  /** The step model the phases run with: {@code PhaseRequest.V4_STEP_SHAPES} on this code, 0 for older histories. */
  int stepModel() {
    return v4StepShapes ? io.bmadflow.workflows.phase.PhaseRequest.V4_STEP_SHAPES : 0;
  }

  /** Whether this run replays a history from before the replay-safe core. */
  boolean legacy() {
    return legacy;
  }

  /** Whether a new project checks that workers serve its agents before it starts. */
  boolean rosterCheck(boolean continued) {
    return !continued && (!legacy || Workflow.getVersion("roster-check", Workflow.DEFAULT_VERSION, 1) >= 1);
  }

  /** Whether checkpoint triggers (and manual checkpoints) exist; asked once, right after {@link #rosterCheck}. */
  boolean triggers() {
    return !legacy || Workflow.getVersion("checkpoint-triggers", Workflow.DEFAULT_VERSION, 1) >= 1;
  }

  /** Whether the project keeps its search attributes current. Legacy: asked at the first upsert, as it was. */
  boolean searchAttributes() {
    return !legacy || legacyAsk("search-attributes");
  }

  /** Whether a checkpoint is written by the capture, validate, publish pipeline. Legacy: asked at first use. */
  boolean pipeline() {
    return !legacy || legacyAsk("checkpoint-pipeline");
  }

  /** Whether a committed checkpoint is read back and verified before it counts. Legacy: asked at first use. */
  boolean verify() {
    return !legacy || legacyAsk("checkpoint-verify");
  }

  /** Whether a step that finishes while the project is paused tells the phase again. Legacy: asked in the handler. */
  boolean pauseResend(boolean paused) {
    return paused && (!legacy || Workflow.getVersion("pause-resend", Workflow.DEFAULT_VERSION, 1) >= 1);
  }

  private boolean legacyAsk(String changeId) {
    return asked.computeIfAbsent(changeId, id -> Workflow.getVersion(id, Workflow.DEFAULT_VERSION, 1)) >= 1;
  }

  /** Whether the trigger detector's memory is carried through continue-as-new and restores. */
  boolean carriesTriggerMemory() {
    return !legacy;
  }
}
