package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.project.ComponentRestore;
import java.util.ArrayList;
import java.util.List;

/**
 * The progressive strategy: context first, then each agent, validating after each stage and
 * stopping at the first that fails, with the project paused; then communication, functionality
 * and resume. A running project is paused and restored into; a stopped one is restarted paused
 * from the checkpoint, and its agents come back with it, so they are only checked.
 */
final class ProgressiveRecovery implements RecoveryProcedure {

  /** The stages of a progressive restore from this checkpoint: its context, then each of its agents. */
  static List<String> stages(CheckpointChoice choice) {
    List<String> stages = new ArrayList<>();
    stages.add(ComponentRestore.CONTEXT);
    choice.agents().forEach(agent -> stages.add(ComponentRestore.AGENT_PREFIX + agent));
    return stages;
  }

  @Override
  public void recover(ReportDraft report, RecoveryStages stages) {
    RecoveryRequest request = report.request;
    String projectId = request.projectId();
    Assessment a = report.assessment;
    CheckpointChoice choice = stages.selectCheckpoint(report, null);
    RestorePlan plan = stages.planRestore(report, choice, stages(choice), null);
    String workLost = a.running() ? RecoveryStages.workLostInPlace(choice) : RecoveryStages.workLostByRestart(a, choice);
    if (report.planned(plan.withActions(steps(a, choice, plan)), workLost)) {
      return;
    }
    stages.backup(report, choice, plan);

    String cp = choice.checkpointId();
    if (a.running()) {
      stages.timed("restoration", () -> {
        stages.activities().setPaused(projectId, true, "recovery " + request.recoveryId() + ": progressive restore");
        return "paused";
      }, s -> "project paused for the staged restore");
      stages.action("paused project " + projectId);
    }
    stages.restoreFiles(projectId, choice, plan);
    if (a.running()) {
      stages.restoreComponents(report, choice, List.of(ComponentRestore.CONTEXT));
    } else {
      stages.restartPaused(report, choice);
    }
    stages.check(ValidationCheck.CONTEXT, projectId, cp);
    stages.failOnFailedCheck();
    for (String agent : choice.agents()) {
      String component = ComponentRestore.AGENT_PREFIX + agent;
      if (a.running()) {
        stages.restoreComponents(report, choice, List.of(component));
      }
      stages.check(component, projectId, cp);
      stages.failOnFailedCheck();
    }
    stages.validate(projectId, choice.workspace(), choice.agents(), List.of(ValidationCheck.WORKFLOW_STATE), cp);
    // A running project may be ahead of its checkpoint: progress means a step beyond where it was.
    int before = a.running() ? Math.max(a.stepsCompleted(), choice.stepsCompleted()) : choice.stepsCompleted();
    stages.resume(projectId, before, choice.paused() && !a.running(), report);
  }

  private static List<String> steps(Assessment a, CheckpointChoice c, RestorePlan plan) {
    List<String> steps = RecoveryStages.restoreSteps(a, c, plan);
    steps.add((a.running() ? "pause the project, restore its context" : "restart the project paused from " + c.checkpointId())
        + ", check context consistency");
    c.agents().forEach(agent -> steps.add((a.running() ? "restore and check" : "check") + " agent " + agent));
    steps.add("check communication and basic functionality, then resume");
    return steps;
  }
}
