package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.project.ComponentRestore;
import java.util.List;

/**
 * How a recovery strategy recovers a project once the assessment and the strategy selection are
 * done: one class per way of recovering, sharing the stages of {@link RecoveryStages}. A new
 * strategy is a new implementation, and a case in {@link #of}.
 *
 * <p>Implementations are workflow code: they run on the recovery workflow's thread and act only
 * through the stages' activities, so the commands they issue, and their order and arguments, are
 * what the workflow's recorded histories replay.
 */
interface RecoveryProcedure {

  /** Every state component of a checkpoint: what a warm recovery restores and a restart brings back. */
  List<String> WHOLE_STATE = List.of(ComponentRestore.CONTEXT, ComponentRestore.PROGRESS, ComponentRestore.AGENTS);

  /**
   * Recovers the project and sets the report's outcome ({@code recovered}, or {@code planned} for a
   * dry run). A stage that cannot proceed throws a {@code TemporalFailure}; the workflow reports
   * it as the recovery's failure at the stage it was in, leaving the project as that stage left it.
   */
  void recover(ReportDraft report, RecoveryStages stages);

  /**
   * The procedure for a selected strategy: hot alone fails over an agent; any other strategy
   * asked to restore only workspace files restores them on disk; cold and point-in-time restart
   * the project; warm and selective restore into the running workflow; progressive goes stage by
   * stage.
   */
  static RecoveryProcedure of(RecoveryStrategy strategy, RecoveryRequest request) {
    if (strategy == RecoveryStrategy.HOT) {
      return new HotRecovery();
    }
    if (request.filesOnly()) {
      // Planning is told the components the named strategy would restore, as it always was.
      return new FilesOnlyRecovery(switch (strategy) {
        case WARM -> choice -> WHOLE_STATE;
        case PROGRESSIVE -> ProgressiveRecovery::stages;
        default -> choice -> List.of();
      });
    }
    return switch (strategy) {
      case COLD, POINT_IN_TIME -> new RestartRecovery();
      case WARM -> new InPlaceRecovery(WHOLE_STATE);
      case SELECTIVE -> new InPlaceRecovery(request.stateComponents());
      case PROGRESSIVE -> new ProgressiveRecovery();
      case AUTO, HOT -> throw new IllegalArgumentException(
          "recovery strategy " + strategy.wire() + " is not one the selection returns for a restore");
    };
  }
}
