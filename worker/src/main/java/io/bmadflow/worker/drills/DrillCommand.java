package io.bmadflow.worker.drills;

import io.bmadflow.client.cli.BmadflowCommand;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.infra.recovery.DrillReport;
import io.bmadflow.worker.WorkerCommand;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.drills.DrillScheduleWorkflow;
import io.bmadflow.workflows.drills.DrillScheduleWorkflowImpl;
import io.temporal.client.WorkflowOptions;
import io.temporal.worker.WorkerFactory;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bmadflow drill}: recovery drills against a real (embedded) stack. */
@Command(name = "drill", mixinStandardHelpOptions = true,
    description = {
      "Runs the seed's recovery test scenarios: each injects a real fault into a real project on an embedded Temporal"
          + " and S3 stack (workers behind fault-injecting TCP proxies) and checks that the recovered project finishes"
          + " with the same state and workspace as an uninterrupted run.",
      "Scenarios: single-agent-failure, multiple-agent-failure, communication-breakdown, state-corruption,"
          + " storage-failure, cascade-failure, human-error, or all.",
      "Reports go to the configured bucket when BMADFLOW_S3_BUCKET or BMADFLOW_S3_ENDPOINT is set (so `readiness`"
          + " sees them), else to the drill stack's own under --data-dir."
    })
public class DrillCommand implements Callable<Integer> {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Option(names = "--scenario", defaultValue = "all", description = "A scenario or all (default: ${DEFAULT-VALUE}).")
  String scenario;

  @Option(names = "--project", defaultValue = "drill", description = "The drill projects' id prefix (default: ${DEFAULT-VALUE}).")
  String project;

  @Option(names = "--runs", defaultValue = "1", description = "Runs of each scenario (default: ${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--seed", description = "Seed of the fault kinds and timings (default: random; printed).")
  Long seed;

  @Option(names = "--no-recovery", description = "Inject the faults but do not recover: every drill must then fail (checks the drills).")
  boolean noRecovery;

  @Option(names = "--data-dir", description = "Where the drill stack keeps its data (default: a temp dir, deleted after).")
  Path dataDir;

  @Option(names = "--temporal", defaultValue = "auto", paramLabel = "auto|dev-server|test-server",
      converter = WorkerCommand.TemporalChoiceConverter.class,
      description = "Which Temporal server the drill stack runs: the real dev server (needs the temporal CLI on the PATH or in"
          + " $BMADFLOW_TEMPORAL_CLI; a lost cluster deletes its database), the Java test server, or auto: the dev server when"
          + " the CLI is found (default: ${DEFAULT-VALUE}).")
  io.bmadflow.infra.devstack.TemporalChoice temporalServer;

  @Option(names = "--agent-step-ms", defaultValue = "20", description = "How long each built-in agent step works (default: ${DEFAULT-VALUE}).")
  long agentStepMs;

