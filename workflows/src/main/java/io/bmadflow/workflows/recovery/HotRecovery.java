package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.project.ComponentRestore;
import io.temporal.failure.ApplicationFailure;
import java.util.List;

/**
 * The hot strategy: immediate failover in the running workflow. The failing agent (or the one
 * the operator names with {@code agent:<name>}) moves to its fallback runner, where its step in
 * flight restarts; then validation and resumption. Nothing is restored, so there is no backup.
 */
final class HotRecovery implements RecoveryProcedure {

  @Override
  public void recover(ReportDraft report, RecoveryStages stages) {
    RecoveryRequest request = report.request;
    Assessment a = report.assessment;
    String agent = request.components().stream().filter(c -> c.startsWith(ComponentRestore.AGENT_PREFIX))
        .map(c -> c.substring(ComponentRestore.AGENT_PREFIX.length())).findFirst()
        .orElse(a.failing().stream().map(Assessment.FailingActivity::agent).filter(x -> x != null).findFirst().orElse(null));
    if (agent == null) {
      throw ApplicationFailure.newNonRetryableFailure("no failing agent found in project " + request.projectId()
          + "; name the agent to replace with --components agent:<name>", Failures.INVALID_INPUT);
    }
    RestorePlan plan = new RestorePlan(List.of(ComponentRestore.AGENT_PREFIX + agent), List.of(), 0, List.of(),
        List.of("switch agent " + agent + " to its fallback runner; its step in flight restarts there",
            "validate communication and basic functionality", "wait for the project's next step"));
    if (report.planned(plan,
        "none: the workflow keeps its state; only the failing attempt of " + agent + "'s step is abandoned")) {
      return;
    }
    report.backup = "none needed: a hot recovery restores nothing";
    stages.action(stages.timed("restoration", () -> stages.activities().replaceAgent(request.projectId(), agent), s -> s));
    stages.validate(request.projectId(), a.workspace(), List.of(agent), List.of(), null);
    stages.resume(request.projectId(), a.stepsCompleted(), false, report);
  }
}
