package io.bmadflow.workflows.recovery;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.agents.AgentActivities;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Workflow;
import org.slf4j.Logger;

/**
 * A recovery; see {@link RecoveryWorkflow}. The workflow decides, its activities act: nothing
 * big travels through its history (the activities read packages from S3 themselves).
 *
 * <p>It assesses the failure, selects a strategy ({@link StrategySelection}), runs that
 * strategy's {@link RecoveryProcedure} over the shared {@link RecoveryStages}, and stores the
 * report. A recovery that cannot proceed does not fail the workflow: it stops at the stage that
 * failed and reports it, leaving the project as that stage left it (paused, when the recovery
 * had paused it) so an operator can look before anything else runs.
 */
public class RecoveryWorkflowImpl implements RecoveryWorkflow {
  private static final Logger log = Workflow.getLogger(RecoveryWorkflowImpl.class);

  private final RecoveryActivities acts =
      Workflow.newActivityStub(RecoveryActivities.class, ActivityProfiles.recovery());
  private final RecoveryActivities checkpointsQueue =
      Workflow.newActivityStub(RecoveryActivities.class, ActivityProfiles.probe(TaskQueues.CHECKPOINTS));
  private final AgentActivities agentsQueue =
      Workflow.newActivityStub(AgentActivities.class, ActivityProfiles.probe(TaskQueues.AGENTS));

  private final RecoveryStages stages = new RecoveryStages(acts, checkpointsQueue, agentsQueue);

  @Override
  public String stage() {
    return stages.current();
  }

  @Override
  public RecoveryReport run(RecoveryRequest request) {
    long started = Workflow.currentTimeMillis();
    String problem = request.problem();
    if (problem != null) {
      throw ApplicationFailure.newNonRetryableFailure(problem, Failures.INVALID_INPUT);
    }
    String projectId = request.projectId();
    stages.record("initiation", started, "ok", "requested by " + request.requestedBy()
        + (request.reason() == null ? "" : ": " + request.reason()) + (request.dryRun() ? " (dry run)" : ""));

    Assessment assessment = stages.timed("assessment", () -> acts.assess(projectId, request.reachabilityWait()),
        a -> "workflow " + a.workflowStatus() + ", " + a.checkpointsAvailable() + " checkpoint(s), "
            + a.failing().size() + " failing activit(ies)"
            + (a.storageOutageMillis() > 0 ? ", storage unreachable for " + a.storageOutageMillis() + " ms" : ""));
    StrategySelection selection;
    try {
      selection = stages.timed("strategy", () -> StrategySelection.select(request, assessment),
          s -> (s.strategy() == null ? "none" : s.strategy().wire()) + ": " + s.reason());
    } catch (ApplicationFailure refused) {
      // The requested strategy does not fit the project's state: report why, change nothing.
      ReportDraft report = new ReportDraft(request, assessment,
          new StrategySelection(request.strategy(), "not assessed", "refused"), started);
      report.error = refused.getOriginalMessage();
      stages.record("strategy", Workflow.currentTimeMillis(), "failed", report.error);
      return stages.finish(report);
    }

    ReportDraft report = new ReportDraft(request, assessment, selection, started);
    if (selection.strategy() == null) {
      report.outcome = RecoveryReport.NOTHING;
      return stages.finish(report);
    }
    try {
      RecoveryProcedure.of(selection.strategy(), request).recover(report, stages);
    } catch (TemporalFailure e) {
      report.outcome = RecoveryReport.FAILED;
      report.error = "stage " + stages.current() + ": " + Failures.rootMessage(e);
      stages.failed(report.error);
      log.error("recovery {} of project {} failed at {}: {}", request.recoveryId(), projectId, stages.current(),
          report.error);
    }
    return stages.finish(report);
  }
}
