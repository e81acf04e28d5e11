package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.ProbeRequest;
import io.bmadflow.workflows.agents.ProbeResult;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.project.ComponentRestore;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * A recovery; see {@link RecoveryWorkflow}. The workflow decides, its activities act: nothing
 * big travels through its history (the activities read packages from S3 themselves).
 *
 * <p>A recovery that cannot proceed does not fail the workflow: it stops at the stage that
 * failed and reports it, leaving the project as that stage left it (paused, when the recovery
 * had paused it) so an operator can look before anything else runs.
 */
public class RecoveryWorkflowImpl implements RecoveryWorkflow {
  private static final Logger log = Workflow.getLogger(RecoveryWorkflowImpl.class);
  /** How long resumption waits for the project's next step. */
  static final int RESUME_WAIT_SECONDS = 120;

  private final RecoveryActivities acts =
      Workflow.newActivityStub(RecoveryActivities.class, ActivityProfiles.recovery());
  private final RecoveryActivities checkpointsQueue =
      Workflow.newActivityStub(RecoveryActivities.class, ActivityProfiles.probe(TaskQueues.CHECKPOINTS));
  private final AgentActivities agentsQueue =
      Workflow.newActivityStub(AgentActivities.class, ActivityProfiles.probe(TaskQueues.AGENTS));

  private String stage = "initiation";
  private final List<StageTiming> stages = new ArrayList<>();
  private final List<String> actions = new ArrayList<>();
  private final List<ValidationCheck> checks = new ArrayList<>();

  /** The strategy a recovery uses, the failure scenario it answers, and why. */
  public record Selection(RecoveryStrategy strategy, String scenario, String reason) {}

  @Override
  public String stage() {
    return stage;
  }

  @Override
  public RecoveryReport run(RecoveryRequest request) {
    long started = Workflow.currentTimeMillis();
    String problem = problem(request);
    if (problem != null) {
      throw ApplicationFailure.newNonRetryableFailure(problem, Failures.INVALID_INPUT);
    }
    String projectId = request.projectId();
    record("initiation", started, "ok", "requested by " + request.requestedBy()
        + (request.reason() == null ? "" : ": " + request.reason()) + (request.dryRun() ? " (dry run)" : ""));

    Assessment assessment = timed("assessment", () -> acts.assess(projectId, request.reachabilityWait()),
        a -> "workflow " + a.workflowStatus() + ", " + a.checkpointsAvailable() + " checkpoint(s), "
            + a.failing().size() + " failing activit(ies)"
            + (a.storageOutageMillis() > 0 ? ", storage unreachable for " + a.storageOutageMillis() + " ms" : ""));
    Selection selection;
    try {
      selection = timed("strategy", () -> select(request, assessment),
          s -> (s.strategy() == null ? "none" : s.strategy().wire()) + ": " + s.reason());
    } catch (ApplicationFailure refused) {
      // The requested strategy does not fit the project's state: report why, change nothing.
      Report report = new Report(request, assessment, new Selection(request.strategy(), "not assessed", "refused"), started);
      report.error = refused.getOriginalMessage();
      record("strategy", Workflow.currentTimeMillis(), "failed", report.error);
      return finish(report);
    }

    Report report = new Report(request, assessment, selection, started);
    if (selection.strategy() == null) {
      report.outcome = RecoveryReport.NOTHING;
      return finish(report);
    }
    try {
      if (selection.strategy() == RecoveryStrategy.HOT) {
        hot(request, assessment, report);
      } else {
        restore(request, assessment, selection.strategy(), report);
      }
    } catch (TemporalFailure e) {
      report.outcome = RecoveryReport.FAILED;
      report.error = "stage " + stage + ": " + Failures.rootMessage(e);
      record(stage, Workflow.currentTimeMillis(), "failed", report.error);
      log.error("recovery {} of project {} failed at {}: {}", request.recoveryId(), projectId, stage, report.error);
    }
    return finish(report);
  }

