package io.bmadflow.benchmarks;

import io.bmadflow.activities.agents.AgentRoster;
import io.bmadflow.activities.agents.AgentRunner;
import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.client.BmadflowClient;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.devstack.DevStackSession;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.RecoveryRequest;
import io.bmadflow.workflows.recovery.RecoveryStrategy;
import io.bmadflow.workflows.recovery.StageTiming;
import io.bmadflow.worker.BmadflowWorker;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.function.ToLongFunction;

/**
 * Recovery times on the dev stack, per strategy: the seed's scenarios (a failing agent, state
 * lost in a running project, a lost cluster, a deleted file) set up the way {@code RecoveryTest}
 * sets them up, each recovered {@link #RUNS} times through {@link BmadflowClient#recover} with
 * the built-in agents taking no time. Reports each strategy's end-to-end time, validation and
 * resumption against the seed's targets, from the recovery reports of this run. Writes
 * {@code docs/benchmarks-recovery.md} (or the path given as the first argument).
 */
public final class RecoveryBenchmark {
  private RecoveryBenchmark() {}

  /** Measured recoveries per strategy, after one warm-up each ({@code -Druns=N} for a quick check; default 5). */
  static final int RUNS = Integer.getInteger("runs", 5);
  /** How long the agents' steps take before a lost cluster, so the loss lands part way through a project. */
  static final Duration STEP_BEFORE_THE_LOSS = Duration.ofMillis(50);
  /** Workspace files overwritten before a warm, selective or progressive restore: the lost context. */
  static final int FILES_DAMAGED = 3;
  static final Duration TIMEOUT = Duration.ofMinutes(5);
  /** Attempts per strategy (warm-up included) before it is reported with fewer runs: failures are reported, not retried forever. */
  static final int MAX_ATTEMPTS = 2 * RUNS + 2;

  static final Duration HOT_TARGET = Duration.ofSeconds(30);
  static final Duration WARM_TARGET = Duration.ofMinutes(5);
  static final Duration COLD_TARGET = Duration.ofMinutes(30);
  static final Duration VALIDATION_TARGET = Duration.ofMinutes(2);
  static final Duration RESUMPTION_TARGET = Duration.ofMinutes(1);
  /** The aim: this many times better than the seed's target. */
  static final double AIM = 10.0;

  /** One measured recovery, from its report (and, for cold, the stack's reopening). */
  record Sample(RecoveryReport report, long wallMillis, long reopenMillis, long workerStartMillis) {
    long endToEnd() {
      return report.finishedAtMillis() - report.startedAtMillis();
    }

    long validation() {
      return report.stageMillis("validation");
    }
  }

  /** A strategy's row: what it answers, its target, its samples and its failed attempts. */
  static final class Strategy {
    final String name;
    final String scenario;
    final Duration target;
    final List<Sample> samples = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    int attempts;
    boolean warmedUp;

    Strategy(String name, String scenario, Duration target) {
      this.name = name;
      this.scenario = scenario;
      this.target = target;
    }

    /** Whether it still needs its warm-up or measured runs, and has attempts left. */
    boolean wantsMore() {
      return (!warmedUp || samples.size() < RUNS) && attempts < MAX_ATTEMPTS;
    }
  }

  /** One attempt at a scenario; the number makes its project ids unique. */
  interface Scenario {
    Sample run(int attempt) throws Exception;
  }

  /** A recovery that did not report {@code recovered}, or whose result the benchmark found wrong. */
  static final class RecoveryFailed extends Exception {
    RecoveryFailed(String message) {
      super(message);
    }
  }

