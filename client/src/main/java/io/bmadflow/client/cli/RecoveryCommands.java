package io.bmadflow.client.cli;

import io.bmadflow.client.BmadflowClient;
import io.bmadflow.client.BmadflowException;
import io.bmadflow.client.TemporalReset;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.recovery.RecoveryReports;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.project.ComponentRestore;
import io.bmadflow.workflows.recovery.RecoveryIds;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.RecoveryRequest;
import io.bmadflow.workflows.recovery.RecoveryStrategy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bmadflow recover}, {@code bmadflow recovery show} and {@code bmadflow reset}. */
public final class RecoveryCommands {
  private RecoveryCommands() {}

  /** Options a recovery shares with a reset's cold fallback. */
  static RecoveryReport run(BmadflowCommand root, CommandSpec spec, RecoveryRequest request, Duration timeout, boolean json) {
    BmadflowClient client = root.services().client();
    RecoveryReport report;
    try {
      report = client.recover(request, timeout);
    } catch (TimeoutException e) {
      throw new BmadflowException("recovery " + request.recoveryId() + " did not finish within " + timeout.toMinutes()
          + " min; it goes on in the background: `bmadflow recovery show " + request.recoveryId() + "` once it is done");
    }
    PrintWriter out = spec.commandLine().getOut();
    out.print(json ? new String(PackageJson.write(report), StandardCharsets.UTF_8) + "\n" : RecoveryReports.markdown(report));
    if (!request.dryRun() && !json) {
      out.println();
      out.println("Report stored at " + root.services().store().recoveryLocation(request.projectId(), request.recoveryId()));
    }
    out.flush();
    return report;
  }

  /** {@code bmadflow recover}. */
  @Command(name = "recover", mixinStandardHelpOptions = true,
      description = "Recovers a project from its checkpoints: assesses the failure, picks a strategy and a checkpoint,"
          + " backs up, restores, validates, resumes and reports.")
  public static class Recover implements Callable<Integer> {
    @ParentCommand BmadflowCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Option(names = "--strategy", defaultValue = "auto",
        description = "auto, hot, warm, cold, point-in-time, selective or progressive (default: ${DEFAULT-VALUE}).")
    String strategy;

    @Option(names = "--checkpoint", description = "The checkpoint to recover to (default: the newest that verifies).")
    String checkpoint;

    @Option(names = "--at", paramLabel = "TIME",
        description = "Recover to the newest checkpoint taken at or before this ISO-8601 time (2026-01-15T14:30:00Z;"
            + " from 1970-01-01T00:00:00Z to a day from now).")
    String at;

    @Option(names = "--components", split = ",",
        description = "What to restore: context, progress, agents, agent:<name>, file:<workspace path> (comma-separated).")
    List<String> components = new ArrayList<>();

    @Option(names = "--dry-run", description = "Print the plan (checkpoint and why, what is restored, work lost); change nothing.")
    boolean dryRun;

    @Option(names = "--interactive", description = "Walk the manual recovery steps with the candidate checkpoints and confirmations.")
    boolean interactive;

    @Option(names = "--reason", description = "Why; recorded in the report.")
    String reason;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    private Duration timeout;

    @Option(names = "--timeout", paramLabel = "MINUTES", defaultValue = "30",
        description = "Minutes to wait for the recovery, 1 to " + MAX_TIMEOUT_MINUTES + " (default: ${DEFAULT-VALUE}).")
    void setTimeout(long minutes) {
      timeout = timeoutMinutes(spec, minutes);
    }