  /**
   * Picks the strategy. An explicit one is checked against the workflow's state; {@code auto}
   * answers the scenario: a lost or ended workflow gets cold, a failing agent hot, named
   * components selective, a named checkpoint or time point-in-time.
   */
  public static Selection select(RecoveryRequest request, Assessment a) {
    List<String> stateComponents = stateComponents(request.components());
    boolean filesOnly = !request.components().isEmpty() && stateComponents.isEmpty();
    boolean pointInTime = request.checkpointId() != null || request.atMillis() != null;
    String failingAgent = a.failing().stream().map(Assessment.FailingActivity::agent)
        .filter(x -> x != null).findFirst().orElse(null);
    String scenario;
    if (Assessment.NOT_FOUND.equals(a.workflowStatus())) {
      scenario = "complete system failure: the project's workflow history is gone (a lost cluster or a wiped namespace)";
    } else if (!a.running() && !Assessment.COMPLETED.equals(a.workflowStatus())) {
      scenario = "workflow failure: the run ended " + a.workflowStatus()
          + (a.failureMessage() == null ? "" : " (" + a.failureMessage() + ")");
    } else if (!a.failing().isEmpty()) {
      Assessment.FailingActivity f = a.failing().get(0);
      scenario = "agent failure: " + (f.agent() == null ? f.activityType() : "agent " + f.agent())
          + " is failing (attempt " + f.attempt() + (f.lastFailure() == null ? "" : ": " + f.lastFailure()) + ")";
    } else if (filesOnly || pointInTime) {
      scenario = "human error: restore " + (filesOnly ? "workspace files" : "the project") + " to an earlier checkpoint";
    } else if (!stateComponents.isEmpty()) {
      scenario = "partial failure: " + String.join(", ", stateComponents) + " lost or wrong";
    } else {
      scenario = "no failure found: the workflow is " + a.workflowStatus();
    }
    if (a.storageOutageMillis() > 0) {
      scenario = "network partition (storage unreachable for " + a.storageOutageMillis() + " ms, "
          + a.storageAttempts() + " attempts), then " + scenario;
    }

    RecoveryStrategy s = request.strategy();
    boolean needsRunning = s == RecoveryStrategy.HOT || s == RecoveryStrategy.WARM
        || (s == RecoveryStrategy.SELECTIVE && !filesOnly);
    if (needsRunning && !a.running()) {
      throw ApplicationFailure.newNonRetryableFailure(s.wire() + " recovery works on a running workflow, and project "
          + request.projectId() + "'s is " + a.workflowStatus() + "; use --strategy cold (or auto)", Failures.INVALID_INPUT);
    }
    if (s == RecoveryStrategy.SELECTIVE && request.components().isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure("selective recovery needs --components (context, progress, agents,"
          + " agent:<name>, file:<path>)", Failures.INVALID_INPUT);
    }
    if (s != RecoveryStrategy.AUTO) {
      return new Selection(s, scenario, "requested by the operator");
    }
    if (filesOnly) {
      return new Selection(RecoveryStrategy.SELECTIVE, scenario, "only workspace files are named: they are restored on disk");
    }
    if (pointInTime) {
      return new Selection(RecoveryStrategy.POINT_IN_TIME, scenario, "a checkpoint or a time is named");
    }
    if (!a.running() && !Assessment.COMPLETED.equals(a.workflowStatus())) {
      return new Selection(RecoveryStrategy.COLD, scenario, "no running workflow to restore into: a new run starts from the checkpoint");
    }
    if (failingAgent != null) {
      return new Selection(RecoveryStrategy.HOT, scenario, "an agent is failing in a running workflow: move it to its fallback runner");
    }
    if (!stateComponents.isEmpty()) {
      return new Selection(RecoveryStrategy.SELECTIVE, scenario, "named components are restored into the running workflow");
    }
    return new Selection(null, scenario, "nothing to recover: name a checkpoint (--checkpoint, --at) or components to restore anyway");
  }

  // ---- strategies ----------------------------------------------------------------------------

