package io.bmadflow.worker;

import io.bmadflow.client.cli.BmadflowCommand;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.devstack.DevStackSession;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bmadflow dev}: the embedded dev stack and a worker, until Ctrl-C. */
@Command(
    name = "dev",
    mixinStandardHelpOptions = true,
    description = "Starts the embedded dev stack (the Temporal dev server or test server, S3Proxy) and a worker, on 127.0.0.1, until Ctrl-C.")
public class DevCommand implements Callable<Integer> {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Option(names = "--data-dir", defaultValue = ".bmadflow", description = "Where S3 data and workspaces live (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--temporal", defaultValue = "auto", paramLabel = "auto|dev-server|test-server",
      converter = WorkerCommand.TemporalChoiceConverter.class,
      description = "Which Temporal server: the real dev server (`temporal server start-dev`, needs the temporal CLI on the PATH"
          + " or in $BMADFLOW_TEMPORAL_CLI), the Java test server, or auto: the dev server when the CLI is found (default: ${DEFAULT-VALUE}).")
  io.bmadflow.infra.devstack.TemporalChoice temporalServer;

  @Option(names = "--temporal-port", defaultValue = "" + DevStack.DEFAULT_TEMPORAL_PORT, description = "Preferred Temporal port (default: ${DEFAULT-VALUE}; another is taken when busy).")
  int temporalPort;

  @Option(names = "--s3-port", defaultValue = "" + DevStack.DEFAULT_S3_PORT, description = "Preferred S3 port (default: ${DEFAULT-VALUE}; another is taken when busy).")
  int s3Port;

  @Option(names = "--metrics-bind", paramLabel = "ADDRESS",
      description = "The address the metrics endpoint listens on (default: $BMADFLOW_METRICS_BIND or 127.0.0.1; 0.0.0.0 for all interfaces).")
  String metricsBind;

  @Option(names = "--agent-step-ms", defaultValue = "0", description = "How long each built-in agent step works, in ms (default: ${DEFAULT-VALUE}).")
  long agentStepMs;

  @Override
  public Integer call() throws Exception {
    WorkerCommand.requireMetricsBind(spec, metricsBind);
    WorkerCommand.requireRange(spec, "--temporal-port", temporalPort, 0, 65535, "(0: any free port)");
    WorkerCommand.requireRange(spec, "--s3-port", s3Port, 0, 65535, "(0: any free port)");
    WorkerCommand.requireRange(spec, "--agent-step-ms", agentStepMs, 0, WorkerCommand.MAX_AGENT_STEP_MS, "ms");
    // Loopback by default, and any free port when 9464 is busy (a worker may already hold it).
    BmadflowMetrics metrics = BmadflowMetrics.fromEnvironment(parent.services().env(), metricsBind, true);
    DevStackSession session;
    BmadflowWorker worker;
    try {
      // The store honours the same settings as `bmadflow worker` (encryption key, compression, retention, prefix).
      session = DevStackSession.open(dataDir, temporalServer, temporalPort, s3Port, metrics == null ? null : metrics.temporalScope(),
          parent.services().env());
    } catch (java.io.IOException | RuntimeException e) {
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    DevStack stack = session.stack();
    Map<String, String> env = stack.environment();
    try {
      worker = BmadflowWorker.start(session.temporal(), session.store(),
          WorkerCommand.options(withAgentSettings(env), "dev-worker", null, agentStepMs, metrics));
    } catch (RuntimeException e) {
      session.close();
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    PrintWriter out = spec.commandLine().getOut();
    out.println(stack.temporal().describe());
    out.printf("bmadflow dev stack is up (data in %s)%n", stack.dataDir());
    out.printf("  Temporal  %s  namespace %s%n", stack.temporalAddress(), DevStack.NAMESPACE);
    if (stack.temporal().uiAddress() != null) {
      out.printf("  Web UI    %s%n", stack.temporal().uiAddress());
      out.printf("  projects  %s%n", stack.workflowLink("PROJECT").replace("PROJECT", "<project-id>"));
    }
    out.printf("  S3        %s  bucket %s%n", stack.s3Endpoint(), DevStack.BUCKET);
    out.printf("  worker    %s%n", worker.name());
    out.printf("  metrics   %s%n", metrics == null ? "off" : metrics.describe());
    out.println();
    out.println("# In a second terminal, paste these lines, then run e.g. ./bmadflow start --project my-app");
    env.forEach((k, v) -> out.printf("export %s=%s%n", k, shellQuote(v)));
    String prefix = session.storeEnvironment().getOrDefault("BMADFLOW_S3_PREFIX", "");
    if (!prefix.isBlank()) {
      out.printf("export BMADFLOW_S3_PREFIX=%s%n", shellQuote(prefix));
    }
    List<String> fromShell = STORE_SETTINGS.stream()
        .filter(k -> !parent.services().env().getOrDefault(k, "").isBlank()).toList();
    if (!fromShell.isEmpty()) {
      out.printf("# and, as in this shell (not printed): %s%n", String.join(" ", fromShell));
    }
    out.println();
    io.bmadflow.infra.recovery.ReadinessExporter readiness =
        io.bmadflow.infra.recovery.ReadinessExporter.start(session.store(), metrics, parent.services().env());
    out.println("Ctrl-C to stop.");
    out.flush();
    WorkerCommand.awaitShutdown(() -> {
      if (readiness != null) {
        readiness.close();
      }
      worker.close();
      session.close();
      if (metrics != null) {
        metrics.close();
      }
    });
    return BmadflowCommand.OK;
  }

  /** Store settings a second terminal needs too, whose values are not printed (a key is a secret). */
  static final List<String> STORE_SETTINGS = List.of("BMADFLOW_ENCRYPTION_KEY", "BMADFLOW_SIGNING_KEY",
      "BMADFLOW_COMPRESSION", "BMADFLOW_FULL_CHECKPOINT_EVERY", "BMADFLOW_S3_SSE", "BMADFLOW_S3_SSE_KMS_KEY_ID");

  /** The stack's settings, plus the agent settings (commands, timeout) and the webhook of this shell. */
  private Map<String, String> withAgentSettings(Map<String, String> stackEnv) {
    Map<String, String> merged = new java.util.HashMap<>();
    parent.services().env().forEach((k, v) -> {
      if (k.startsWith("BMADFLOW_AGENT") || k.equals("BMADFLOW_WEBHOOK_URL")) {
        merged.put(k, v);
      }
    });
    merged.putAll(stackEnv);
    return merged;
  }

  static String shellQuote(String value) {
    return value.matches("[A-Za-z0-9_./:@-]+") ? value : "'" + value.replace("'", "'\\''") + "'";
  }
}