  private static Path dataDir;
  private static DevStackSession session;
  private static BmadflowClient client;
  private static WorkflowDefinition definition;
  private static final List<Double> LOADS = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "docs/benchmarks-recovery.md");
    Instant started = Instant.now();
    dataDir = Files.createTempDirectory("bmadflow-recovery-bench");
    Path stackDir = dataDir.resolve("stack");
    definition = DefinitionLoader.load(DefinitionLoader.DEFAULT).definition();
    Strategy hot = new Strategy("hot", "agent pm failing (`/bin/false`, fallback `builtin`), auto-selected", HOT_TARGET);
    Strategy warm = new Strategy("warm", "context + progress + agents into a running, paused project", WARM_TARGET);
    Strategy selective = new Strategy("selective", "`agent:analyst` + `context` into a running, paused project", WARM_TARGET);
    Strategy progressive = new Strategy("progressive", "staged restore into a running, paused project, then resume", WARM_TARGET);
    Strategy cold = new Strategy("cold", "lost cluster (stack closed, reopened on its data dir), auto-selected", COLD_TARGET);
    Strategy pointInTime = new Strategy("point-in-time", "deleted `docs/prd.md` of a finished project, `--at` now", WARM_TARGET);

    session = DevStackSession.open(stackDir, 0, 0, null);
    try {
      client = new BmadflowClient(session.temporal().client(), session.store()).withWorkspaceRoot(workspaces());
      progress("hot recoveries");
      try (BmadflowWorker failing = worker("failing-pm", AgentRoster.fromEnvironment(Map.of(
          "BMADFLOW_AGENT_COMMAND_PM", "/bin/false", "BMADFLOW_AGENT_FALLBACK_PM", AgentRoster.BUILTIN,
          AgentRoster.FALLBACK_AFTER, "0"), new BuiltInAgentRunner(Duration.ZERO)))) {
        while (hot.wantsMore()) {
          attempt(hot, RecoveryBenchmark::hot);
        }
      }

      progress("warm, selective, progressive and point-in-time recoveries");
      try (BmadflowWorker plain = worker("plain", new BuiltInAgentRunner(Duration.ZERO))) {
        String finished = "pit-base";
        Path finishedWorkspace = dataDir.resolve("ws").resolve(finished);
        client.start(finished, definition, finishedWorkspace.toString());
        client.awaitResult(finished, TIMEOUT);
        // Round robin, so drift on a shared machine hits every strategy alike.
        Map<Strategy, Scenario> scenarios = new LinkedHashMap<>();
        scenarios.put(warm, n -> intoPausedProject("warm-" + n, RecoveryStrategy.WARM, List.of()));
        scenarios.put(selective, n -> intoPausedProject("selective-" + n, RecoveryStrategy.SELECTIVE,
            List.of("agent:analyst", "context")));
        scenarios.put(progressive, n -> intoPausedProject("progressive-" + n, RecoveryStrategy.PROGRESSIVE, List.of()));
        scenarios.put(pointInTime, n -> pointInTime(finished, finishedWorkspace));
        while (scenarios.keySet().stream().anyMatch(Strategy::wantsMore)) {
          scenarios.forEach((strategy, scenario) -> {
            if (strategy.wantsMore()) {
              attempt(strategy, scenario);
            }
          });
        }
      }

      progress("cold recoveries (each loses the cluster)");
      while (cold.wantsMore()) {
        attempt(cold, n -> cold(n, stackDir));
      }
    } finally {
      session.close();
    }

    List<Strategy> strategies = List.of(hot, warm, selective, progressive, cold, pointInTime);
    String report = report(started, strategies, cold);
    Files.writeString(out, report);
    System.out.println(report);
    deleteTree(dataDir);
  }

  /**
   * Runs one attempt and keeps its sample (the first successful one is the warm-up, not counted);
   * a failed recovery is kept as a failure with its message, and the next attempt starts on a new
   * project; anything else stops the benchmark.
   */
  private static void attempt(Strategy strategy, Scenario scenario) {
    int n = strategy.attempts++;
    Sample sample;
    try {
      sample = scenario.run(n);
    } catch (RecoveryFailed e) {
      strategy.failures.add(e.getMessage());
      System.err.printf(Locale.ROOT, "  %s attempt %d FAILED: %s%n", strategy.name, n, e.getMessage());
      return;
    } catch (Exception e) {
      throw new IllegalStateException(strategy.name + " attempt " + n + ": " + e.getMessage(), e);
    }
    boolean warmUp = !strategy.warmedUp;
    strategy.warmedUp = true;
    System.err.printf(Locale.ROOT, "  %s %s: end-to-end %d ms, validation %d ms, resumed in %d ms%s%n", strategy.name,
        warmUp ? "warm-up" : "run " + (strategy.samples.size() + 1), sample.endToEnd(), sample.validation(),
        sample.report().resumedInMillis(), sample.reopenMillis() > 0 ? ", stack reopened in " + sample.reopenMillis() + " ms" : "");
    if (!warmUp) {
      strategy.samples.add(sample);
    }
  }

  // ---- scenarios -------------------------------------------------------------------------------

  /**
   * A project whose agent pm always fails, its fallback the built-in pm: waits (with dry runs)
   * until the assessment sees pm failing, then recovers with {@code auto}, which must pick hot.
   */
  private static Sample hot(int attempt) throws Exception {
    String project = "hot-" + attempt;
    client.start(project, definition, dataDir.resolve("ws").resolve(project).toString());
    long t0 = System.nanoTime();
    String runId = client.awaitStarted(project, Duration.ofSeconds(30)) == null ? client.status(project).runId() : null;
    long deadline = t0 + Duration.ofSeconds(60).toNanos();
    while (true) {
      RecoveryReport plan = client.recover(request(project, RecoveryStrategy.AUTO, List.of(), true), TIMEOUT);
      if ("hot".equals(plan.strategy())) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("project " + project + ": the assessment never saw pm failing: " + plan.scenario());
      }
      Thread.sleep(50);
    }
    long seen = (System.nanoTime() - t0) / 1_000_000;
    Sample sample = recover(request(project, RecoveryStrategy.AUTO, List.of(), false), "hot");
    ProjectSnapshot end = client.awaitResult(project, TIMEOUT).finalState();
    System.err.printf(Locale.ROOT, "  %s: pm seen failing %d ms after the start, project finished %d ms after it%n", project,
        seen, (System.nanoTime() - t0) / 1_000_000);
    check(runId != null && runId.equals(client.status(project).runId()), project + ": a hot recovery restarted the workflow");
    check(end.fallbackAgents().equals(List.of("pm")), project + ": pm did not move to its fallback: " + end.fallbackAgents());
    return sample;
  }

  /**
   * A project paused part way through with a fresh checkpoint and {@value #FILES_DAMAGED} of its
   * workspace files overwritten (the lost context), recovered with the given strategy; the files
   * must come back.
   */
  private static Sample intoPausedProject(String project, RecoveryStrategy strategy, List<String> components)
      throws Exception {
    Path workspace = dataDir.resolve("ws").resolve(project);
    client.start(project, definition, workspace.toString());
    ProjectSnapshot state = awaitState(project, s -> s.stepsCompleted() >= 6 || "complete".equals(s.phase()));
    require(!"complete".equals(state.phase()), project + " finished before it could be paused");
    client.pause(project, "benchmark");
    state = awaitState(project, ProjectSnapshot::paused);
    client.createCheckpoint(project, new ManualCheckpoint("user", "before the restore", "benchmark"));
    Map<String, String> damaged = new TreeMap<>();
    for (String path : state.artifacts().values().stream().map(a -> a.path()).sorted().toList()) {
      Path file = workspace.resolve(path);
      if (damaged.size() < FILES_DAMAGED && Files.isRegularFile(file)) {
        damaged.put(path, Sha256.hex(Files.readAllBytes(file)));
        Files.writeString(file, "lost\n");
      }
    }
    require(!damaged.isEmpty(), project + ": no workspace file to damage");
    Sample sample = recover(request(project, strategy, components, false), strategy.wire());
    for (Map.Entry<String, String> file : damaged.entrySet()) {
      check(file.getValue().equals(Sha256.hex(Files.readAllBytes(workspace.resolve(file.getKey())))),
          project + ": " + file.getKey() + " was not restored");
    }
    if (strategy == RecoveryStrategy.PROGRESSIVE) {
      check("complete".equals(client.awaitResult(project, TIMEOUT).finalState().phase()), project + " did not finish");
    } else {
      check(client.state(project).paused(), project + ": a " + strategy.wire() + " restore resumed the project");
    }
    return sample;
  }

  /** A finished project's deleted PRD, restored as it was at the newest checkpoint at or before now. */
  private static Sample pointInTime(String project, Path workspace) throws Exception {
    Path prd = workspace.resolve("docs/prd.md");
    String before = Sha256.hex(Files.readAllBytes(prd));
    Files.delete(prd);
    RecoveryRequest request = new RecoveryRequest(BmadflowClient.newRecoveryId(), project, RecoveryStrategy.POINT_IN_TIME,
        null, System.currentTimeMillis(), List.of("file:docs/prd.md"), false, "benchmark", "deleted by mistake", 0);
    Sample sample = recover(request, "point-in-time");
    check(Files.isRegularFile(prd) && before.equals(Sha256.hex(Files.readAllBytes(prd))), "docs/prd.md was not restored");
    return sample;
  }

  /**
   * A project part way through (its agents taking {@link #STEP_BEFORE_THE_LOSS} a step), its worker
   * killed and the whole stack closed: Temporal's history is gone, S3's data stays on disk. The
   * stack is reopened on the same data dir, a worker started, and {@code auto} must pick cold.
   */
  private static Sample cold(int attempt, Path stackDir) throws Exception {
    String project = "cold-" + attempt;
    BmadflowWorker before = worker("before-the-loss", new BuiltInAgentRunner(STEP_BEFORE_THE_LOSS));
    try {
      client.start(project, definition, dataDir.resolve("ws").resolve(project).toString());
      awaitState(project, s -> s.stepsCompleted() >= 12 && s.checkpoints().size() >= 2);
    } finally {
      before.kill();
    }
    session.close();

    long t0 = System.nanoTime();
    session = DevStackSession.open(stackDir, 0, 0, null);
    long reopened = (System.nanoTime() - t0) / 1_000_000;
    client = new BmadflowClient(session.temporal().client(), session.store()).withWorkspaceRoot(workspaces());
    long t1 = System.nanoTime();
    try (BmadflowWorker after = worker("after-the-loss", new BuiltInAgentRunner(Duration.ZERO))) {
      long workerStarted = (System.nanoTime() - t1) / 1_000_000;
      Sample sample = recover(request(project, RecoveryStrategy.AUTO, List.of(), false), "cold");
      check("complete".equals(client.awaitResult(project, TIMEOUT).finalState().phase()), project + " did not finish");
      return new Sample(sample.report(), sample.wallMillis(), reopened, workerStarted);
    }
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static RecoveryRequest request(String project, RecoveryStrategy strategy, List<String> components, boolean dryRun) {
    return new RecoveryRequest(BmadflowClient.newRecoveryId(), project, strategy, null, null, components, dryRun,
        "benchmark", "recovery benchmark", 0);
  }

  private static Sample recover(RecoveryRequest request, String expectedStrategy) throws Exception {
    long t0 = System.nanoTime();
    RecoveryReport report = client.recover(request, TIMEOUT);
    long wall = (System.nanoTime() - t0) / 1_000_000;
    if (!RecoveryReport.RECOVERED.equals(report.outcome())) {
      String checkpoint = "";
      if (report.checkpoint() != null) {
        var validation = client.checkpointMetadata(request.projectId(), report.checkpoint().checkpointId()).integrityValidation();
        checkpoint = " (" + report.strategy() + " from " + report.checkpoint().checkpointId() + ", " + report.checkpoint().why()
            + "; that checkpoint's own validation when it was taken: " + validation.validationStatus() + " "
            + validation.validationDetails() + ")";
      }
      throw new RecoveryFailed("recovery " + report.recoveryId() + " of " + request.projectId() + ": " + report.outcome() + ": "
          + report.error() + checkpoint);
    }
    check(expectedStrategy.equals(report.strategy()),
        "recovery of " + request.projectId() + " used " + report.strategy() + ", not " + expectedStrategy);
    return new Sample(report, wall, 0, 0);
  }

  /** A recovery's result the benchmark finds wrong counts as a failed recovery. */
  private static void check(boolean condition, String problem) throws RecoveryFailed {
    if (!condition) {
      throw new RecoveryFailed(problem);
    }
  }

  private static BmadflowWorker worker(String name, AgentRunner agents) {
    return BmadflowWorker.start(session.temporal(), session.store(),
        new BmadflowWorker.Options(name, dataDir.resolve("workspaces"), agents)
            .withAllowedWorkspaceRoots(workspaces().allowed()));
  }

  private static ProjectSnapshot awaitState(String project, Predicate<ProjectSnapshot> until) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      try {
        ProjectSnapshot state = client.state(project);
        if (until.test(state)) {
          return state;
        }
      } catch (RuntimeException noWorkerYet) {
        // Keep polling.
      }
      Thread.sleep(10);
    }
    throw new IllegalStateException("project " + project + " did not reach the expected state in 90 s");
  }

  private static void require(boolean condition, String problem) {
    if (!condition) {
      throw new IllegalStateException(problem);
    }
  }

  // ---- report ----------------------------------------------------------------------------------

  private static String report(Instant started, List<Strategy> strategies, Strategy cold) throws Exception {
    StringBuilder md = new StringBuilder();
    md.append("# Recovery times\n\n")
        .append("Generated by `benchmarks/run` (`io.bmadflow.benchmarks.RecoveryBenchmark`). Every figure below comes from\n")
        .append("one run of that command; re-running it rewrites this file.\n\n")
        .append("- Date: ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(", ")
        .append(Duration.between(started, Instant.now()).toSeconds()).append(" s\n")
        .append("- Machine: ").append(Machine.describe()).append('\n')
        .append("- Load average (1 min, whole machine, this run included) at each step: ")
        .append(LOADS.stream().map(l -> String.format(Locale.ROOT, "%.2f", l)).toList()).append('\n')
        .append("- Setup: the dev stack (Temporal's test server and S3Proxy on 127.0.0.1), a worker and the client in one JVM;\n")
        .append("  the bundled greenfield-fullstack project; built-in agents taking 0 ms a step. ").append(RUNS)
        .append(" measured recoveries per\n  strategy after one warm-up each, through `BmadflowClient.recover`; each must report `recovered`\n")
        .append("  with the expected strategy, and the benchmark checks what it restored (files' SHA-256, the fallback agent,\n")
        .append("  the project finishing) before it counts. In the warm, selective and progressive scenarios the project is\n")
        .append("  paused after at least 6 steps, a checkpoint taken, and ").append(FILES_DAMAGED)
        .append(" of its workspace files overwritten (the lost context).\n\n")
        .append("`java -version`:\n\n```\n").append(Machine.javaVersion()).append("```\n\n");

    md.append("## Recovery time per strategy\n\n")
        .append("*End-to-end* is the recovery report's `finishedAtMillis - startedAtMillis`: from the recovery workflow's\n")
        .append("start to its report stored beside the checkpoints, every stage included. Hot, cold and progressive end by\n")
        .append("resuming the project and waiting for its next finished step, so theirs runs to the project working again;\n")
        .append("warm and selective leave the project paused (the operator resumes it) and point-in-time of a file does\n")
        .append("not touch the workflow, so they have no resumption. *Validation* is `stageMillis(\"validation\")` (the sum\n")
        .append("of the checks' durations); *resumption* is `resumedInMillis` (resume to the next finished step). The seed\n")
        .append("has targets for hot, warm and cold; selective, progressive and point-in-time are held to warm's.\n")
        .append("*Target / p50* is how many times faster than the target the median is; the aim is ")
        .append(aim()).append("x.\n*Runs* counts the measured recoveries; a failed one (listed at the end) is not timed.\n\n")
        .append("| Strategy | Scenario | Runs | End-to-end p50 | End-to-end max | Validation p50 | Resumption p50 | Target | Target / p50 | ")
        .append(aim()).append("x aim |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Strategy s : strategies) {
      List<Long> e2e = sorted(s.samples, Sample::endToEnd);
      md.append("| ").append(s.name).append(" | ").append(s.scenario).append(" | ").append(runs(s)).append(" | ")
          .append(ms(percentile(e2e, 50))).append(" | ").append(ms(max(e2e))).append(" | ")
          .append(ms(percentile(sorted(s.samples, Sample::validation), 50))).append(" | ")
          .append(ms(percentile(resumptions(s), 50))).append(" | ")
          .append(human(s.target)).append(" | ").append(against(s.target, e2e)).append(" |\n");
    }

    md.append("\n## Validation and resumption against their targets\n\n")
        .append("Validation < ").append(human(VALIDATION_TARGET)).append(" and resumption < ").append(human(RESUMPTION_TARGET))
        .append(", per strategy.\n\n")
        .append("| Strategy | Validation p50 | Validation max | ").append(human(VALIDATION_TARGET)).append(" / p50 | ")
        .append(aim()).append("x aim | Resumption p50 | Resumption max | ").append(human(RESUMPTION_TARGET))
        .append(" / p50 | ").append(aim()).append("x aim |\n")
        .append("|---|---|---|---|---|---|---|---|---|\n");
    for (Strategy s : strategies) {
      List<Long> validation = sorted(s.samples, Sample::validation);
      md.append("| ").append(s.name).append(" | ").append(ms(percentile(validation, 50))).append(" | ")
          .append(ms(max(validation))).append(" | ").append(against(VALIDATION_TARGET, validation)).append(" | ");
      List<Long> resumed = resumptions(s);
      if (resumed.isEmpty()) {
        md.append(s.samples.isEmpty() ? "— | — | — | — |\n" : "no resumption | | | |\n");
      } else {
        md.append(ms(percentile(resumed, 50))).append(" | ").append(ms(max(resumed))).append(" | ")
            .append(against(RESUMPTION_TARGET, resumed)).append(" |\n");
      }
    }

    List<Long> reopen = sorted(cold.samples, Sample::reopenMillis);
    List<Long> workerStart = sorted(cold.samples, Sample::workerStartMillis);
    List<Long> lossToRunning = sorted(cold.samples, x -> x.reopenMillis() + x.workerStartMillis() + x.wallMillis());
    md.append("\n## A lost cluster, from the stack's reopening\n\n")
        .append("Cold's end-to-end above starts when the recovery does. Before it, the dev stack is reopened on the same\n")
        .append("data dir (`DevStackSession.open`: Temporal's test server with an empty history, S3Proxy on the kept files)\n")
        .append("and a worker started. *Reopen to running* adds those to the client's wall time of the recovery call.\n")
        .append("Before each loss the agents take ").append(STEP_BEFORE_THE_LOSS.toMillis())
        .append(" ms a step, so it lands part way through the project (at least 12 steps\nand 2 checkpoints in);")
        .append(" after it they take 0 ms.\n\n")
        .append("| Figure | p50 | max |\n|---|---|---|\n")
        .append("| reopen the dev stack | ").append(ms(percentile(reopen, 50))).append(" | ").append(ms(max(reopen))).append(" |\n")
        .append("| start a worker | ").append(ms(percentile(workerStart, 50))).append(" | ").append(ms(max(workerStart)))
        .append(" |\n")
        .append("| cold recovery, end-to-end (report) | ").append(ms(percentile(sorted(cold.samples, Sample::endToEnd), 50)))
        .append(" | ").append(ms(max(sorted(cold.samples, Sample::endToEnd)))).append(" |\n")
        .append("| reopen to running (reopen + worker + recovery call) | ").append(ms(percentile(lossToRunning, 50)))
        .append(" | ").append(ms(max(lossToRunning))).append(" |\n\n")
        .append("Reopen to running against the cold target (").append(human(COLD_TARGET)).append("), target / p50 and the ")
        .append(aim()).append("x aim: ").append(against(COLD_TARGET, lossToRunning).replace(" | ", ", ")).append(".\n");

    md.append("\n## Where the time goes\n\n")
        .append("Median of each stage's duration in the reports (ms; a stage that ran several times in one recovery, such\n")
        .append("as restoration or validation, is summed; — where it did not run).\n\n");
    // The seed's stages in their order; any other a report lists goes after them.
    Set<String> stageNames = new LinkedHashSet<>(List.of("initiation", "assessment", "strategy", "selection", "planning",
        "backup", "restoration", "validation", "resumption", "verification"));
    for (Strategy s : strategies) {
      for (Sample sample : s.samples) {
        sample.report().stages().stream().map(StageTiming::stage).forEach(stageNames::add);
      }
    }
    md.append("| Strategy |");
    stageNames.forEach(n -> md.append(' ').append(n).append(" |"));
    md.append("\n|---|");
    stageNames.forEach(n -> md.append("---|"));
    md.append('\n');
    for (Strategy s : strategies) {
      md.append("| ").append(s.name).append(" |");
      for (String stage : stageNames) {
        boolean ran = s.samples.stream().anyMatch(x -> x.report().stages().stream().anyMatch(t -> t.stage().equals(stage)));
        md.append(' ').append(ran ? Long.toString(percentile(sorted(s.samples, x -> x.report().stageMillis(stage)), 50)) : "—")
            .append(" |");
      }
      md.append('\n');
    }

    md.append("\n## Failed recoveries\n\n");
    boolean any = false;
    for (Strategy s : strategies) {
      for (String failure : s.failures) {
        md.append("- ").append(s.name).append(": ").append(failure).append('\n');
        any = true;
      }
    }
    if (!any) {
      md.append("None: every attempt reported `recovered` and passed the benchmark's checks.\n");
    }
    return md.toString();
  }

  /** Target / p50 and whether it meets the aim, as two table cells. */
  private static String against(Duration target, List<Long> sorted) {
    if (sorted.isEmpty()) {
      return "— | no successful run";
    }
    double ratio = target.toMillis() / (double) Math.max(1, percentile(sorted, 50));
    return fmt(ratio) + "x | " + (ratio >= AIM ? "met" : "**not met**");
  }

  private static String runs(Strategy s) {
    return s.samples.size() + (s.failures.isEmpty() ? "" : " (+" + s.failures.size() + " failed)");
  }

  private static List<Long> resumptions(Strategy s) {
    List<Long> values = new ArrayList<>();
    for (Sample sample : s.samples) {
      if (sample.report().resumedInMillis() >= 0) {
        values.add(sample.report().resumedInMillis());
      }
    }
    Collections.sort(values);
    return values;
  }

  private static List<Long> sorted(List<Sample> samples, ToLongFunction<Sample> figure) {
    List<Long> values = new ArrayList<>();
    samples.forEach(s -> values.add(figure.applyAsLong(s)));
    Collections.sort(values);
    return values;
  }

  /** Nearest-rank percentile of sorted values, or -1 when there are none. */
  static long percentile(List<Long> sorted, int p) {
    if (sorted.isEmpty()) {
      return -1;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  private static long max(List<Long> sorted) {
    return sorted.isEmpty() ? -1 : sorted.get(sorted.size() - 1);
  }

  private static String ms(long millis) {
    return millis < 0 ? "—" : millis + " ms";
  }

  private static String fmt(double value) {
    return value >= 100 ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.1f", value);
  }

  private static String aim() {
    return String.format(Locale.ROOT, "%.0f", AIM);
  }

  private static String human(Duration d) {
    return d.toSeconds() >= 60 && d.toSeconds() % 60 == 0 ? d.toMinutes() + " min" : d.toSeconds() + " s";
  }

  private static void progress(String step) {
    double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    LOADS.add(load);
    System.err.printf(Locale.ROOT, "[benchmark %s, load %.2f] %s%n", Instant.now().truncatedTo(ChronoUnit.SECONDS), load, step);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** The benchmark keeps its projects' workspaces under {@code <dataDir>/ws}, allowed beside the workers' root. */
  private static io.bmadflow.infra.config.WorkspaceRoot workspaces() {
    return io.bmadflow.infra.config.WorkspaceRoot.of(dataDir.resolve("workspaces"), List.of(dataDir.resolve("ws")));
  }
}