  private void hot(RecoveryRequest request, Assessment a, Report report) {
    String agent = request.components().stream().filter(c -> c.startsWith(ComponentRestore.AGENT_PREFIX))
        .map(c -> c.substring(ComponentRestore.AGENT_PREFIX.length())).findFirst()
        .orElse(a.failing().stream().map(Assessment.FailingActivity::agent).filter(x -> x != null).findFirst().orElse(null));
    if (agent == null) {
      throw ApplicationFailure.newNonRetryableFailure("no failing agent found in project " + request.projectId()
          + "; name the agent to replace with --components agent:<name>", Failures.INVALID_INPUT);
    }
    report.plan = new RestorePlan(List.of(ComponentRestore.AGENT_PREFIX + agent), List.of(), 0, List.of(),
        List.of("switch agent " + agent + " to its fallback runner; its step in flight restarts there",
            "validate communication and basic functionality", "wait for the project's next step"));
    report.workLost = "none: the workflow keeps its state; only the failing attempt of " + agent + "'s step is abandoned";
    if (request.dryRun()) {
      report.outcome = RecoveryReport.PLANNED;
      return;
    }
    report.backup = "none needed: a hot recovery restores nothing";
    String done = timed("restoration", () -> acts.replaceAgent(request.projectId(), agent), s -> s);
    actions.add(done);
    validate(request.projectId(), a.workspace(), List.of(agent), List.of(), null);
    resume(request.projectId(), a.stepsCompleted(), false, report);
  }

  private void restore(RecoveryRequest request, Assessment a, RecoveryStrategy strategy, Report report) {
    String projectId = request.projectId();
    List<String> files = fileComponents(request.components());
    List<String> named = stateComponents(request.components());
    boolean filesOnly = !request.components().isEmpty() && named.isEmpty();
    CheckpointChoice choice = timed("selection",
        () -> acts.chooseCheckpoint(projectId, request.checkpointId(), request.atMillis(), filesOnly ? files : null),
        c -> c.checkpointId() + " (" + c.why() + (c.skipped().isEmpty() ? "" : "; skipped " + c.skipped().size()) + ")");
    report.choice = choice;

    boolean restart = !filesOnly && (strategy == RecoveryStrategy.COLD || strategy == RecoveryStrategy.POINT_IN_TIME
        || (strategy == RecoveryStrategy.PROGRESSIVE && !a.running()));
    List<String> components = switch (strategy) {
      case WARM -> List.of(ComponentRestore.CONTEXT, ComponentRestore.PROGRESS, ComponentRestore.AGENTS);
      case SELECTIVE -> named;
      case PROGRESSIVE -> progressiveStages(choice);
      default -> filesOnly ? List.of() : List.of(ComponentRestore.CONTEXT, ComponentRestore.PROGRESS, ComponentRestore.AGENTS);
    };
    // Which workspace files to write: all of the checkpoint's when its context comes back, else the named ones.
    List<String> fileScope = filesOnly || !components.contains(ComponentRestore.CONTEXT) ? files : null;
    RestorePlan plan = timed("planning", () -> acts.planRestore(projectId, choice.checkpointId(), components, fileScope),
        p -> p.filesToWrite().size() + " file(s) to write, " + p.filesUnchanged() + " unchanged");
    report.plan = plan.withActions(describe(strategy, restart, a, choice, plan, filesOnly));
    report.workLost = workLost(a, choice, filesOnly, restart);
    if (request.dryRun()) {
      report.outcome = RecoveryReport.PLANNED;
      return;
    }

    report.backup = timed("backup", () -> acts.backup(request.recoveryId(), projectId, choice.checkpointId(), plan.filesToWrite()), s -> s);
    String workspace = choice.workspace();
    if (filesOnly) {
      restoreFiles(projectId, choice, plan);
      for (String file : files) {
        runCheck(ComponentRestore.FILE_PREFIX + file, projectId, choice.checkpointId());
      }
      failOnFailedCheck();
      report.outcome = RecoveryReport.RECOVERED;
      return;
    }
    if (strategy == RecoveryStrategy.PROGRESSIVE) {
      progressive(request, a, choice, plan, report);
      return;
    }
    if (restart) {
      restoreFiles(projectId, choice, plan);
      // The workspace is re-read and hashed before the project runs any step again.
      runCheck(ValidationCheck.CONTEXT, projectId, choice.checkpointId());
      failOnFailedCheck();
      report.newRunId = timed("restoration",
          () -> acts.restart(request.recoveryId(), projectId, choice.checkpointId(), true),
          run -> "project restarted paused from " + choice.checkpointId() + " as run " + run);
      actions.add("restarted project " + projectId + " paused from " + choice.checkpointId() + " (run " + report.newRunId + ")");
      validate(projectId, workspace, choice.agents(), List.of(ValidationCheck.WORKFLOW_STATE, ValidationCheck.AGENT_STATES),
          choice.checkpointId());
      resume(projectId, choice.stepsCompleted(), choice.paused(), report);
      return;
    }
    // Warm and selective: into the running workflow.
    restoreFiles(projectId, choice, plan);
    if (!components.isEmpty()) {
      String done = timed("restoration",
          () -> acts.restoreComponents(request.recoveryId(), projectId, choice.checkpointId(), components), s -> s);
      actions.add(done);
    }
    List<String> stateChecks = new ArrayList<>();
    for (String c : components) {
      stateChecks.add(switch (c) {
        case ComponentRestore.CONTEXT -> ValidationCheck.CONTEXT;
        case ComponentRestore.PROGRESS -> ValidationCheck.WORKFLOW_STATE;
        case ComponentRestore.AGENTS -> ValidationCheck.AGENT_STATES;
        default -> c;
      });
    }
    files.forEach(f -> stateChecks.add(ComponentRestore.FILE_PREFIX + f));
    validate(projectId, workspace, choice.agents(), stateChecks, choice.checkpointId());
    report.outcome = RecoveryReport.RECOVERED;
  }

