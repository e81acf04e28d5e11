package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.ProbeRequest;
import io.bmadflow.workflows.agents.ProbeResult;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The stages every recovery strategy shares (checkpoint selection, planning, backup, restoration,
 * validation, resumption and the report) and the timeline they record: each stage's duration and
 * outcome, the actions taken and the validation checks.
 *
 * <p>Workflow code: it calls activities through the workflow's stubs and reads time only with
 * {@link Workflow#currentTimeMillis}. The stage it is in is what the workflow's query answers and
 * what a failure is reported against.
 */
final class RecoveryStages {
  /** How long resumption waits for the project's next step. */
  static final int RESUME_WAIT_SECONDS = 120;

  private final RecoveryActivities acts;
  private final RecoveryActivities checkpointsQueue;
  private final AgentActivities agentsQueue;
  private String stage = "initiation";
  private final List<StageTiming> stages = new ArrayList<>();
  private final List<String> actions = new ArrayList<>();
  private final List<ValidationCheck> checks = new ArrayList<>();

  /**
   * Stages calling {@code acts} for the recovery's steps, and {@code checkpointsQueue} and
   * {@code agentsQueue} for the communication and functionality probes.
   */
  RecoveryStages(RecoveryActivities acts, RecoveryActivities checkpointsQueue, AgentActivities agentsQueue) {
    this.acts = acts;
    this.checkpointsQueue = checkpointsQueue;
    this.agentsQueue = agentsQueue;
  }

  /** The stage the recovery is in. */
  String current() {
    return stage;
  }

  /** The recovery's activities, for the steps only one strategy takes. */
  RecoveryActivities activities() {
    return acts;
  }

  /** Adds an action to the report's list of what the recovery did. */
  void action(String done) {
    actions.add(done);
  }

  // ---- restoring from a checkpoint ------------------------------------------------------------

  /**
   * Checkpoint selection: the checkpoint the request names, or the newest that verifies; for a
   * restore of named files ({@code files} not null) one that holds them.
   */
  CheckpointChoice selectCheckpoint(ReportDraft report, List<String> files) {
    RecoveryRequest request = report.request;
    CheckpointChoice choice = timed("selection",
        () -> acts.chooseCheckpoint(request.projectId(), request.checkpointId(), request.atMillis(), files),
        c -> c.checkpointId() + " (" + c.why() + (c.skipped().isEmpty() ? "" : "; skipped " + c.skipped().size()) + ")");
    report.choice = choice;
    return choice;
  }

  /** Planning: which workspace files differ from the checkpoint ({@code files} limits it, null: all). */
  RestorePlan planRestore(ReportDraft report, CheckpointChoice choice, List<String> components, List<String> files) {
    return timed("planning", () -> acts.planRestore(report.projectId(), choice.checkpointId(), components, files),
        p -> p.filesToWrite().size() + " file(s) to write, " + p.filesUnchanged() + " unchanged");
  }

  /** Backup of what the restore overwrites; the report says where. */
  void backup(ReportDraft report, CheckpointChoice choice, RestorePlan plan) {
    report.backup = timed("backup",
        () -> acts.backup(report.request.recoveryId(), report.projectId(), choice.checkpointId(), plan.filesToWrite()),
        s -> s);
  }

  /** Restoration of the plan's workspace files, or a note that none differs. */
  void restoreFiles(String projectId, CheckpointChoice choice, RestorePlan plan) {
    if (plan.filesToWrite().isEmpty()) {
      record("restoration", Workflow.currentTimeMillis(), "ok", "no workspace file differs from " + choice.checkpointId());
      return;
    }
    List<String> written = timed("restoration", () -> acts.restoreFiles(projectId, choice.checkpointId(), plan.filesToWrite()),
        w -> w.size() + " workspace file(s) written from " + choice.checkpointId());
    actions.add("restored " + written.size() + " workspace file(s) from " + choice.checkpointId() + ": " + abbreviate(written));
  }

  /** Restoration by a new run of the project from the checkpoint, paused; the report names the run. */
  void restartPaused(ReportDraft report, CheckpointChoice choice) {
    String projectId = report.projectId();
    String cp = choice.checkpointId();
    report.newRunId = timed("restoration", () -> acts.restart(report.request.recoveryId(), projectId, cp, true),
        run -> "project restarted paused from " + cp + " as run " + run);
    actions.add("restarted project " + projectId + " paused from " + cp + " (run " + report.newRunId + ")");
  }

  /** Restoration of state components into the running workflow. */
  void restoreComponents(ReportDraft report, CheckpointChoice choice, List<String> components) {
    actions.add(timed("restoration", () -> acts.restoreComponents(report.request.recoveryId(), report.projectId(),
        choice.checkpointId(), components), s -> s));
  }

  // ---- validation and resumption ----------------------------------------------------------------

  /** The named state checks, then communication (a worker polls each task queue) and functionality (a no-op step). */
  void validate(String projectId, String workspace, List<String> agents, List<String> stateChecks, String checkpointId) {
    for (String name : stateChecks) {
      check(name, projectId, checkpointId);
    }
    long t0 = Workflow.currentTimeMillis();
    ValidationCheck communication;
    try {
      String checkpointWorker = checkpointsQueue.ping();
      var roster = agentsQueue.checkRoster(List.of());
      communication = new ValidationCheck(ValidationCheck.COMMUNICATION, true, 0,
          "orchestration, checkpoints (" + checkpointWorker + ") and agents (" + roster.served().size()
              + " agents served) task queues answer");
    } catch (ActivityFailure e) {
      communication = new ValidationCheck(ValidationCheck.COMMUNICATION, false, 0,
          "a task queue has no worker answering: " + Failures.rootMessage(e));
    }
    addCheck(communication.withDuration(Workflow.currentTimeMillis() - t0));
    long t1 = Workflow.currentTimeMillis();
    ValidationCheck functionality;
    try {
      ProbeResult probe = agentsQueue.probe(new ProbeRequest(projectId, workspace, agents));
      functionality = new ValidationCheck(ValidationCheck.FUNCTIONALITY, probe.ok(), 0,
          "no-op step on " + probe.worker() + ": " + probe.detail());
    } catch (ActivityFailure e) {
      functionality = new ValidationCheck(ValidationCheck.FUNCTIONALITY, false, 0, "the no-op step failed: " + Failures.rootMessage(e));
    }
    addCheck(functionality.withDuration(Workflow.currentTimeMillis() - t1));
    failOnFailedCheck();
  }

  /** One validation check against the checkpoint, recorded; see {@link RecoveryActivities#check}. */
  void check(String name, String projectId, String checkpointId) {
    long t0 = Workflow.currentTimeMillis();
    stage = "validation";
    ValidationCheck check = acts.check(name, projectId, checkpointId);
    addCheck(check.withDuration(Math.max(check.durationMillis(), Workflow.currentTimeMillis() - t0)));
  }

  private void addCheck(ValidationCheck check) {
    checks.add(check);
    record("validation", Workflow.currentTimeMillis(), check.passed() ? "ok" : "failed", check.name() + ": " + check.detail(),
        check.durationMillis());
  }

  /** Stops the recovery at validation when a check so far failed. */
  void failOnFailedCheck() {
    for (ValidationCheck c : checks) {
      if (!c.passed()) {
        stage = "validation";
        throw ApplicationFailure.newNonRetryableFailure("validation check " + c.name() + " failed: " + c.detail()
            + "; the recovery stops here (a project it paused stays paused)", Failures.CHECKPOINT_CORRUPT);
      }
    }
  }

  /**
   * Resumption: resumes the project and waits for a step beyond {@code stepsBefore}, which makes
   * the recovery {@code recovered}; a project to stay paused is left so, and recovered too.
   */
  void resume(String projectId, int stepsBefore, boolean stayPaused, ReportDraft report) {
    if (stayPaused) {
      record("resumption", Workflow.currentTimeMillis(), "skipped", "the project was paused at the checkpoint; resume it with `bmadflow resume`");
      report.outcome = RecoveryReport.RECOVERED;
      return;
    }
    long t0 = Workflow.currentTimeMillis();
    stage = "resumption";
    acts.setPaused(projectId, false, "recovery validated");
    long waited = acts.awaitProgress(projectId, stepsBefore, RESUME_WAIT_SECONDS);
    long took = Workflow.currentTimeMillis() - t0;
    report.resumedIn = waited < 0 ? -1 : took;
    actions.add(waited < 0 ? "resumed the project; no step finished within " + RESUME_WAIT_SECONDS + " s"
        : "resumed the project; its next step finished " + took + " ms later");
    record("resumption", t0, waited < 0 ? "failed" : "ok",
        waited < 0 ? "no step finished within " + RESUME_WAIT_SECONDS + " s of resuming" : "next step finished after " + took + " ms",
        took);
    if (waited < 0) {
      throw ApplicationFailure.newNonRetryableFailure("the project did not make progress within " + RESUME_WAIT_SECONDS
          + " s of resuming; check its workers and agents", Failures.PHASE_FAILED);
    }
    report.outcome = RecoveryReport.RECOVERED;
  }

  // ---- the report -----------------------------------------------------------------------------

  /** Verification: builds the report and, unless a dry run, stores it; a report that cannot be stored is still returned. */
  RecoveryReport finish(ReportDraft r) {
    long t0 = Workflow.currentTimeMillis();
    stage = "verification";
    RecoveryReport built = r.build(actions, checks, stages, Workflow.currentTimeMillis());
    if (r.request.dryRun()) {
      return built;
    }
    try {
      String location = acts.writeReport(built);
      record("verification", t0, "ok", "report stored at " + location);
    } catch (ActivityFailure e) {
      record("verification", t0, "failed", "the report could not be stored: " + Failures.rootMessage(e));
    }
    stage = "done";
    return r.build(actions, checks, stages, Workflow.currentTimeMillis());
  }

  /** Runs a stage and records it with its duration and what {@code detail} says of its value. */
  <T> T timed(String name, Supplier<T> body, Function<T, String> detail) {
    stage = name;
    long t0 = Workflow.currentTimeMillis();
    T value = body.get();
    record(name, t0, "ok", detail.apply(value));
    return value;
  }

  /** Records the current stage as failed with this error. */
  void failed(String error) {
    record(stage, Workflow.currentTimeMillis(), "failed", error);
  }

  /** Records a stage that started at {@code startedAt} and ends now. */
  void record(String name, long startedAt, String outcome, String detail) {
    record(name, startedAt, outcome, detail, Workflow.currentTimeMillis() - startedAt);
  }

  private void record(String name, long startedAt, String outcome, String detail, long duration) {
    stages.add(new StageTiming(name, duration, outcome, detail));
  }

  // ---- words for the plan ---------------------------------------------------------------------

  /** The plan's first steps for every restore from a checkpoint: the backup, and the files written. */
  static List<String> restoreSteps(Assessment a, CheckpointChoice c, RestorePlan plan) {
    List<String> steps = new ArrayList<>();
    steps.add(plan.filesToWrite().isEmpty() ? "back up nothing: no workspace file differs from " + c.checkpointId()
        : "back up the " + plan.filesToWrite().size() + " workspace file(s) it overwrites"
            + (a.running() || Assessment.COMPLETED.equals(a.workflowStatus()) ? " and the workflow's current state" : ""));
    if (!plan.filesToWrite().isEmpty()) {
      steps.add("write " + plan.filesToWrite().size() + " workspace file(s) from " + c.checkpointId() + ": "
          + abbreviate(plan.filesToWrite()));
    }
    return steps;
  }

  /** The work a new run from the checkpoint loses: the steps it runs again. */
  static String workLostByRestart(Assessment a, CheckpointChoice c) {
    if (a.stepsCompleted() < 0) {
      return "unknown: the workflow's state is gone; steps after " + c.stepsCompleted()
          + " completed ones run again (the checkpoint's last step: '" + c.step() + "')";
    }
    int lost = Math.max(0, a.stepsCompleted() - c.stepsCompleted());
    return lost + " step(s) run again: the workflow had " + a.stepsCompleted() + " completed, the checkpoint has "
        + c.stepsCompleted();
  }

  /** The work a restore into the running workflow loses: none in progress. */
  static String workLostInPlace(CheckpointChoice c) {
    return "none in progress: the running workflow keeps its steps; the restored components return to "
        + c.checkpointId() + "'s version";
  }

  /** The first five items, and how many more. */
  static String abbreviate(List<String> items) {
    return items.size() <= 5 ? String.join(", ", items)
        : String.join(", ", items.subList(0, 5)) + " and " + (items.size() - 5) + " more";
  }
}
