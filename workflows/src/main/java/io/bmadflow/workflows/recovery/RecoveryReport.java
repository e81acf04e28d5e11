package io.bmadflow.workflows.recovery;

import java.util.List;

/**
 * What a recovery did: stored as {@code recovery-report.json} and {@code recovery-report.md}
 * under {@code docs/state/recoveries/<recovery-id>/}, beside the checkpoints.
 *
 * @param recoveryId the recovery
 * @param projectId the project
 * @param requestedStrategy what the operator asked for
 * @param strategy the strategy used
 * @param strategyReason why that strategy
 * @param scenario the failure scenario the assessment found
 * @param dryRun whether this was only a plan
 * @param outcome {@code recovered}, {@code planned}, {@code failed} or {@code nothing-to-recover}
 * @param error what failed, or null
 * @param requestedBy who asked
 * @param reason why they asked
 * @param assessment the failure assessment
 * @param checkpoint the checkpoint restored, or null
 * @param plan what was (or would be) restored, or null
 * @param workLost the work lost since that checkpoint, in words
 * @param backupLocation where the pre-recovery backup is, or why there is none
 * @param actions what the recovery did, in order
 * @param checks the validation checks
 * @param stages the stages with their durations
 * @param startedAtMillis when it started
 * @param finishedAtMillis when it finished
 * @param newRunId the project's new run, when the recovery started one
 * @param resumedInMillis from resuming the project to its next finished step, or -1
 */
public record RecoveryReport(
    String recoveryId,
    String projectId,
    String requestedStrategy,
    String strategy,
    String strategyReason,
    String scenario,
    boolean dryRun,
    String outcome,
    String error,
    String requestedBy,
    String reason,
    Assessment assessment,
    CheckpointChoice checkpoint,
    RestorePlan plan,
    String workLost,
    String backupLocation,
    List<String> actions,
    List<ValidationCheck> checks,
    List<StageTiming> stages,
    long startedAtMillis,
    long finishedAtMillis,
    String newRunId,
    long resumedInMillis) {

  public static final String RECOVERED = "recovered";
  public static final String PLANNED = "planned";
  public static final String FAILED = "failed";
  public static final String NOTHING = "nothing-to-recover";

  public RecoveryReport {
    actions = actions == null ? List.of() : List.copyOf(actions);
    checks = checks == null ? List.of() : List.copyOf(checks);
    stages = stages == null ? List.of() : List.copyOf(stages);
  }

  public boolean succeeded() {
    return RECOVERED.equals(outcome) || PLANNED.equals(outcome) || NOTHING.equals(outcome);
  }

  /** The duration of a stage, or 0 when it did not run. */
  public long stageMillis(String stage) {
    return stages.stream().filter(s -> s.stage().equals(stage)).mapToLong(StageTiming::durationMillis).sum();
  }
}