  /**
   * Progressive: context first, then each agent, validating after each stage and stopping at the
   * first that fails, with the project paused; then communication, functionality and resume.
   */
  private void progressive(RecoveryRequest request, Assessment a, CheckpointChoice choice, RestorePlan plan, Report report) {
    String projectId = request.projectId();
    String cp = choice.checkpointId();
    if (a.running()) {
      timed("restoration", () -> {
        acts.setPaused(projectId, true, "recovery " + request.recoveryId() + ": progressive restore");
        return "paused";
      }, s -> "project paused for the staged restore");
      actions.add("paused project " + projectId);
    }
    restoreFiles(projectId, choice, plan);
    if (a.running()) {
      actions.add(timed("restoration",
          () -> acts.restoreComponents(request.recoveryId(), projectId, cp, List.of(ComponentRestore.CONTEXT)), s -> s));
    } else {
      report.newRunId = timed("restoration", () -> acts.restart(request.recoveryId(), projectId, cp, true),
          run -> "project restarted paused from " + cp + " as run " + run);
      actions.add("restarted project " + projectId + " paused from " + cp + " (run " + report.newRunId + ")");
    }
    runCheck(ValidationCheck.CONTEXT, projectId, cp);
    failOnFailedCheck();
    for (String agent : choice.agents()) {
      String component = ComponentRestore.AGENT_PREFIX + agent;
      if (a.running()) {
        actions.add(timed("restoration", () -> acts.restoreComponents(request.recoveryId(), projectId, cp, List.of(component)),
            s -> s));
      }
      runCheck(component, projectId, cp);
      failOnFailedCheck();
    }
    validate(projectId, choice.workspace(), choice.agents(), List.of(ValidationCheck.WORKFLOW_STATE), cp);
    // A running project may be ahead of its checkpoint: progress means a step beyond where it was.
    int before = a.running() ? Math.max(a.stepsCompleted(), choice.stepsCompleted()) : choice.stepsCompleted();
    resume(projectId, before, choice.paused() && !a.running(), report);
  }

  // ---- stages --------------------------------------------------------------------------------

