package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.project.ComponentRestore;
import java.util.List;
import java.util.function.Function;

/**
 * A recovery that names only workspace files ({@code file:<path>}), whatever restore strategy
 * serves it: the checkpoint's version of those files is written and each is checked against the
 * checkpoint's hash. The workflow is not touched, so it need not be running.
 */
final class FilesOnlyRecovery implements RecoveryProcedure {
  private final Function<CheckpointChoice, List<String>> plannedComponents;

  /**
   * A files-only recovery whose planning is told {@code plannedComponents} of the checkpoint: the
   * state components the requested strategy restores (none are restored; the plan lists them).
   */
  FilesOnlyRecovery(Function<CheckpointChoice, List<String>> plannedComponents) {
    this.plannedComponents = plannedComponents;
  }

  @Override
  public void recover(ReportDraft report, RecoveryStages stages) {
    String projectId = report.projectId();
    List<String> files = report.request.fileComponents();
    CheckpointChoice choice = stages.selectCheckpoint(report, files);
    RestorePlan plan = stages.planRestore(report, choice, plannedComponents.apply(choice), files);
    if (report.planned(plan.withActions(steps(report.assessment, choice, plan)),
        "none: only the named files return to their version in " + choice.checkpointId())) {
      return;
    }
    stages.backup(report, choice, plan);
    stages.restoreFiles(projectId, choice, plan);
    for (String file : files) {
      stages.check(ComponentRestore.FILE_PREFIX + file, projectId, choice.checkpointId());
    }
    stages.failOnFailedCheck();
    report.outcome = RecoveryReport.RECOVERED;
  }

  private static List<String> steps(Assessment a, CheckpointChoice c, RestorePlan plan) {
    List<String> steps = RecoveryStages.restoreSteps(a, c, plan);
    steps.add("check each restored file's SHA-256 against the checkpoint; the workflow is not touched");
    return steps;
  }
}
