package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.Failures;
import io.temporal.failure.ApplicationFailure;
import java.util.List;

/**
 * The strategy a recovery uses, the failure scenario it answers, and why.
 *
 * @param strategy the strategy, or null when there is nothing to recover
 * @param scenario the failure scenario the assessment found, in words
 * @param reason why this strategy (or why none)
 */
public record StrategySelection(RecoveryStrategy strategy, String scenario, String reason) {

  /**
   * Picks the strategy. An explicit one is checked against the workflow's state; {@code auto}
   * answers the scenario: a lost or ended workflow gets cold, a failing agent hot, named
   * components selective, a named checkpoint or time point-in-time.
   *
   * @throws ApplicationFailure (non-retryable, {@link Failures#INVALID_INPUT}) when the requested
   *     strategy does not fit the project's state or the request
   */
  public static StrategySelection select(RecoveryRequest request, Assessment a) {
    List<String> stateComponents = request.stateComponents();
    boolean filesOnly = request.filesOnly();
    boolean pointInTime = request.checkpointId() != null || request.atMillis() != null;
    String failingAgent = a.failing().stream().map(Assessment.FailingActivity::agent)
        .filter(x -> x != null).findFirst().orElse(null);
    String scenario;
    if (Assessment.NOT_FOUND.equals(a.workflowStatus())) {
      scenario = "complete system failure: the project's workflow history is gone (a lost cluster or a wiped namespace)";
    } else if (!a.running() && !Assessment.COMPLETED.equals(a.workflowStatus())) {
      scenario = "workflow failure: the run ended " + a.workflowStatus()
          + (a.failureMessage() == null ? "" : " (" + a.failureMessage() + ")");
    } else if (!a.failing().isEmpty()) {
      Assessment.FailingActivity f = a.failing().get(0);
      scenario = "agent failure: " + (f.agent() == null ? f.activityType() : "agent " + f.agent())
          + " is failing (attempt " + f.attempt() + (f.lastFailure() == null ? "" : ": " + f.lastFailure()) + ")";
    } else if (filesOnly || pointInTime) {
      scenario = "human error: restore " + (filesOnly ? "workspace files" : "the project") + " to an earlier checkpoint";
    } else if (!stateComponents.isEmpty()) {
      scenario = "partial failure: " + String.join(", ", stateComponents) + " lost or wrong";
    } else {
      scenario = "no failure found: the workflow is " + a.workflowStatus();
    }
    if (a.storageOutageMillis() > 0) {
      scenario = "network partition (storage unreachable for " + a.storageOutageMillis() + " ms, "
          + a.storageAttempts() + " attempts), then " + scenario;
    }

    RecoveryStrategy s = request.strategy();
    boolean needsRunning = s == RecoveryStrategy.HOT || s == RecoveryStrategy.WARM
        || (s == RecoveryStrategy.SELECTIVE && !filesOnly);
    if (needsRunning && !a.running()) {
      throw ApplicationFailure.newNonRetryableFailure(s.wire() + " recovery works on a running workflow, and project "
          + request.projectId() + "'s is " + a.workflowStatus() + "; use --strategy cold (or auto)", Failures.INVALID_INPUT);
    }
    if (s == RecoveryStrategy.SELECTIVE && request.components().isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure("selective recovery needs --components (context, progress, agents,"
          + " agent:<name>, file:<path>)", Failures.INVALID_INPUT);
    }
    if (s != RecoveryStrategy.AUTO) {
      return new StrategySelection(s, scenario, "requested by the operator");
    }
    if (filesOnly) {
      return new StrategySelection(RecoveryStrategy.SELECTIVE, scenario,
          "only workspace files are named: they are restored on disk");
    }
    if (pointInTime) {
      return new StrategySelection(RecoveryStrategy.POINT_IN_TIME, scenario, "a checkpoint or a time is named");
    }
    if (!a.running() && !Assessment.COMPLETED.equals(a.workflowStatus())) {
      return new StrategySelection(RecoveryStrategy.COLD, scenario,
          "no running workflow to restore into: a new run starts from the checkpoint");
    }
    if (failingAgent != null) {
      return new StrategySelection(RecoveryStrategy.HOT, scenario,
          "an agent is failing in a running workflow: move it to its fallback runner");
    }
    if (!stateComponents.isEmpty()) {
      return new StrategySelection(RecoveryStrategy.SELECTIVE, scenario,
          "named components are restored into the running workflow");
    }
    return new StrategySelection(null, scenario,
        "nothing to recover: name a checkpoint (--checkpoint, --at) or components to restore anyway");
  }
}