  private void restoreFiles(String projectId, CheckpointChoice choice, RestorePlan plan) {
    if (plan.filesToWrite().isEmpty()) {
      record("restoration", Workflow.currentTimeMillis(), "ok", "no workspace file differs from " + choice.checkpointId());
      return;
    }
    List<String> written = timed("restoration", () -> acts.restoreFiles(projectId, choice.checkpointId(), plan.filesToWrite()),
        w -> w.size() + " workspace file(s) written from " + choice.checkpointId());
    actions.add("restored " + written.size() + " workspace file(s) from " + choice.checkpointId() + ": " + abbreviate(written));
  }

  /** The named state checks, then communication (a worker polls each task queue) and functionality (a no-op step). */
  private void validate(String projectId, String workspace, List<String> agents, List<String> stateChecks, String checkpointId) {
    for (String name : stateChecks) {
      runCheck(name, projectId, checkpointId);
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

  private void runCheck(String name, String projectId, String checkpointId) {
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

  private void failOnFailedCheck() {
    for (ValidationCheck c : checks) {
      if (!c.passed()) {
        stage = "validation";
        throw ApplicationFailure.newNonRetryableFailure("validation check " + c.name() + " failed: " + c.detail()
            + "; the recovery stops here (a project it paused stays paused)", Failures.CHECKPOINT_CORRUPT);
      }
    }
  }

  private void resume(String projectId, int stepsBefore, boolean stayPaused, Report report) {
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

  private RecoveryReport finish(Report r) {
    long t0 = Workflow.currentTimeMillis();
    stage = "verification";
    RecoveryReport built = r.build(Workflow.currentTimeMillis());
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
    return r.build(Workflow.currentTimeMillis());
  }

  // ---- helpers -------------------------------------------------------------------------------

  private <T> T timed(String name, Supplier<T> body, Function<T, String> detail) {
    stage = name;
    long t0 = Workflow.currentTimeMillis();
    T value = body.get();
    record(name, t0, "ok", detail.apply(value));
    return value;
  }

  private void record(String name, long startedAt, String outcome, String detail) {
    record(name, startedAt, outcome, detail, Workflow.currentTimeMillis() - startedAt);
  }

  private void record(String name, long startedAt, String outcome, String detail, long duration) {
    stages.add(new StageTiming(name, duration, outcome, detail));
  }

  static String problem(RecoveryRequest request) {
    String p = ProjectIds.problem(request.projectId());
    if (p != null) {
      return p;
    }
    if (!RecoveryIds.isValid(request.recoveryId())) {
      return "recovery id '" + request.recoveryId() + "' is not valid";
    }
    if (request.checkpointId() != null && !CheckpointIds.isValid(request.checkpointId())) {
      return "checkpoint id '" + request.checkpointId() + "' is not valid";
    }
    if (request.checkpointId() != null && request.atMillis() != null) {
      return "name a checkpoint or a time, not both";
    }
    for (String c : request.components()) {
      String problem = ComponentRestore.problem(c);
      if (problem != null) {
        return problem;
      }
    }
    return null;
  }

  static List<String> stateComponents(List<String> components) {
    return components.stream().filter(c -> !c.startsWith(ComponentRestore.FILE_PREFIX)).toList();
  }

  static List<String> fileComponents(List<String> components) {
    return components.stream().filter(c -> c.startsWith(ComponentRestore.FILE_PREFIX))
        .map(c -> c.substring(ComponentRestore.FILE_PREFIX.length())).toList();
  }

  private static List<String> progressiveStages(CheckpointChoice choice) {
    List<String> stages = new ArrayList<>();
    stages.add(ComponentRestore.CONTEXT);
    choice.agents().forEach(agent -> stages.add(ComponentRestore.AGENT_PREFIX + agent));
    return stages;
  }

  private static List<String> describe(RecoveryStrategy strategy, boolean restart, Assessment a, CheckpointChoice c,
      RestorePlan plan, boolean filesOnly) {
    List<String> steps = new ArrayList<>();
    steps.add(plan.filesToWrite().isEmpty() ? "back up nothing: no workspace file differs from " + c.checkpointId()
        : "back up the " + plan.filesToWrite().size() + " workspace file(s) it overwrites"
            + (a.running() || Assessment.COMPLETED.equals(a.workflowStatus()) ? " and the workflow's current state" : ""));
    if (!plan.filesToWrite().isEmpty()) {
      steps.add("write " + plan.filesToWrite().size() + " workspace file(s) from " + c.checkpointId() + ": "
          + abbreviate(plan.filesToWrite()));
    }
    if (filesOnly) {
      steps.add("check each restored file's SHA-256 against the checkpoint; the workflow is not touched");
      return steps;
    }
    if (strategy == RecoveryStrategy.PROGRESSIVE) {
      steps.add((a.running() ? "pause the project, restore its context" : "restart the project paused from " + c.checkpointId())
          + ", check context consistency");
      c.agents().forEach(agent -> steps.add((a.running() ? "restore and check" : "check") + " agent " + agent));
      steps.add("check communication and basic functionality, then resume");
      return steps;
    }
    if (restart) {
      steps.add("check the workspace files against the checkpoint's hashes before any step runs");
      steps.add((a.running() || !Assessment.NOT_FOUND.equals(a.workflowStatus()) ? "terminate run " + a.runId() + " and " : "")
          + "start the project paused from " + c.checkpointId() + " (phase " + c.phase() + ", after step '" + c.step() + "')");
      steps.add("check workflow state, agent states, communication and basic functionality");
      steps.add(c.paused() ? "leave it paused, as it was at the checkpoint" : "resume it and wait for its next step");
    } else {
      steps.add("restore " + String.join(", ", plan.components()) + " into the running workflow");
      steps.add("check what was restored, communication and basic functionality");
    }
    return steps;
  }

  private static String workLost(Assessment a, CheckpointChoice c, boolean filesOnly, boolean restart) {
    if (filesOnly) {
      return "none: only the named files return to their version in " + c.checkpointId();
    }
    if (!restart) {
      return "none in progress: the running workflow keeps its steps; the restored components return to "
          + c.checkpointId() + "'s version";
    }
    if (a.stepsCompleted() < 0) {
      return "unknown: the workflow's state is gone; steps after " + c.stepsCompleted()
          + " completed ones run again (the checkpoint's last step: '" + c.step() + "')";
    }
    int lost = Math.max(0, a.stepsCompleted() - c.stepsCompleted());
    return lost + " step(s) run again: the workflow had " + a.stepsCompleted() + " completed, the checkpoint has "
        + c.stepsCompleted();
  }

  private static String abbreviate(List<String> items) {
    return items.size() <= 5 ? String.join(", ", items)
        : String.join(", ", items.subList(0, 5)) + " and " + (items.size() - 5) + " more";
  }


  /** The report under construction. */
  private final class Report {
    final RecoveryRequest request;
    final Assessment assessment;
    final Selection selection;
    final long started;
    String outcome = RecoveryReport.FAILED;
    String error;
    CheckpointChoice choice;
    RestorePlan plan;
    String workLost;
    String backup = "none: the recovery stopped before its backup stage";
    String newRunId;
    long resumedIn = -1;

    Report(RecoveryRequest request, Assessment assessment, Selection selection, long started) {
      this.request = request;
      this.assessment = assessment;
      this.selection = selection;
      this.started = started;
    }

    RecoveryReport build(long finished) {
      return new RecoveryReport(request.recoveryId(), request.projectId(), request.strategy().wire(),
          selection.strategy() == null ? null : selection.strategy().wire(), selection.reason(), selection.scenario(),
          request.dryRun(), outcome, error, request.requestedBy(), request.reason(), assessment, choice, plan, workLost,
          request.dryRun() ? "none: a dry run changes nothing" : backup,
          List.copyOf(actions), List.copyOf(checks), List.copyOf(stages), started, finished, newRunId, resumedIn);
    }
  }
}
