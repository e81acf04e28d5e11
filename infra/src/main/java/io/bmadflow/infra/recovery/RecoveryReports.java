package io.bmadflow.infra.recovery;

import io.bmadflow.workflows.recovery.Assessment;
import io.bmadflow.workflows.recovery.CheckpointChoice;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.StageTiming;
import io.bmadflow.workflows.recovery.ValidationCheck;
import java.time.Instant;

/** A recovery report's two stored forms: {@value #JSON} and {@value #MARKDOWN}. */
public final class RecoveryReports {
  public static final String JSON = "recovery-report.json";
  public static final String MARKDOWN = "recovery-report.md";
  /** Where a recovery's pre-recovery backup goes, inside its directory. */
  public static final String BACKUP = "backup/";

  private RecoveryReports() {}

  /**
   * Stores a report beside the checkpoints, the markdown first: the JSON, written last, is what
   * {@code bmadflow recovery show} and the workers read, so a report is there whole or not at all.
   *
   * @return where it is, for humans
   */
  public static String write(io.bmadflow.infra.checkpoint.CheckpointStore store, RecoveryReport report) {
    store.putRecoveryFile(report.projectId(), report.recoveryId(), MARKDOWN,
        markdown(report).getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
    store.putRecoveryFile(report.projectId(), report.recoveryId(), JSON,
        io.bmadflow.infra.json.PackageJson.write(report), false);
    return store.recoveryLocation(report.projectId(), report.recoveryId());
  }

  /** The report for humans: what `bmadflow recovery show` prints. */
  public static String markdown(RecoveryReport r) {
    StringBuilder md = new StringBuilder();
    md.append("# Recovery ").append(r.recoveryId()).append(" of project ").append(r.projectId()).append("\n\n");
    md.append("- Outcome: **").append(r.outcome()).append("**").append(r.dryRun() ? " (dry run: nothing was changed)" : "").append('\n');
    if (r.error() != null) {
      md.append("- Error: ").append(r.error()).append('\n');
    }
    md.append("- Strategy: ").append(r.strategy() == null ? "none" : r.strategy())
        .append(" (requested: ").append(r.requestedStrategy()).append("; ").append(r.strategyReason()).append(")\n");
    md.append("- Scenario: ").append(r.scenario()).append('\n');
    md.append("- Requested by: ").append(r.requestedBy()).append(r.reason() == null ? "" : " (" + r.reason() + ")").append('\n');
    md.append("- Started: ").append(Instant.ofEpochMilli(r.startedAtMillis())).append(", took ")
        .append(r.finishedAtMillis() - r.startedAtMillis()).append(" ms\n");
    if (r.newRunId() != null) {
      md.append("- New run: ").append(r.newRunId()).append('\n');
    }
    if (r.resumedInMillis() >= 0) {
      md.append("- Resumed: next step finished ").append(r.resumedInMillis()).append(" ms after resuming\n");
    }
    Assessment a = r.assessment();
    if (a != null) {
      md.append("\n## Failure assessment\n\n");
      md.append("- Workflow: ").append(a.workflowStatus()).append(a.runId() == null ? "" : " (run " + a.runId() + ")").append('\n');
      if (a.failureMessage() != null) {
        md.append("- Failure: ").append(a.failureMessage()).append('\n');
      }
      if (a.stepsCompleted() >= 0) {
        md.append("- Progress: phase ").append(a.phase()).append(", ").append(a.stepsCompleted()).append(" steps completed")
            .append(a.paused() ? ", paused" : "").append('\n');
      }
      a.failing().forEach(f -> md.append("- Failing: ").append(f.activityType()).append(f.agent() == null ? "" : " (agent " + f.agent() + ")")
          .append(", attempt ").append(f.attempt()).append(f.lastFailure() == null ? "" : ": " + f.lastFailure()).append('\n'));
      md.append("- Checkpoints available: ").append(a.checkpointsAvailable())
          .append(a.newestCheckpointId() == null ? "" : " (newest " + a.newestCheckpointId() + ")").append('\n');
      if (a.storageOutageMillis() > 0) {
        md.append("- Storage outage: unreachable for ").append(a.storageOutageMillis()).append(" ms (")
            .append(a.storageAttempts()).append(" attempts)\n");
      }
      a.notes().forEach(n -> md.append("- Note: ").append(n).append('\n'));
    }
    CheckpointChoice c = r.checkpoint();
    if (c != null) {
      md.append("\n## Checkpoint\n\n");
      md.append("- ").append(c.checkpointId()).append(", taken ").append(Instant.ofEpochMilli(c.createdAtMillis()))
          .append(" (").append(c.trigger()).append(")\n");
      md.append("- Why: ").append(c.why()).append('\n');
      md.append("- State: phase ").append(c.phase()).append(", ").append(c.stepsCompleted()).append(" steps completed, last step '")
          .append(c.step()).append("'\n");
      c.skipped().forEach(s -> md.append("- Skipped ").append(s.checkpointId()).append(": ").append(s.reason()).append('\n'));
    }
    if (r.plan() != null) {
      md.append("\n## Plan\n\n");
      r.plan().actions().forEach(x -> md.append("1. ").append(x).append('\n'));
      r.plan().warnings().forEach(w -> md.append("\nWarning: ").append(w).append('\n'));
      if (!r.plan().filesNotInCheckpoint().isEmpty()) {
        md.append("\nFiles newer than the checkpoint, left in place: ").append(String.join(", ", r.plan().filesNotInCheckpoint())).append('\n');
      }
    }
    if (r.workLost() != null) {
      md.append("\nWork lost: ").append(r.workLost()).append('\n');
    }
    md.append("\nBackup: ").append(r.backupLocation()).append('\n');
    if (!r.actions().isEmpty()) {
      md.append("\n## Actions\n\n");
      r.actions().forEach(x -> md.append("- ").append(x).append('\n'));
    }
    if (!r.checks().isEmpty()) {
      md.append("\n## Validation\n\n| Check | Result | Time | Detail |\n|---|---|---|---|\n");
      for (ValidationCheck v : r.checks()) {
        md.append("| ").append(v.name()).append(" | ").append(v.passed() ? "pass" : "FAIL").append(" | ")
            .append(v.durationMillis()).append(" ms | ").append(v.detail().replace("|", "\\|")).append(" |\n");
      }
    }
    md.append("\n## Stages\n\n| Stage | Outcome | Time | Detail |\n|---|---|---|---|\n");
    for (StageTiming s : r.stages()) {
      md.append("| ").append(s.stage()).append(" | ").append(s.outcome()).append(" | ").append(s.durationMillis())
          .append(" ms | ").append(s.detail() == null ? "" : s.detail().replace("|", "\\|")).append(" |\n");
    }
    return md.toString();
  }
}
