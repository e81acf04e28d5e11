package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.project.ComponentRestore;
import java.util.ArrayList;
import java.util.List;

/**
 * The warm and selective strategies: state components restored from the checkpoint into the
 * running workflow (warm: all of them; selective: the named ones, and any named workspace files),
 * then validated. The workflow keeps running throughout, so there is no resumption.
 */
final class InPlaceRecovery implements RecoveryProcedure {
  private final List<String> components;

  /** A recovery restoring these state components ({@code context}, {@code agent:<name>}, ...). */
  InPlaceRecovery(List<String> components) {
    this.components = List.copyOf(components);
  }

  @Override
  public void recover(ReportDraft report, RecoveryStages stages) {
    String projectId = report.projectId();
    List<String> files = report.request.fileComponents();
    CheckpointChoice choice = stages.selectCheckpoint(report, null);
    // Which workspace files to write: all of the checkpoint's when its context comes back, else the named ones.
    List<String> fileScope = components.contains(ComponentRestore.CONTEXT) ? null : files;
    RestorePlan plan = stages.planRestore(report, choice, components, fileScope);
    if (report.planned(plan.withActions(steps(report.assessment, choice, plan)), RecoveryStages.workLostInPlace(choice))) {
      return;
    }
    stages.backup(report, choice, plan);
    stages.restoreFiles(projectId, choice, plan);
    if (!components.isEmpty()) {
      stages.restoreComponents(report, choice, components);
    }
    List<String> stateChecks = new ArrayList<>();
    for (String c : components) {
      stateChecks.add(switch (c) {
        case ComponentRestore.CONTEXT -> ValidationCheck.CONTEXT;
        case ComponentRestore.PROGRESS -> ValidationCheck.WORKFLOW_STATE;
        case ComponentRestore.AGENTS -> ValidationCheck.AGENT_STATES;
        default -> c;
      });
    }
    files.forEach(f -> stateChecks.add(ComponentRestore.FILE_PREFIX + f));
    stages.validate(projectId, choice.workspace(), choice.agents(), stateChecks, choice.checkpointId());
    report.outcome = RecoveryReport.RECOVERED;
  }

  private static List<String> steps(Assessment a, CheckpointChoice c, RestorePlan plan) {
    List<String> steps = RecoveryStages.restoreSteps(a, c, plan);
    steps.add("restore " + String.join(", ", plan.components()) + " into the running workflow");
    steps.add("check what was restored, communication and basic functionality");
    return steps;
  }
}
