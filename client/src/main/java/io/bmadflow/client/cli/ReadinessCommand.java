package io.bmadflow.client.cli;

import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.recovery.Readiness;
import io.bmadflow.infra.recovery.ReadinessCalculator;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bmadflow readiness}: a project's recovery readiness indicators and score. */
@Command(name = "readiness", mixinStandardHelpOptions = true,
    description = "Prints a project's recovery readiness: recovery points and the newest one's age, recovery time"
        + " estimates, drill results, the recovery plan's age and the capability score with its terms.")
public class ReadinessCommand implements Callable<Integer> {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;
  @Mixin ProjectOption project;

  @Option(names = "--json", description = "Print it as JSON.")
  boolean json;

  @Override
  public Integer call() {
    Readiness readiness = new ReadinessCalculator(parent.services().store()).compute(project.get(), Instant.now(), null);
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? new String(PackageJson.write(readiness), StandardCharsets.UTF_8) + "\n" : ReadinessCalculator.text(readiness));
    out.flush();
    return BmadflowCommand.OK;
  }
}
