package io.bmadflow.client.cli;

import io.bmadflow.workflows.gates.OperatorDecision;
import io.bmadflow.workflows.project.Decision;
import io.bmadflow.workflows.project.Risk;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** The operator's commands: gate decisions, decisions, risks, pause and resume. */
public final class OperatorCommands {
  private OperatorCommands() {}

  static String operator() {
    return System.getProperty("user.name", "operator");
  }

  /** {@code bmadflow gate approve|waive}. */
  @Command(name = "gate", mixinStandardHelpOptions = true, description = "Decides a gate that waits for an operator.",
      subcommands = {Gate.Approve.class, Gate.Waive.class})
  public static class Gate implements Runnable {
    @ParentCommand BmadflowCommand parent;
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "Missing a gate command: approve or waive");
    }

    abstract static class Decide implements Callable<Integer> {
      @ParentCommand Gate parent;
      @Spec CommandSpec spec;
      @Mixin ProjectOption project;
      @Mixin UpdateTimeoutOption timeout;

      @Option(names = "--gate", description = "The gate id (default: the one waiting).")
      String gateId;

      @Option(names = "--reason", required = true, description = "Why; recorded with the gate.")
      String reason;

      abstract String action();

      @Override
      public Integer call() {
        String gate = timeout.apply(parent.parent.services().client()).decideGate(project.get(),
            new OperatorDecision(gateId, action(), operator(), reason));
        spec.commandLine().getOut().printf("gate %s of project %s: %s%n", gate, project.get(), action() + "d");
        return BmadflowCommand.OK;
      }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true, description = "Treats the waiting gate as passed.")
    static class Approve extends Decide {
      @Override
      String action() {
        return OperatorDecision.APPROVE;
      }
    }

    @Command(name = "waive", mixinStandardHelpOptions = true, description = "Accepts the waiting gate as WAIVED.")
    static class Waive extends Decide {
      @Override
      String action() {
        return OperatorDecision.WAIVE;
      }
    }
  }

  /** {@code bmadflow decision add}. */
  @Command(name = "decision", mixinStandardHelpOptions = true, description = "Records decisions.", subcommands = DecisionCommand.Add.class)
  public static class DecisionCommand implements Runnable {
    @ParentCommand BmadflowCommand parent;
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "Missing a decision command: add");
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Appends a decision to the project's decision log.")
    static class Add implements Callable<Integer> {
      @ParentCommand DecisionCommand parent;
      @Spec CommandSpec spec;
      @Mixin ProjectOption project;
      @Mixin UpdateTimeoutOption timeout;

      @Option(names = "--title", required = true, description = "What was decided.")
      String title;

      @Option(names = "--rationale", defaultValue = "", description = "Why.")
      String rationale;

      @Option(names = "--critical", description = "A critical decision (architecture, technology choice).")
      boolean critical;

      @Override
      public Integer call() {
        String id = timeout.apply(parent.parent.services().client()).addDecision(project.get(),
            new Decision(null, title, rationale, operator(), critical, null));
        spec.commandLine().getOut().printf("decision %s recorded in project %s%n", id, project.get());
        return BmadflowCommand.OK;
      }
    }
  }

  /** {@code bmadflow risk add}. */
  @Command(name = "risk", mixinStandardHelpOptions = true, description = "Records risks.", subcommands = RiskCommand.Add.class)
  public static class RiskCommand implements Runnable {
    @ParentCommand BmadflowCommand parent;
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "Missing a risk command: add");
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Appends a risk to the project's risk log (score = probability x impact).")
    static class Add implements Callable<Integer> {
      @ParentCommand RiskCommand parent;
      @Spec CommandSpec spec;
      @Mixin ProjectOption project;
      @Mixin UpdateTimeoutOption timeout;

      @Option(names = "--title", required = true, description = "The risk.")
      String title;

      @Option(names = "--probability", required = true, description = "1 (rare) to 5 (almost certain).")
      int probability;

      @Option(names = "--impact", required = true, description = "1 (negligible) to 5 (severe).")
      int impact;

      @Override
      public Integer call() {
        if (probability < 1 || probability > 5) {
          throw new ParameterException(spec.commandLine(), "--probability: " + probability + " is not between 1 (rare) and 5 (almost certain)");
        }
        if (impact < 1 || impact > 5) {
          throw new ParameterException(spec.commandLine(), "--impact: " + impact + " is not between 1 (negligible) and 5 (severe)");
        }
        String id = timeout.apply(parent.parent.services().client()).reportRisk(project.get(),
            new Risk(null, title, probability, impact, operator(), null));
        spec.commandLine().getOut().printf("risk %s recorded in project %s (score %d)%n", id, project.get(), probability * impact);
        return BmadflowCommand.OK;
      }
    }
  }

  /** {@code bmadflow pause}. */
  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pauses a project before its next step.")
  public static class Pause implements Callable<Integer> {
    @ParentCommand BmadflowCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Option(names = "--reason", defaultValue = "paused by an operator", description = "Why.")
    String reason;

    @Override
    public Integer call() {
      parent.services().client().pause(project.get(), reason);
      spec.commandLine().getOut().printf("project %s pauses before its next step%n", project.get());
      return BmadflowCommand.OK;
    }
  }

  /** {@code bmadflow resume}. */
  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resumes a paused project.")
  public static class Resume implements Callable<Integer> {
    @ParentCommand BmadflowCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Option(names = "--reason", defaultValue = "resumed by an operator", description = "Why.")
    String reason;

    @Override
    public Integer call() {
      parent.services().client().resume(project.get(), reason);
      spec.commandLine().getOut().printf("project %s resumed%n", project.get());
      return BmadflowCommand.OK;
    }
  }
}
