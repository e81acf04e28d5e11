package io.bmadflow.client.cli;

import io.bmadflow.client.BmadflowException;
import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.infra.temporal.TemporalUnavailableException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bmadflow}: the top-level command. Exit codes: 0 success, 1 a failed check or operation,
 * 2 a usage error.
 */
@Command(
    name = "bmadflow",
    mixinStandardHelpOptions = true,
    version = "bmadflow 0.1.0",
    description = "Runs BMAD-method delivery workflows on Temporal with checkpoints in S3.",
    subcommands = {
      StartCommand.class,
      StatusCommand.class,
      ListCommand.class,
      CheckpointCommand.class,
      OperatorCommands.Gate.class,
      OperatorCommands.DecisionCommand.class,
      OperatorCommands.RiskCommand.class,
      OperatorCommands.Pause.class,
      OperatorCommands.Resume.class,
      RecoveryCommands.Recover.class,
      RecoveryCommands.RecoveryCommand.class,
      RecoveryCommands.Reset.class,
      ReadinessCommand.class
    })
public class BmadflowCommand implements Runnable {
  public static final int OK = 0;
  public static final int FAILED = 1;
  public static final int USAGE = 2;

  private final Services services;

  @Spec CommandSpec spec;

  public BmadflowCommand(Services services) {
    this.services = services;
  }

  public Services services() {
    return services;
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing a command; see `bmadflow --help`");
  }

  /**
   * Builds the command line over the given environment, with bmadflow's exit codes and error
   * handling: expected errors print one message and no stack trace.
   */
  public static CommandLine commandLine(Map<String, String> env) {
    Services services = new Services(env);
    CommandLine cli = new CommandLine(new BmadflowCommand(services));
    cli.setExecutionExceptionHandler(
        (ex, cmd, parseResult) -> {
          PrintWriter err = cmd.getErr();
          if (ex instanceof ParameterException pe) {
            return cmd.getParameterExceptionHandler().handleParseException(pe, new String[0]);
          }
          if (isExpected(ex)) {
            err.println("bmadflow: " + ex.getMessage());
          } else {
            err.println("bmadflow: unexpected error: " + ex);
            if ("1".equals(env.get("BMADFLOW_DEBUG"))) {
              ex.printStackTrace(err);
            } else {
              err.println("(set BMADFLOW_DEBUG=1 to see the stack trace)");
            }
          }
          err.flush();
          return FAILED;
        });
    return cli;
  }

  /** Errors with a message written for the user. */
  static boolean isExpected(Throwable ex) {
    return ex instanceof BmadflowException
        || ex instanceof CheckpointStoreException
        || ex instanceof TemporalUnavailableException
        || ex instanceof IllegalArgumentException
        || ex instanceof UncheckedIOException;
  }
}
