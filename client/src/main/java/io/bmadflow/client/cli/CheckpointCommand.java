package io.bmadflow.client.cli;

import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.VerificationReport;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bmadflow checkpoint}: list and verify a project's checkpoints in S3. */
@Command(
    name = "checkpoint",
    mixinStandardHelpOptions = true,
    description = "Lists and verifies checkpoints.",
    subcommands = {CheckpointCommand.ListCommand.class, CheckpointCommand.VerifyCommand.class})
public class CheckpointCommand implements Runnable {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing a checkpoint command: list or verify");
  }

  /** {@code bmadflow checkpoint list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists a project's committed checkpoints, oldest first.")
  static class ListCommand implements Callable<Integer> {
    @ParentCommand CheckpointCommand parent;
    @Spec CommandSpec spec;

    @Mixin ProjectOption project;

    @Option(names = "--json", description = "Print JSON (the metadata of each checkpoint).")
    boolean json;

    @Override
    public Integer call() {
      List<CheckpointMetadata> checkpoints = parent.parent.services().storageClient().checkpoints(project.get());
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(new String(PackageJson.write(checkpoints), StandardCharsets.UTF_8));
        return BmadflowCommand.OK;
      }
      if (checkpoints.isEmpty()) {
        out.println("project " + project.get() + " has no checkpoints yet");
        return BmadflowCommand.OK;
      }
      out.printf("%-63s  %-18s  %-14s  %9s  %s%n", "CHECKPOINT", "TRIGGER", "PHASE", "BYTES", "VALIDATION");
      for (CheckpointMetadata m : checkpoints) {
        out.printf("%-63s  %-18s  %-14s  %9d  %s%n",
            m.checkpointMetadata().checkpointId(),
            m.checkpointMetadata().triggerReason(),
            m.checkpointMetadata().workflowPhase(),
            m.storageMetadata().storedBytes(),
            m.integrityValidation().validationStatus());
      }
      String location = checkpoints.get(0).storageMetadata().location();
      out.println("stored under " + location.substring(0, location.length() - 1 - checkpoints.get(0).checkpointMetadata().checkpointId().length()));
      return BmadflowCommand.OK;
    }
  }

  /** {@code bmadflow checkpoint verify}. */
  @Command(name = "verify", mixinStandardHelpOptions = true, description = "Checks every file of a checkpoint against its recorded size and SHA-256.")
  static class VerifyCommand implements Callable<Integer> {
    @ParentCommand CheckpointCommand parent;
    @Spec CommandSpec spec;

    @Mixin ProjectOption project;

    @Parameters(paramLabel = "CHECKPOINT_ID", description = "The checkpoint to verify.")
    String checkpointId;

    @Override
    public Integer call() {
      if (!CheckpointIds.isValid(checkpointId)) {
        throw new ParameterException(spec.commandLine(),
            "CHECKPOINT_ID '" + checkpointId + "' is not a checkpoint id (cp-YYYY-MM-DD-HH-MM-SS-<uuid>)");
      }
      VerificationReport report = parent.parent.services().storageClient().verify(project.get(), checkpointId);
      PrintWriter out = spec.commandLine().getOut();
      for (VerificationReport.FileCheck check : report.checks()) {
        out.printf("%-4s %s%s%n", check.ok() ? "ok" : "FAIL", check.path(),
            check.ok() ? "" : ": " + check.problem());
      }
      if (report.ok()) {
        out.printf("checkpoint %s verified: %d checks passed%n", checkpointId, report.checks().size());
        return BmadflowCommand.OK;
      }
      PrintWriter err = spec.commandLine().getErr();
      err.printf("bmadflow: checkpoint %s failed verification: %s%n", checkpointId,
          String.join("; ", report.failures().stream().map(f -> f.path()).toList()));
      err.flush();
      return BmadflowCommand.FAILED;
    }
  }
}
