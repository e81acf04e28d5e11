package io.bmadflow.workflows.recovery;

import java.util.List;

/**
 * The report of a recovery under way: what the request, the assessment and the strategy selection
 * fixed, and what the stages fill in as they go. {@link RecoveryStages} builds the
 * {@link RecoveryReport} from it and from its own timeline.
 *
 * <p>Until a strategy says otherwise the outcome is {@code failed}, so a recovery stopped part way
 * reports a failure.
 */
final class ReportDraft {
  final RecoveryRequest request;
  final Assessment assessment;
  final StrategySelection selection;
  final long started;
  String outcome = RecoveryReport.FAILED;
  String error;
  CheckpointChoice choice;
  RestorePlan plan;
  String workLost;
  String backup = "none: the recovery stopped before its backup stage";
  String newRunId;
  long resumedIn = -1;

  ReportDraft(RecoveryRequest request, Assessment assessment, StrategySelection selection, long started) {
    this.request = request;
    this.assessment = assessment;
    this.selection = selection;
    this.started = started;
  }

  /** The project recovered. */
  String projectId() {
    return request.projectId();
  }

  /**
   * Records the plan and the work it loses. Returns true when the recovery is a dry run, which
   * ends here with the outcome {@code planned}.
   */
  boolean planned(RestorePlan value, String lost) {
    plan = value;
    workLost = lost;
    if (request.dryRun()) {
      outcome = RecoveryReport.PLANNED;
      return true;
    }
    return false;
  }

  RecoveryReport build(List<String> actions, List<ValidationCheck> checks, List<StageTiming> stages, long finished) {
    return new RecoveryReport(request.recoveryId(), request.projectId(), request.strategy().wire(),
        selection.strategy() == null ? null : selection.strategy().wire(), selection.reason(), selection.scenario(),
        request.dryRun(), outcome, error, request.requestedBy(), request.reason(), assessment, choice, plan, workLost,
        request.dryRun() ? "none: a dry run changes nothing" : backup,
        List.copyOf(actions), List.copyOf(checks), List.copyOf(stages), started, finished, newRunId, resumedIn);
  }
}
