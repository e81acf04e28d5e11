package io.bmadflow.workflows.recovery;

import java.util.List;

/**
 * The cold and point-in-time strategies: a new run of the project from the checkpoint (the
 * newest that verifies, or the one named by id or time). The workspace files are written and
 * re-hashed first, the project starts paused, its state is validated, and it resumes unless it
 * was paused at the checkpoint. A run that still exists is terminated by the restart.
 */
final class RestartRecovery implements RecoveryProcedure {

  @Override
  public void recover(ReportDraft report, RecoveryStages stages) {
    String projectId = report.projectId();
    Assessment a = report.assessment;
    CheckpointChoice choice = stages.selectCheckpoint(report, null);
    RestorePlan plan = stages.planRestore(report, choice, WHOLE_STATE, null);
    if (report.planned(plan.withActions(steps(a, choice, plan)), RecoveryStages.workLostByRestart(a, choice))) {
      return;
    }
    stages.backup(report, choice, plan);
    stages.restoreFiles(projectId, choice, plan);
    // The workspace is re-read and hashed before the project runs any step again.
    stages.check(ValidationCheck.CONTEXT, projectId, choice.checkpointId());
    stages.failOnFailedCheck();
    stages.restartPaused(report, choice);
    stages.validate(projectId, choice.workspace(), choice.agents(),
        List.of(ValidationCheck.WORKFLOW_STATE, ValidationCheck.AGENT_STATES), choice.checkpointId());
    stages.resume(projectId, choice.stepsCompleted(), choice.paused(), report);
  }

  private static List<String> steps(Assessment a, CheckpointChoice c, RestorePlan plan) {
    List<String> steps = RecoveryStages.restoreSteps(a, c, plan);
    steps.add("check the workspace files against the checkpoint's hashes before any step runs");
    steps.add((a.running() || !Assessment.NOT_FOUND.equals(a.workflowStatus()) ? "terminate run " + a.runId() + " and " : "")
        + "start the project paused from " + c.checkpointId() + " (phase " + c.phase() + ", after step '" + c.step() + "')");
    steps.add("check workflow state, agent states, communication and basic functionality");
    steps.add(c.paused() ? "leave it paused, as it was at the checkpoint" : "resume it and wait for its next step");
    return steps;
  }
}
