package io.bmadflow.worker;

import io.bmadflow.activities.agents.AgentRoster;
import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.client.cli.BmadflowCommand;
import io.bmadflow.client.cli.Services;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.infra.temporal.TemporalConnection;
import io.bmadflow.workflows.TaskQueues;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bmadflow worker}: a worker against the configured Temporal and S3, until stopped. */
@Command(
    name = "worker",
    mixinStandardHelpOptions = true,
    description = {
      "Runs a worker against the configured Temporal and S3 until Ctrl-C or SIGTERM.",
      "Temporal: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE.",
      "S3: BMADFLOW_S3_ENDPOINT, BMADFLOW_S3_BUCKET, BMADFLOW_S3_PREFIX; credentials from the AWS default chain.",
      "Metrics: BMADFLOW_METRICS_PORT (default 9464, 0 any, off), --metrics-bind or BMADFLOW_METRICS_BIND (default 127.0.0.1;"
          + " 0.0.0.0 for all interfaces).",
      "Webhook: BMADFLOW_WEBHOOK_URL.",
      "Readiness gauges: BMADFLOW_READINESS_INTERVAL_SECONDS (default 60, off), BMADFLOW_STORAGE_CAPACITY_BYTES."
    })
public class WorkerCommand implements Callable<Integer> {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Option(names = "--metrics-bind", paramLabel = "ADDRESS",
      description = "The address the metrics endpoint listens on (default: $BMADFLOW_METRICS_BIND or 127.0.0.1, this machine"
          + " only; 0.0.0.0 for all interfaces, so another host's Prometheus can scrape it).")
  String metricsBind;

  @Option(names = "--name", description = "This worker's name (default: <pid>@<host>).")
  String name;

  @Option(names = "--workspace-root", description = "Where project workspaces live (default: $BMADFLOW_WORKSPACE_ROOT or ./.bmadflow/workspaces).")
  Path workspaceRoot;

  @Option(names = "--agent-step-ms", description = "How long each built-in agent step works, in ms (default: $BMADFLOW_AGENT_STEP_MS or 0).")
  Long agentStepMs;

  @Override
  public Integer call() throws InterruptedException {
    Services services = parent.services();
    Map<String, String> env = services.env();
    requireMetricsBind(spec, metricsBind);
    if (agentStepMs != null) {
      requireRange(spec, "--agent-step-ms", agentStepMs, 0, MAX_AGENT_STEP_MS, "ms");
    }
    BmadflowMetrics metrics = BmadflowMetrics.fromEnvironment(env, metricsBind, false);
    TemporalConnection temporal;
    BmadflowWorker worker;
    try {
      temporal = services.temporal(metrics == null ? null : metrics.temporalScope());
      services.store().checkAccess();
      worker = BmadflowWorker.start(temporal, services.store(),
          options(env, name, workspaceRoot, agentStepMs, metrics));
    } catch (RuntimeException e) {
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.printf("worker %s polling %s, %s, %s%n", worker.name(),
        TaskQueues.ORCHESTRATION, TaskQueues.AGENTS, TaskQueues.CHECKPOINTS);
    out.printf("  Temporal %s, namespace %s%s%n", temporal.address(), temporal.namespace(),
        temporal.isDevStack() ? " (dev stack)" : "");
    out.printf("  checkpoints to s3://%s/%s%n", env.getOrDefault("BMADFLOW_S3_BUCKET", "bmadflow"),
        env.getOrDefault("BMADFLOW_S3_PREFIX", ""));
    out.printf("  metrics   %s%n", metrics == null ? "off" : metrics.describe());
    if (env.getOrDefault("BMADFLOW_WEBHOOK_URL", "").isBlank()) {
      out.println("  webhook   off");
    } else {
      out.printf("  webhook   %s%n", java.net.URI.create(env.get("BMADFLOW_WEBHOOK_URL").trim()).getHost());
    }
    io.bmadflow.infra.recovery.ReadinessExporter readiness =
        io.bmadflow.infra.recovery.ReadinessExporter.start(services.store(), metrics, env);
    out.println("Ctrl-C to stop.");
    out.flush();
    awaitShutdown(() -> {
      if (readiness != null) {
        readiness.close();
      }
      worker.close();
      if (metrics != null) {
        metrics.close();
      }
    });
    return BmadflowCommand.OK;
  }

  /**
   * The worker options from flags, falling back to the environment, then to defaults. The agents
   * are the roster the environment configures ({@code BMADFLOW_AGENT_COMMAND_<NAME>},
   * {@code BMADFLOW_AGENTS_FILE}, {@code BMADFLOW_AGENT_COMMAND}), the built-in agents for the rest.
   */
  static BmadflowWorker.Options options(Map<String, String> env, String name, Path workspaceRoot, Long agentStepMs) {
    return options(env, name, workspaceRoot, agentStepMs, null);
  }

  /** The worker options, with checkpoint metrics to {@code metrics} (null: none). */
  static BmadflowWorker.Options options(Map<String, String> env, String name, Path workspaceRoot, Long agentStepMs,
      BmadflowMetrics metrics) {
    String workerName = name != null ? name : ManagementFactory.getRuntimeMXBean().getName();
    WorkspaceRoot workspaces = WorkspaceRoot.fromEnvironment(env, workspaceRoot);
    long stepMs = agentStepMs != null ? agentStepMs
        : Long.parseLong(env.getOrDefault("BMADFLOW_AGENT_STEP_MS", "0"));
    AgentRoster agents = AgentRoster.fromEnvironment(env, new BuiltInAgentRunner(Duration.ofMillis(stepMs)));
    return new BmadflowWorker.Options(workerName, workspaces.root(), agents, metrics,
        env.get("BMADFLOW_WEBHOOK_URL"), workspaces.allowed());
  }

  /** The longest built-in agent step {@code --agent-step-ms} allows: ten minutes. */
  public static final long MAX_AGENT_STEP_MS = 600_000;

  /** A numeric option's value when it is within {@code min..max}, else a usage error (exit 2) naming the option, the value and the range. */
  public static long requireRange(CommandSpec spec, String option, long value, long min, long max, String unit) {
    if (value < min || value > max) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          option + ": " + value + " is not between " + min + " and " + max + " " + unit);
    }
    return value;
  }

  /** Checks a {@code --metrics-bind} value while the command starts: a bad address is a usage error (exit 2). */
  public static void requireMetricsBind(CommandSpec spec, String metricsBind) {
    if (metricsBind != null) {
      try {
        BmadflowMetrics.bindSetting(Map.of(), metricsBind);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }
  }

  /** Blocks until Ctrl-C or SIGTERM, then runs the cleanup before the JVM exits. */
  public static void awaitShutdown(Runnable cleanup) throws InterruptedException {
    CountDownLatch stopped = new CountDownLatch(1);
    CountDownLatch cleaned = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      stopped.countDown();
      try {
        cleaned.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "bmadflow-shutdown"));
    stopped.await();
    try {
      cleanup.run();
    } finally {
      cleaned.countDown();
    }
  }

  /** Parses {@code --temporal auto|dev-server|test-server}; a bad value is a usage error naming the choices. */
  public static final class TemporalChoiceConverter
      implements picocli.CommandLine.ITypeConverter<io.bmadflow.infra.devstack.TemporalChoice> {
    @Override
    public io.bmadflow.infra.devstack.TemporalChoice convert(String value) {
      try {
        return io.bmadflow.infra.devstack.TemporalChoice.fromWire(value);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }
}
