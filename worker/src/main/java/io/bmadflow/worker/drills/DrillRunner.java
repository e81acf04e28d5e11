package io.bmadflow.worker.drills;

import io.bmadflow.activities.Workspace;
import io.bmadflow.activities.agents.AgentFallbacks;
import io.bmadflow.activities.agents.AgentRoster;
import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.client.BmadflowClient;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.devstack.DevStackSession;
import io.bmadflow.infra.devstack.TemporalChoice;
import io.bmadflow.infra.faults.FaultProxy;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.infra.recovery.DrillReport;
import io.bmadflow.infra.temporal.TemporalConnection;
import io.bmadflow.worker.BmadflowWorker;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.project.ComponentRestore;
import io.bmadflow.workflows.project.ProjectOutcome;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.RecoveryRequest;
import io.bmadflow.workflows.recovery.RecoveryStrategy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Runs recovery drills: each injects a real fault into a real project on an embedded stack
 * (Temporal's test server and S3Proxy, in {@code dataDir}) and checks the recovery. The drill's
 * workers reach Temporal and S3 through {@link FaultProxy}s, so a drill can cut or slow their
 * traffic; the drill's own client (the operator's side) talks to both directly.
 *
 * <p>The verdict: the recovered project must finish with the same state ({@link ProjectOutcome})
 * and the same workspace files as an uninterrupted run of the same project, which the drill runs
 * first (same id, its own workspace; its checkpoints are then deleted so that no recovery can use
 * them). Anything else is a failure, with the first difference as evidence.
 */