    @Override
    public Integer call() throws Exception {
      RecoveryStrategy chosen;
      try {
        chosen = RecoveryStrategy.fromWire(strategy);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), "--strategy: " + e.getMessage());
      }
      if (checkpoint != null && !CheckpointIds.isValid(checkpoint)) {
        throw new ParameterException(spec.commandLine(), "--checkpoint: " + invalid(() -> CheckpointIds.requireValid(checkpoint)));
      }
      if (checkpoint != null && at != null) {
        throw new ParameterException(spec.commandLine(), "--checkpoint and --at name the same thing; give one");
      }
      Long atMillis = at == null ? null : atMillis(spec, at, Instant.now());
      for (String c : components) {
        String problem = ComponentRestore.problem(c);
        if (problem != null) {
          throw new ParameterException(spec.commandLine(), "--components: " + problem);
        }
      }
      if (interactive) {
        return interactive(chosen, timeout);
      }
      RecoveryRequest request = new RecoveryRequest(BmadflowClient.newRecoveryId(), project.get(), chosen, checkpoint, atMillis,
          components, dryRun, OperatorCommands.operator(), reason, 0);
      RecoveryReport report = run(parent, spec, request, timeout, json);
      return report.succeeded() ? BmadflowCommand.OK : BmadflowCommand.FAILED;
    }

    /** The seed's manual recovery steps, with the operator confirming each decision. */
    private int interactive(RecoveryStrategy chosen, Duration timeout) throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      BmadflowClient client = parent.services().client();
      String by = OperatorCommands.operator();

      out.println("== 1. Failure analysis");
      out.flush();
      RecoveryReport analysis = client.recover(new RecoveryRequest(BmadflowClient.newRecoveryId(), project.get(), chosen,
          checkpoint, null, components, true, by, "interactive: failure analysis", 0), timeout);
      out.println("Scenario: " + analysis.scenario());
      out.println("Workflow: " + analysis.assessment().workflowStatus()
          + (analysis.assessment().stepsCompleted() >= 0 ? ", " + analysis.assessment().stepsCompleted() + " steps completed" : ""));
      analysis.assessment().failing().forEach(f -> out.println("Failing: " + f.activityType() + " attempt " + f.attempt()
          + (f.lastFailure() == null ? "" : ": " + f.lastFailure())));
      out.println("Suggested strategy: " + (analysis.strategy() == null ? "none" : analysis.strategy()) + " (" + analysis.strategyReason() + ")");

      out.println();
      out.println("== 2. Recovery planning: candidate checkpoints, newest first");
      List<CheckpointSummary> all = new ArrayList<>(client.checkpoints(project.get()));
      java.util.Collections.reverse(all);
      if (all.isEmpty()) {
        out.println("Project " + project.get() + " has no checkpoints; nothing can be restored.");
        out.flush();
        return BmadflowCommand.FAILED;
      }
      int shown = Math.min(all.size(), 10);
      for (int i = 0; i < shown; i++) {
        CheckpointSummary s = all.get(i);
        String age = Duration.between(Instant.parse(s.creationTimestamp()), Instant.now()).toMinutes() + " min ago";
        String note = analysis.checkpoint() != null && s.checkpointId().equals(analysis.checkpoint().checkpointId()) ? "  <- suggested" : "";
        String skipped = analysis.checkpoint() == null ? "" : analysis.checkpoint().skipped().stream()
            .filter(k -> k.checkpointId().equals(s.checkpointId())).map(k -> "  (skip: " + k.reason() + ")").findFirst().orElse("");
        out.printf("  [%d] %s  %s  phase %s  %s%s%s%n", i + 1, s.checkpointId(), age, s.workflowPhase(), s.triggerReason(), note, skipped);
      }
      int suggested = analysis.checkpoint() == null ? 1
          : Math.max(1, 1 + all.stream().map(CheckpointSummary::checkpointId).toList().indexOf(analysis.checkpoint().checkpointId()));
      out.print("Checkpoint to restore [" + suggested + "]: ");
      out.flush();
      String answer = in.readLine();
      int pick = answer == null || answer.isBlank() ? suggested : parsePick(answer.trim(), shown);
      String cp = all.get(pick - 1).checkpointId();

      out.println();
      out.println("== 3. Checkpoint selection: integrity, work lost, compatibility");
      RecoveryReport plan = client.recover(new RecoveryRequest(BmadflowClient.newRecoveryId(), project.get(),
          chosen == RecoveryStrategy.AUTO ? RecoveryStrategy.POINT_IN_TIME : chosen, cp, null, components, true, by,
          "interactive: plan", 0), timeout);
      out.print(RecoveryReports.markdown(plan));
      if (!plan.succeeded()) {
        out.println("The plan failed: " + plan.error());
        out.flush();
        return BmadflowCommand.FAILED;
      }

      out.println();
      out.println("== 4. Recovery execution: back up, restore, validate");
      out.print("Proceed with this recovery? [y/N]: ");
      out.flush();
      String confirm = in.readLine();
      if (confirm == null || !confirm.trim().equalsIgnoreCase("y") && !confirm.trim().equalsIgnoreCase("yes")) {
        out.println("Nothing was changed.");
        out.flush();
        return BmadflowCommand.OK;
      }
      RecoveryRequest request = new RecoveryRequest(BmadflowClient.newRecoveryId(), project.get(),
          chosen == RecoveryStrategy.AUTO ? RecoveryStrategy.POINT_IN_TIME : chosen, cp, null, components, false, by,
          reason == null ? "interactive recovery" : reason, 0);
      out.println();
      out.println("== 5. Workflow resumption and report");
      RecoveryReport done = run(parent, spec, request, timeout, false);
      return done.succeeded() ? BmadflowCommand.OK : BmadflowCommand.FAILED;
    }

    private int parsePick(String answer, int shown) {
      try {
        int pick = Integer.parseInt(answer);
        if (pick >= 1 && pick <= shown) {
          return pick;
        }
      } catch (NumberFormatException e) {
        // Fall through.
      }
      throw new BmadflowException("'" + answer + "' is not one of the candidates 1-" + shown + "; nothing was changed");
    }
  }

  /** {@code bmadflow recovery show}. */
  @Command(name = "recovery", mixinStandardHelpOptions = true, description = "Shows recovery reports.",
      subcommands = {RecoveryCommand.Show.class, RecoveryCommand.ListReports.class})
  public static class RecoveryCommand implements Runnable {
    @ParentCommand BmadflowCommand parent;
    @Spec CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "Missing a recovery command: show or list");
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Prints a recovery's report.")
    static class Show implements Callable<Integer> {
      @ParentCommand RecoveryCommand parent;
      @Spec CommandSpec spec;

      @Parameters(index = "0", description = "The recovery id (rcv-...).")
      String recoveryId;

      @Option(names = "--project", description = "The project (default: looked up).")
      String project;

      @Option(names = "--json", description = "Print the report as JSON.")
      boolean json;

      @Override
      public Integer call() {
        if (!RecoveryIds.isValid(recoveryId)) {
          throw new ParameterException(spec.commandLine(), invalid(() -> RecoveryIds.requireValid(recoveryId)));
        }
        RecoveryReport report = parent.parent.services().client().recoveryReport(project, recoveryId);
        spec.commandLine().getOut().print(json ? new String(PackageJson.write(report), StandardCharsets.UTF_8) + "\n"
            : RecoveryReports.markdown(report));
        spec.commandLine().getOut().flush();
        return BmadflowCommand.OK;
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists a project's recoveries, oldest first.")
    static class ListReports implements Callable<Integer> {
      @ParentCommand RecoveryCommand parent;
      @Spec CommandSpec spec;
      @Mixin ProjectOption project;

      @Override
      public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        BmadflowClient client = parent.parent.services().client();
        for (String id : parent.parent.services().store().recoveries(project.get())) {
          RecoveryReport r;
          try {
            r = client.recoveryReport(project.get(), id);
          } catch (BmadflowException e) {
            out.println(id + "  (no report: " + e.getMessage() + ")");
            continue;
          }
          out.printf("%s  %-9s  %-13s  %s%n", id, r.outcome(), r.strategy(), r.checkpoint() == null ? "-" : r.checkpoint().checkpointId());
        }
        out.flush();
        return BmadflowCommand.OK;
      }
    }
  }

  /** {@code bmadflow reset}. */
  @Command(name = "reset", mixinStandardHelpOptions = true,
      description = "Resets the project's workflow to the event a checkpoint recorded (Temporal ResetWorkflowExecution);"
          + " where the server cannot (UNIMPLEMENTED, or the history is gone), recovers cold from the checkpoint instead.")
  public static class Reset implements Callable<Integer> {
    @ParentCommand BmadflowCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Option(names = "--checkpoint", required = true, description = "The checkpoint whose event to reset to.")
    String checkpoint;

    @Option(names = "--reason", description = "Why; recorded by Temporal and in the report.")
    String reason;

    private Duration timeout;

    @Option(names = "--timeout", paramLabel = "MINUTES", defaultValue = "30",
        description = "Minutes to wait for a cold fallback, 1 to " + MAX_TIMEOUT_MINUTES + " (default: ${DEFAULT-VALUE}).")
    void setTimeout(long minutes) {
      timeout = timeoutMinutes(spec, minutes);
    }

    @Override
    public Integer call() {
      if (!CheckpointIds.isValid(checkpoint)) {
        throw new ParameterException(spec.commandLine(), "--checkpoint: " + invalid(() -> CheckpointIds.requireValid(checkpoint)));
      }
      PrintWriter out = spec.commandLine().getOut();
      CheckpointMetadata.TemporalReference at = parent.services().client().checkpointMetadata(project.get(), checkpoint).temporal();
      if (at == null || at.runId() == null) {
        throw new BmadflowException("checkpoint " + checkpoint + " records no Temporal run to reset; use `bmadflow recover --project "
            + project.get() + " --checkpoint " + checkpoint + "`");
      }
      String why = reason == null ? "bmadflow reset to checkpoint " + checkpoint : reason;
      var temporal = parent.services().temporal();
      TemporalReset.Outcome outcome = new TemporalReset(temporal.service(), temporal.namespace())
          .reset(at.workflowId(), at.runId(), at.historyEventId(), why, "bmadflow-reset-" + checkpoint + "-" + at.runId());
      if (outcome.kind() == TemporalReset.Outcome.Kind.RESET) {
        out.printf("workflow %s reset to event %d of run %s (checkpoint %s); new run %s%n", at.workflowId(),
            at.historyEventId(), at.runId(), checkpoint, outcome.newRunId());
        out.println("The workers rewind the workspace to the checkpoint before the new run's first step, and write a"
            + " recovery report (strategy reset-rewind): `bmadflow recovery list --project " + project.get() + "`.");
        out.flush();
        return BmadflowCommand.OK;
      }
      out.println(outcome.message());
      out.println("Falling back to a cold recovery from checkpoint " + checkpoint + ".");
      out.flush();
      RecoveryRequest request = new RecoveryRequest(BmadflowClient.newRecoveryId(), project.get(), RecoveryStrategy.COLD,
          checkpoint, null, List.of(), false, OperatorCommands.operator(), why + " (reset fallback: " + outcome.kind() + ")", 0);
      RecoveryReport report = run(parent, spec, request, timeout, false);
      return report.succeeded() ? BmadflowCommand.OK : BmadflowCommand.FAILED;
    }
  }

  /** The longest {@code --timeout} a recovery or reset waits, in minutes: a day. */
  static final long MAX_TIMEOUT_MINUTES = 1440;

  /** The earliest {@code --at}: no checkpoint is older than the Unix epoch. */
  static final Instant EARLIEST_AT = Instant.EPOCH;

  /** How far past now an {@code --at} may lie (clock skew, a time zone mistaken by hours). */
  static final Duration AT_SLACK = Duration.ofDays(1);

  /** A {@code --timeout} in minutes, or a usage error naming the option, the value and the range. */
  static Duration timeoutMinutes(CommandSpec spec, long minutes) {
    if (minutes < 1 || minutes > MAX_TIMEOUT_MINUTES) {
      throw new ParameterException(spec.commandLine(), "--timeout: " + minutes + " is not between 1 and "
          + MAX_TIMEOUT_MINUTES + " minutes");
    }
    return Duration.ofMinutes(minutes);
  }

  /**
   * The {@code --at} time in epoch milliseconds, or a usage error naming the option, the value and
   * the accepted format and range: ISO-8601 with a zone ({@code 2026-01-15T14:30:00Z} or
   * {@code 2026-01-15T15:30:00+01:00}), from {@link #EARLIEST_AT} to a day after {@code now}.
   */
  static long atMillis(CommandSpec spec, String value, Instant now) {
    String accepted = "; give an ISO-8601 time with a zone, such as 2026-01-15T14:30:00Z, between "
        + EARLIEST_AT + " and a day from now";
    Instant time;
    try {
      time = Instant.parse(value.trim());
    } catch (DateTimeParseException e) {
      throw new ParameterException(spec.commandLine(), "--at: '" + value + "' is not a time" + accepted);
    }
    if (time.isBefore(EARLIEST_AT)) {
      throw new ParameterException(spec.commandLine(), "--at: '" + value + "' is before any checkpoint" + accepted);
    }
    if (time.isAfter(now.plus(AT_SLACK))) {
      throw new ParameterException(spec.commandLine(), "--at: '" + value + "' is in the future" + accepted
          + " (leave --at out for the newest checkpoint)");
    }
    return time.toEpochMilli();
  }

  private static String invalid(Runnable check) {
    try {
      check.run();
      return "invalid";
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }
}
