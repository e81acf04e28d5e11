package io.bmadflow.worker;

import io.bmadflow.client.cli.BmadflowCommand;
import java.util.Map;
import picocli.CommandLine;

/**
 * The {@code bmadflow} executable: the client commands plus {@code worker}, {@code dev} and
 * {@code demo}. The dev-stack servers are on the classpath only when the launcher runs
 * {@code dev} or {@code demo}.
 */
public final class Main {
  private Main() {}

  /** Builds the full command line over an environment. */
  public static CommandLine commandLine(Map<String, String> env) {
    CommandLine cli = BmadflowCommand.commandLine(env);
    cli.addSubcommand("worker", new WorkerCommand());
    cli.addSubcommand("dev", new DevCommand());
    cli.addSubcommand("demo", new DemoCommand());
    cli.addSubcommand("drill", new io.bmadflow.worker.drills.DrillCommand());
    return cli;
  }

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("demo")) {
      // The demo tells its own story on stdout; the worker crash it stages would otherwise log
      // expected warnings. Set these properties to see the logs anyway.
      defaultProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
      defaultProperty("org.slf4j.simpleLogger.log.io.bmadflow", "warn");
    }
    CommandLine cli = commandLine(System.getenv());
    int code;
    try (var services = ((BmadflowCommand) cli.getCommand()).services()) {
      code = cli.execute(args);
    }
    System.exit(code);
  }

  private static void defaultProperty(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
