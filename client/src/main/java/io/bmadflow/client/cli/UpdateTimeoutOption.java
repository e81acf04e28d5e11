package io.bmadflow.client.cli;

import io.bmadflow.client.BmadflowClient;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code --timeout} option of the commands that send a workflow update: how long to wait for
 * the workflow to accept and finish it before saying what it still waits for.
 */
public class UpdateTimeoutOption {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  private Duration timeout = BmadflowClient.DEFAULT_UPDATE_TIMEOUT;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60",
      description = "Seconds to wait for the workflow to accept and finish the update (default: ${DEFAULT-VALUE}).")
  void setTimeout(long seconds) {
    if (seconds <= 0 || seconds > 86_400) {
      throw new ParameterException(spec.commandLine(), "--timeout: " + seconds + " is not between 1 and 86400 seconds");
    }
    timeout = Duration.ofSeconds(seconds);
  }

  /** The client with this timeout for its updates. */
  public BmadflowClient apply(BmadflowClient client) {
    return client.withUpdateTimeout(timeout);
  }
}
