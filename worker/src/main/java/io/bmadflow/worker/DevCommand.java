package io.bmadflow.worker;

import io.bmadflow.client.cli.BmadflowCommand;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.infra.temporal.TemporalConnection;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.s3.S3Client;

/** {@code bmadflow dev}: the embedded dev stack and a worker, until Ctrl-C. */
@Command(
    name = "dev",
    mixinStandardHelpOptions = true,
    description = "Starts the embedded dev stack (Temporal test server, S3Proxy) and a worker, on 127.0.0.1, until Ctrl-C.")
public class DevCommand implements Callable<Integer> {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Option(names = "--data-dir", defaultValue = ".bmadflow", description = "Where S3 data and workspaces live (default: ${DEFAULT-VALUE}).")
  Path dataDir;

  @Option(names = "--temporal-port", defaultValue = "" + DevStack.DEFAULT_TEMPORAL_PORT, description = "Preferred Temporal port (default: ${DEFAULT-VALUE}; another is taken when busy).")
  int temporalPort;

  @Option(names = "--s3-port", defaultValue = "" + DevStack.DEFAULT_S3_PORT, description = "Preferred S3 port (default: ${DEFAULT-VALUE}; another is taken when busy).")
  int s3Port;

  @Option(names = "--agent-step-ms", defaultValue = "0", description = "How long each built-in agent step works, in ms (default: ${DEFAULT-VALUE}).")
  long agentStepMs;

  @Override
  public Integer call() throws Exception {
    // Loopback by default, and any free port when 9464 is busy (a worker may already hold it).
    BmadflowMetrics metrics = BmadflowMetrics.fromEnvironment(parent.services().env(), "127.0.0.1", true);
    DevStack stack;
    try {
      stack = DevStack.start(dataDir, temporalPort, s3Port);
    } catch (java.io.IOException | RuntimeException e) {
      if (metrics != null) {
        metrics.close();
      }
      throw e;
    }
    TemporalConnection temporal = null;
    S3Client s3 = null;
    BmadflowWorker started;
    Map<String, String> env = stack.environment();
    try {
      temporal = TemporalConnection.toDevStack(stack.temporalAddress(), DevStack.NAMESPACE,
          metrics == null ? null : metrics.temporalScope());
      s3 = stack.s3Settings().newClient();
      started = BmadflowWorker.start(temporal, new S3CheckpointStore(s3, stack.s3Settings()),
          WorkerCommand.options(withAgentSettings(env), "dev-worker", null, agentStepMs, metrics));
    } catch (RuntimeException e) {
      if (metrics != null) {
        metrics.close();
      }
      if (s3 != null) {
        s3.close();
      }
      if (temporal != null) {
        temporal.close();
      }
      stack.close();
      throw e;
    }
    BmadflowWorker worker = started;
    TemporalConnection connection = temporal;
    S3Client client = s3;
    PrintWriter out = spec.commandLine().getOut();
    out.printf("bmadflow dev stack is up (data in %s)%n", stack.dataDir());
    out.printf("  Temporal  %s  namespace %s%n", stack.temporalAddress(), DevStack.NAMESPACE);
    out.printf("  S3        %s  bucket %s%n", stack.s3Endpoint(), DevStack.BUCKET);
    out.printf("  worker    %s%n", worker.name());
    out.printf("  metrics   %s%n", metrics == null ? "off" : metrics.url());
    out.println();
    out.println("# In a second terminal, paste these lines, then run e.g. ./bmadflow start --project my-app");
    env.forEach((k, v) -> out.printf("export %s=%s%n", k, shellQuote(v)));
    out.println();
    out.println("Ctrl-C to stop.");
    out.flush();
    WorkerCommand.awaitShutdown(() -> {
      worker.close();
      connection.close();
      client.close();
      stack.close();
      if (metrics != null) {
        metrics.close();
      }
    });
    return BmadflowCommand.OK;
  }

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