public final class DrillRunner implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DrillRunner.class);
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final List<String> AGENTS = List.of("pm", "architect", "po", "sm", "dev", "qa");

  /**
   * How drills run.
   *
   * @param dataDir where the drill stack keeps its data and the projects their workspaces
   * @param projectPrefix the drill projects' id prefix
   * @param agentStepMs how long each built-in agent step works (faults land mid-run)
   * @param recovery whether the drill recovers; off, every drill must fail (a check of the drills)
   * @param finishTimeout how long a recovered project may take to finish
   * @param seed the random seed of fault kinds and timings
   * @param temporal which Temporal server the drill stack runs (the test server by default); on
   *     the dev server a lost cluster stops it and deletes its database
   */
  public record Options(Path dataDir, String projectPrefix, long agentStepMs, boolean recovery, Duration finishTimeout, long seed,
      TemporalChoice temporal) {
    public Options {
      temporal = temporal == null ? TemporalChoice.TEST_SERVER : temporal;
    }

    /** On the Java test server. */
    public Options(Path dataDir, String projectPrefix, long agentStepMs, boolean recovery, Duration finishTimeout, long seed) {
      this(dataDir, projectPrefix, agentStepMs, recovery, finishTimeout, seed, TemporalChoice.TEST_SERVER);
    }
  }

  private final Options options;
  private final DevStackSession session;
  private final FaultProxy temporalProxy;
  private final FaultProxy s3Proxy;
  private final TemporalConnection workerTemporal;
  private final S3Client workerS3;
  private final S3CheckpointStore workerStore;
  private final BmadflowClient client;
  private final CheckpointStore reports;
  private final BmadflowMetrics metrics;
  private final FaultyAgents agents;
  private final WorkflowDefinition definition;
  private final Random random;
  private BmadflowWorker worker;
  private int workers;

  private DrillRunner(Options options, DevStackSession session, FaultProxy temporalProxy, FaultProxy s3Proxy,
      CheckpointStore reports, BmadflowMetrics metrics) {
    this.options = options;
    this.session = session;
    this.temporalProxy = temporalProxy;
    this.s3Proxy = s3Proxy;
    this.workerTemporal = TemporalConnection.toDevStack(temporalProxy.address(), DevStack.NAMESPACE, null,
        session.stack().temporal().isTestServer());
    S3Settings direct = session.stack().s3Settings();
    S3Settings proxied = new S3Settings(s3Proxy.endpoint(), direct.bucket(), direct.prefix(), direct.region(), direct.credentials());
    this.workerS3 = proxied.newClient();
    this.workerStore = new S3CheckpointStore(workerS3, proxied, session.storeOptions());
    this.client = new BmadflowClient(session.temporal().client(), session.store())
        .withWorkspaceRoot(io.bmadflow.infra.config.WorkspaceRoot.of(options.dataDir().resolve("workspaces")));
    this.reports = reports != null ? reports : session.store();
    this.metrics = metrics;
    this.agents = new FaultyAgents(new BuiltInAgentRunner(Duration.ofMillis(options.agentStepMs())));
    this.definition = DefinitionLoader.load(DefinitionLoader.DEFAULT).definition();
    this.random = new Random(options.seed());
  }

  /**
   * Starts the drill stack, the proxies and a worker.
   *
   * @param reports where drill reports go (null: the drill stack's own bucket)
   * @param metrics where drill results are counted (null: nowhere)
   */
  public static DrillRunner start(Options options, CheckpointStore reports, BmadflowMetrics metrics) throws IOException {
    return start(options, reports, metrics, Map.of());
  }

  /**
   * Starts the drill stack, the proxies and a worker, writing packages with the store options of
   * {@code env} ({@code BMADFLOW_ENCRYPTION_KEY}, compression, ...) as {@code bmadflow worker}
   * would; the drill stack's bucket layout stays its own (no prefix, no server-side encryption).
   */
  public static DrillRunner start(Options options, CheckpointStore reports, BmadflowMetrics metrics, Map<String, String> env)
      throws IOException {
    Map<String, String> storeEnv = new java.util.HashMap<>(env);
    storeEnv.keySet().removeAll(List.of("BMADFLOW_S3_PREFIX", "BMADFLOW_S3_SSE", "BMADFLOW_S3_SSE_KMS_KEY_ID"));
    DevStackSession session = DevStackSession.open(options.dataDir().resolve("stack"), options.temporal(), 0, 0, null, storeEnv);
    FaultProxy temporal = null;
    FaultProxy s3 = null;
    try {
      temporal = FaultProxy.start("127.0.0.1", session.stack().temporalPort());
      s3 = FaultProxy.start("127.0.0.1", session.stack().s3Port());
      DrillRunner runner = new DrillRunner(options, session, temporal, s3, reports, metrics);
      runner.startWorker();
      return runner;
    } catch (RuntimeException | IOException e) {
      if (s3 != null) {
        s3.close();
      }
      if (temporal != null) {
        temporal.close();
      }
      session.close();
      throw e;
    }
  }

  private void startWorker() {
    AgentRoster roster = new AgentRoster(Map.of(), agents, null, List.of(),
        new AgentFallbacks(Map.of(), new BuiltInAgentRunner(Duration.ofMillis(options.agentStepMs())), 0));
    worker = BmadflowWorker.start(workerTemporal, workerStore,
        new BmadflowWorker.Options("drill-worker-" + (++workers), options.dataDir().resolve("workspaces"), roster));
  }

  /** Where this runner stores its drill reports. */
  public CheckpointStore reports() {
    return reports;
  }

  /** Which Temporal server the drill stack runs, and where (the first line `bmadflow drill` prints). */
  public String temporalDescription() {
    return session.stack().temporal().describe();
  }

  /** The drill stack's Temporal client (direct, not through the proxies). */
  public io.temporal.client.WorkflowClient client() {
    return session.temporal().client();
  }

  /** Runs each scenario {@code runs} times and returns the reports, in order. */
  public List<DrillReport> run(List<DrillScenario> scenarios, int runs) {
    List<DrillReport> out = new ArrayList<>();
    for (int n = 1; n <= runs; n++) {
      for (DrillScenario scenario : scenarios) {
        out.add(run(scenario, n));
      }
    }
    return out;
  }

  /** One drill: inject the scenario's fault, recover, compare, store the report. */
  public DrillReport run(DrillScenario scenario, int n) {
    long started = System.currentTimeMillis();
    String runId = "drill-" + STAMP.format(Instant.ofEpochMilli(started)) + "-" + scenario.wire() + "-" + n;
    String project = projectId(scenario.wire().substring(0, scenario.wire().indexOf('-')) + "-" + n + "-" + Long.toString(started, 36));
    Drill drill = new Drill(runId, scenario, project);
    try {
      baseline(drill);
      switch (scenario) {
        case SINGLE_AGENT_FAILURE -> agentFailure(drill, 1);
        case MULTIPLE_AGENT_FAILURE -> agentFailure(drill, 2);
        case COMMUNICATION_BREAKDOWN -> communicationBreakdown(drill);
        case STATE_CORRUPTION -> stateCorruption(drill);
        case STORAGE_FAILURE -> storageFailure(drill);
        case CASCADE_FAILURE -> cascade(drill);
        case HUMAN_ERROR -> humanError(drill);
      }
      drill.verdict(compare(drill));
    } catch (Exception e) {
      drill.evidence.add("the drill stopped: " + e);
      drill.verdict(false);
      log.warn("drill {} failed: {}", runId, e.toString());
    } finally {
      agents.heal();
      temporalProxy.restore();
      s3Proxy.restore();
      temporalProxy.delay(Duration.ZERO);
    }
    DrillReport report = new DrillReport(runId, scenario.wire(), project, drill.passed, drill.passed ? DrillReport.NOTHING_LOST
        : "not recovered: " + (drill.evidence.isEmpty() ? "see the evidence" : drill.evidence.get(0)), drill.faults,
        drill.recoveries, drill.strategies, drill.evidence, started, System.currentTimeMillis(), drill.recoveryMillis);
    store(report);
    return report;
  }

  // ---- scenarios -----------------------------------------------------------------------------

  /** Agents crash on every attempt; each failing one gets a hot recovery once the assessment sees it. */
  private void agentFailure(Drill d, int count) throws Exception {
    List<String> pool = new ArrayList<>(AGENTS);
    java.util.Collections.shuffle(pool, random);
    List<String> failing = pool.subList(0, count);
    failing.forEach(agents::crash);
    d.fault("agents " + String.join(", ", failing) + " crash on every attempt from the start");
    start(d);
    long deadline = System.nanoTime() + options.finishTimeout().toNanos();
    while (System.nanoTime() < deadline && !finished(d.project)) {
      if (options.recovery()) {
        RecoveryReport plan = client.recover(request(d, RecoveryStrategy.AUTO, List.of(), true), Duration.ofMinutes(2));
        if ("hot".equals(plan.strategy())) {
          recover(d, RecoveryStrategy.HOT, List.of());
          continue;
        }
      }
      Thread.sleep(200);
    }
  }

  /** The workers' path to Temporal or S3 is cut, or slowed, for a few seconds mid-run. */
  private void communicationBreakdown(Drill d) throws Exception {
    start(d);
    awaitSteps(d.project, 3 + random.nextInt(12));
    int kind = random.nextInt(3);
    long millis = 1_500 + random.nextInt(2_500);
    FaultProxy target = kind == 1 ? s3Proxy : temporalProxy;
    if (kind == 2) {
      d.fault("workers' traffic to Temporal delayed by 150 ms per chunk for " + millis + " ms");
      temporalProxy.delay(Duration.ofMillis(150));
      Thread.sleep(millis);
      temporalProxy.delay(Duration.ZERO);
    } else {
      d.fault("workers' connections to " + (kind == 1 ? "S3" : "Temporal") + " cut for " + millis + " ms");
      target.cut();
      Thread.sleep(millis);
      target.restore();
    }
    if (options.recovery()) {
      // Workers and clients reconnect by themselves; a recovery only has to confirm it.
      RecoveryReport check = client.recover(request(d, RecoveryStrategy.AUTO, List.of(), true), Duration.ofMinutes(2));
      d.evidence.add("after the breakdown the assessment found: " + check.scenario());
    } else {
      // Without recovery the workers stay cut off: what a partition that never heals does.
      target.cut();
      d.fault("and cut again for good, recovery being disabled");
    }
  }

  /** The newest checkpoint's objects are altered, one or all, and the workflow is lost. */
  private void stateCorruption(Drill d) throws Exception {
    start(d);
    awaitCheckpoints(d.project, 2 + random.nextInt(3));
    String newest = quiesce(d);
    boolean complete = random.nextBoolean();
    String prefix = PackagePaths.packagePrefix(session.stack().s3Settings().prefix(), d.project, newest);
    List<String> keys = keys(prefix);
    List<String> altered = complete ? keys : List.of(prefix + PackagePaths.WORKFLOW_STATE);
    for (String key : altered) {
      session.s3().putObject(b -> b.bucket(DevStack.BUCKET).key(key), RequestBody.fromString("{\"corrupted\": \"by a drill\"}"));
    }
    d.fault((complete ? "all " + altered.size() + " objects" : "workflow-state-snapshot.json") + " of the newest checkpoint "
        + newest + " overwritten");
    lose(d);
    recover(d, RecoveryStrategy.AUTO, List.of());
    resumeIfPaused(d);
  }

  /** S3 is unreachable for the workers, the workflow is lost, and the recovery starts in the outage. */
  private void storageFailure(Drill d) throws Exception {
    start(d);
    awaitSteps(d.project, 3 + random.nextInt(15));
    long outage = 2_000 + random.nextInt(2_000);
    s3Proxy.cut();
    d.fault("workers cut off from S3 for " + outage + " ms");
    Thread.sleep(outage / 2);
    lose(d);
    CompletableFuture<Void> heal = CompletableFuture.runAsync(() -> {
      sleep(outage / 2);
      if (options.recovery()) {
        s3Proxy.restore();
      }
    });
    recover(d, RecoveryStrategy.AUTO, List.of());
    heal.join();
  }

  /** The workflow is lost; then the worker is killed while the recovery runs. */
  private void cascade(Drill d) throws Exception {
    start(d);
    awaitSteps(d.project, 3 + random.nextInt(15));
    lose(d);
    long killAfter = 100 + random.nextInt(700);
    CompletableFuture<Void> kill = CompletableFuture.runAsync(() -> {
      sleep(killAfter);
      worker.kill();
      d.fault("worker killed " + killAfter + " ms into the recovery; a new one starts 500 ms later");
      sleep(500);
      startWorker();
    });
    recover(d, RecoveryStrategy.AUTO, List.of());
    kill.join();
  }

  /** Workspace files deleted and modified after the run, or the newest checkpoint deleted with the workflow lost. */
  private void humanError(Drill d) throws Exception {
    start(d);
    if (random.nextBoolean()) {
      client.awaitResult(d.project, options.finishTimeout());
      ProjectSnapshot end = client.state(d.project);
      List<String> paths = new ArrayList<>(end.artifacts().keySet());
      java.util.Collections.shuffle(paths, random);
      Path deleted = d.workspace.resolve(paths.get(0));
      Path modified = d.workspace.resolve(paths.get(1));
      Files.delete(deleted);
      Files.writeString(modified, "\nedited by mistake\n", java.nio.file.StandardOpenOption.APPEND);
      d.fault("deleted " + paths.get(0) + " and modified " + paths.get(1) + " in the workspace");
      recover(d, RecoveryStrategy.AUTO, List.of(ComponentRestore.FILE_PREFIX + paths.get(0),
          ComponentRestore.FILE_PREFIX + paths.get(1)));
    } else {
      awaitCheckpoints(d.project, 2 + random.nextInt(3));
      String newest = quiesce(d);
      for (String key : keys(PackagePaths.packagePrefix(session.stack().s3Settings().prefix(), d.project, newest))) {
        session.s3().deleteObject(b -> b.bucket(DevStack.BUCKET).key(key));
      }
      d.fault("newest checkpoint " + newest + " deleted");
      lose(d);
      recover(d, RecoveryStrategy.AUTO, List.of());
      resumeIfPaused(d);
    }
  }

  // ---- steps ---------------------------------------------------------------------------------

  private void start(Drill d) {
    client.start(new ProjectRequest(d.project, definition, d.workspace.toString()));
  }

  /** Pauses the project and lets its checkpointer settle; returns the newest checkpoint. */
  private String quiesce(Drill d) throws Exception {
    client.pause(d.project, "drill " + d.runId);
    awaitState(d.project, ProjectSnapshot::paused);
    Thread.sleep(500);
    List<CheckpointSummary> all = session.store().list(d.project);
    return all.get(all.size() - 1).checkpointId();
  }

  /**
   * The drill paused the project to inject its fault, and a checkpoint taken meanwhile recorded the
   * pause, which a recovery faithfully restores: the operator resumes it, as after any pause.
   */
  private void resumeIfPaused(Drill d) {
    try {
      if (options.recovery() && client.state(d.project).paused()) {
        client.resume(d.project, "drill " + d.runId + ": the pause was the drill's");
        d.fault("the project was restored paused (as checkpointed); the drill resumed it");
      }
    } catch (RuntimeException e) {
      d.evidence.add("could not resume the recovered project: " + Failures.rootMessage(e));
    }
  }

  /**
   * The workflow's state is lost. On the test server its run is terminated (a corrupted or deleted
   * history); on the dev server the cluster is lost for real: the server is stopped, its database
   * deleted, and it starts again empty on the same port.
   */
  private void lose(Drill d) {
    if (!session.stack().temporal().isTestServer()) {
      try {
        session.stack().temporal().loseAllHistory();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("drill " + d.runId + ": the dev server could not be restarted after deleting"
            + " its history: " + e.getMessage(), e);
      }
      d.fault("the Temporal dev server's database deleted and the server restarted empty (the cluster lost)");
      return;
    }
    session.temporal().client().newUntypedWorkflowStub(ProjectIds.workflowId(d.project))
        .terminate("drill " + d.runId + ": the workflow's state is lost");
    d.fault("the project's workflow run terminated (its state lost)");
  }

  private void recover(Drill d, RecoveryStrategy strategy, List<String> components) throws TimeoutException {
    if (!options.recovery()) {
      d.evidence.add("recovery is disabled for this drill");
      return;
    }
    RecoveryReport report = client.recover(request(d, strategy, components, false), Duration.ofMinutes(5));
    d.recoveries.add(report.recoveryId());
    d.strategies.add(String.valueOf(report.strategy()));
    d.recoveryMillis += report.finishedAtMillis() - report.startedAtMillis();
    if (!report.succeeded()) {
      d.evidence.add("recovery " + report.recoveryId() + " " + report.outcome() + ": " + report.error());
    }
  }

  private RecoveryRequest request(Drill d, RecoveryStrategy strategy, List<String> components, boolean dryRun) {
    return new RecoveryRequest(BmadflowClient.newRecoveryId(), d.project, strategy, null, null, components, dryRun, "drill",
        "drill " + d.runId + " (" + d.scenario.wire() + ")", 60);
  }

  /** Waits for the project to finish, then compares it with the uninterrupted run. */
  private boolean compare(Drill d) throws Exception {
    ProjectSnapshot end;
    try {
      end = client.awaitResult(d.project, options.finishTimeout()).finalState();
    } catch (TimeoutException e) {
      d.evidence.add("the project did not finish within " + options.finishTimeout().toSeconds() + " s: " + lastState(d.project));
      return false;
    } catch (RuntimeException e) {
      d.evidence.add("the project did not finish: " + Failures.rootMessage(e));
      return false;
    }
    String difference = ProjectOutcome.firstDifference(d.baselineOutcome, ProjectOutcome.of(end));
    if (difference != null) {
      d.evidence.add("the final state differs from an uninterrupted run's: " + difference);
    }
    SortedMap<String, String> files = Workspace.digest(d.workspace);
    SortedMap<String, String> baselineWorkspace = d.baselineWorkspace;
    if (!files.equals(baselineWorkspace)) {
      List<String> different = new ArrayList<>();
      baselineWorkspace.forEach((path, sha) -> {
        if (!sha.equals(files.get(path))) {
          different.add(path + (files.containsKey(path) ? " differs" : " is missing"));
        }
      });
      files.keySet().stream().filter(p -> !baselineWorkspace.containsKey(p)).forEach(p -> different.add(p + " is extra"));
      d.evidence.add("the workspace differs from an uninterrupted run's: " + String.join(", ", different));
    }
    return difference == null && files.equals(baselineWorkspace);
  }

  /**
   * The uninterrupted run the drill is compared with: the same project id (the built-in agents
   * write it into the files), its own workspace; its checkpoints and registry are deleted after,
   * so no recovery of the drill can pick them.
   */
  private void baseline(Drill d) throws TimeoutException {
    Path workspace = d.workspace.resolveSibling(d.project + "-baseline");
    client.start(new ProjectRequest(d.project, definition, workspace.toString()));
    ProjectSnapshot end = client.awaitResult(d.project, options.finishTimeout()).finalState();
    d.baselineOutcome = ProjectOutcome.of(end);
    d.baselineWorkspace = Workspace.digest(workspace);
    for (String key : keys(session.stack().s3Settings().prefix() + d.project + "/")) {
      session.s3().deleteObject(b -> b.bucket(DevStack.BUCKET).key(key));
    }
  }

  private void store(DrillReport report) {
    try {
      reports.putDrillFile(report.drillRunId(), DrillReport.JSON, PackageJson.write(report));
      reports.putDrillFile(report.drillRunId(), DrillReport.MARKDOWN, report.markdown().getBytes(StandardCharsets.UTF_8));
    } catch (RuntimeException e) {
      log.warn("drill report {} not stored: {}", report.drillRunId(), e.getMessage());
    }
    if (metrics != null) {
      metrics.recordRecoveryTest(report.scenario(), report.passed(), report.finishedAtMillis() / 1000);
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private String projectId(String suffix) {
    String id = options.projectPrefix() + "-" + suffix;
    return ProjectIds.requireValid(id.length() > ProjectIds.MAX_LENGTH ? id.substring(0, ProjectIds.MAX_LENGTH) : id);
  }

  private boolean finished(String project) {
    try {
      return "complete".equals(client.state(project).phase());
    } catch (RuntimeException e) {
      return false;
    }
  }

  private void awaitSteps(String project, int steps) throws InterruptedException {
    awaitState(project, s -> s.stepsCompleted() >= steps);
  }

  private void awaitCheckpoints(String project, int count) throws InterruptedException {
    awaitState(project, s -> s.checkpoints().size() >= count || "complete".equals(s.phase()));
  }

  private void awaitState(String project, java.util.function.Predicate<ProjectSnapshot> until) throws InterruptedException {
    long deadline = System.nanoTime() + options.finishTimeout().toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (until.test(client.state(project))) {
          return;
        }
      } catch (RuntimeException notYet) {
        // The worker has not taken it up yet.
      }
      Thread.sleep(20);
    }
    throw new IllegalStateException("project " + project + " did not reach the drill's fault point within "
        + options.finishTimeout().toSeconds() + " s: " + lastState(project));
  }

  private String lastState(String project) {
    try {
      ProjectSnapshot s = client.state(project);
      return "phase " + s.phase() + ", " + s.stepsCompleted() + " steps completed, step '" + s.step() + "'"
          + (s.paused() ? ", paused" : "");
    } catch (RuntimeException e) {
      return "no state (" + Failures.rootMessage(e) + ")";
    }
  }

  private List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>();
    session.s3().listObjectsV2Paginator(b -> b.bucket(DevStack.BUCKET).prefix(prefix)).contents().forEach(o -> keys.add(o.key()));
    return keys;
  }


  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    if (worker != null) {
      worker.kill();
    }
    workerTemporal.close();
    workerS3.close();
    s3Proxy.close();
    temporalProxy.close();
    session.close();
  }

  /** One drill in progress. */
  private final class Drill {
    final String runId;
    final DrillScenario scenario;
    final String project;
    final Path workspace;
    final List<String> faults = new ArrayList<>();
    final List<String> recoveries = new ArrayList<>();
    final List<String> strategies = new ArrayList<>();
    final List<String> evidence = new ArrayList<>();
    long recoveryMillis;
    boolean passed;
    Map<String, Object> baselineOutcome;
    SortedMap<String, String> baselineWorkspace;
    private final long started = System.nanoTime();

    Drill(String runId, DrillScenario scenario, String project) {
      this.runId = runId;
      this.scenario = scenario;
      this.project = project;
      this.workspace = options.dataDir().resolve("workspaces").resolve(project).toAbsolutePath().normalize();
    }

    synchronized void fault(String what) {
      faults.add("+" + (System.nanoTime() - started) / 1_000_000 + " ms: " + what);
    }

    void verdict(boolean value) {
      passed = value;
    }
  }
}