  @Option(names = "--timeout", defaultValue = "120", description = "Seconds a drill's project may take to finish (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Option(names = "--every", description = "Run the drills on a schedule, as a workflow, every this many minutes until Ctrl-C.")
  Long everyMinutes;

  @Option(names = "--metrics-bind", paramLabel = "ADDRESS",
      description = "With --every: the address the metrics endpoint listens on (default: $BMADFLOW_METRICS_BIND or 127.0.0.1;"
          + " 0.0.0.0 for all interfaces).")
  String metricsBind;

  @Option(names = "--json", description = "Print the reports as JSON lines.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    List<DrillScenario> scenarios;
    try {
      scenarios = "all".equals(scenario) ? Arrays.asList(DrillScenario.values()) : List.of(DrillScenario.fromWire(scenario));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--scenario: " + e.getMessage());
    }
    WorkerCommand.requireRange(spec, "--runs", runs, 1, 1000, "runs of each scenario");
    WorkerCommand.requireRange(spec, "--agent-step-ms", agentStepMs, 0, WorkerCommand.MAX_AGENT_STEP_MS, "ms");
    WorkerCommand.requireRange(spec, "--timeout", timeoutSeconds, 1, 86_400, "seconds");
    if (everyMinutes != null) {
      WorkerCommand.requireRange(spec, "--every", everyMinutes, 1, 10_080, "minutes (a week)");
    }
    String problem = io.bmadflow.workflows.ProjectIds.problem(project + "-single-1-00000");
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), "--project: " + problem);
    }
    if (everyMinutes != null) {
      WorkerCommand.requireMetricsBind(spec, metricsBind);
    }
    long theSeed = seed != null ? seed : System.nanoTime();
    boolean tempDir = dataDir == null;
    Path dir = tempDir ? Files.createTempDirectory("bmadflow-drill") : dataDir;
    Map<String, String> env = parent.services().env();
    CheckpointStore reports = env.containsKey("BMADFLOW_S3_BUCKET") || env.containsKey("BMADFLOW_S3_ENDPOINT")
        ? parent.services().store() : null;
    BmadflowMetrics metrics = everyMinutes == null ? null : BmadflowMetrics.fromEnvironment(env, metricsBind, true);
    PrintWriter out = spec.commandLine().getOut();
    try (DrillRunner runner = DrillRunner.start(new DrillRunner.Options(dir, project, agentStepMs, !noRecovery,
        Duration.ofSeconds(timeoutSeconds), theSeed, temporalServer), reports, metrics, env)) {
      out.println(runner.temporalDescription());
      out.printf("drills: %s, %d run(s) each, seed %d, recovery %s, data in %s%n",
          scenarios.stream().map(DrillScenario::wire).toList(), runs, theSeed, noRecovery ? "DISABLED" : "on", dir);
      out.flush();
      if (everyMinutes != null) {
        return schedule(runner, scenarios, metrics, out);
      }
      List<DrillReport> done = new ArrayList<>();
      for (int n = 1; n <= runs; n++) {
        for (DrillScenario s : scenarios) {
          DrillReport report = runner.run(s, n);
          done.add(report);
          out.println(json ? new String(PackageJson.write(report), StandardCharsets.UTF_8).replace("\n", "") : line(report));
          if (!json && !report.passed()) {
            report.evidence().forEach(e -> out.println("    evidence: " + e));
          }
          out.flush();
        }
      }
      if (!json) {
        out.print(summary(done));
      }
      out.flush();
      return done.stream().allMatch(DrillReport::passed) ? BmadflowCommand.OK : BmadflowCommand.FAILED;
    } finally {
      if (metrics != null) {
        metrics.close();
      }
      if (tempDir) {
        deleteQuietly(dir);
      }
    }
  }

  /** Runs the drills as a {@link DrillScheduleWorkflow} on the drill stack until Ctrl-C. */
  private int schedule(DrillRunner runner, List<DrillScenario> scenarios, BmadflowMetrics metrics, PrintWriter out)
      throws InterruptedException {
    WorkerFactory factory = WorkerFactory.newInstance(runner.client());
    var worker = factory.newWorker(TaskQueues.DRILLS);
    worker.registerWorkflowImplementationTypes(DrillScheduleWorkflowImpl.class);
    worker.registerActivitiesImplementations(new DrillActivitiesImpl(runner));
    factory.start();
    DrillScheduleWorkflow schedule = runner.client().newWorkflowStub(DrillScheduleWorkflow.class,
        WorkflowOptions.newBuilder().setWorkflowId("bmadflow-drill-schedule").setTaskQueue(TaskQueues.DRILLS).build());
    io.temporal.client.WorkflowClient.start(schedule::run, scenarios.stream().map(DrillScenario::wire).toList(), runs,
        everyMinutes * 60, 0);
    out.printf("drill schedule started: every %d min (workflow bmadflow-drill-schedule)%s; Ctrl-C to stop%n", everyMinutes,
        metrics == null ? "" : ", metrics at " + metrics.describe());
    out.flush();
    io.bmadflow.worker.WorkerCommand.awaitShutdown(() -> {
      factory.shutdownNow();
    });
    return BmadflowCommand.OK;
  }

  static String line(DrillReport r) {
    return String.format("%s  %-24s %-7s %s (recovery %d ms%s)", r.drillRunId(), r.scenario(), r.passed() ? "passed" : "FAILED",
        r.verdict(), r.recoveryMillis(), r.strategies().isEmpty() ? "" : ", " + String.join("+", r.strategies()));
  }

  /** Pass rate and recovery times per scenario. */
  static String summary(List<DrillReport> reports) {
    Map<String, List<DrillReport>> by = new TreeMap<>();
    reports.forEach(r -> by.computeIfAbsent(r.scenario(), k -> new ArrayList<>()).add(r));
    StringBuilder s = new StringBuilder("\n| Scenario | Runs | Passed | Pass rate | Recovery p50 | Recovery max |\n|---|---|---|---|---|---|\n");
    by.forEach((scenario, list) -> {
      long passed = list.stream().filter(DrillReport::passed).count();
      List<Long> times = list.stream().map(DrillReport::recoveryMillis).sorted().toList();
      s.append(String.format("| %s | %d | %d | %.0f %% | %d ms | %d ms |%n", scenario, list.size(), passed,
          100.0 * passed / list.size(), times.get((times.size() - 1) / 2), times.get(times.size() - 1)));
    });
    return s.toString();
  }

  private static void deleteQuietly(Path dir) {
    try (var walk = Files.walk(dir)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (java.io.IOException e) {
      // A temp dir left behind is harmless.
    }
  }
}
