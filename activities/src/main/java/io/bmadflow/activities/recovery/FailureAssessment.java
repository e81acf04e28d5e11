package io.bmadflow.activities.recovery;

import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.Assessment;
import io.bmadflow.workflows.recovery.RecoveryActivities;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.activity.Activity;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A recovery's first step, {@link RecoveryActivities#assess}: whether checkpoint storage answers
 * (waiting for it with backoff), what state the project's workflow is in, which of its activities
 * (and its phase workflows') keep failing and which agent their failures name, and what
 * checkpoints there are.
 */
final class FailureAssessment {
  private static final Logger log = LoggerFactory.getLogger(FailureAssessment.class);
  /** How an agent step's failure names its agent ({@code agent <name>, step <n>: ...}). */
  private static final Pattern FAILING_AGENT = Pattern.compile("agent (\\S+), step");

  private final CheckpointStore store;
  private final ProjectExecutions executions;

  FailureAssessment(CheckpointStore store, ProjectExecutions executions) {
    this.store = store;
    this.executions = executions;
  }

  Assessment assess(String projectId, int reachabilityWaitSeconds) {
    ProjectIds.requireValid(projectId);
    List<String> notes = new ArrayList<>();
    long t0 = System.nanoTime();
    int attempts = 0;
    long backoff = 250;
    while (true) {
      attempts++;
      try {
        store.checkAccess();
        break;
      } catch (CheckpointStoreException e) {
        long waited = (System.nanoTime() - t0) / 1_000_000;
        if (waited >= reachabilityWaitSeconds * 1000L) {
          throw ApplicationFailure.newNonRetryableFailure("checkpoint storage stayed unreachable for " + waited
              + " ms (" + attempts + " attempts): " + e.getMessage(), Failures.INVALID_INPUT);
        }
        if (attempts == 1) {
          log.warn("recovery of {}: checkpoint storage unreachable, waiting up to {} s: {}", projectId,
              reachabilityWaitSeconds, e.getMessage());
        }
        Activity.getExecutionContext().heartbeat(attempts);
        ProjectExecutions.sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
    long outage = attempts > 1 ? (System.nanoTime() - t0) / 1_000_000 : 0;
    List<CheckpointSummary> checkpoints = store.list(projectId);

    String workflowId = ProjectIds.workflowId(projectId);
    DescribeWorkflowExecutionResponse described;
    try {
      described = executions.describe(workflowId);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
      notes.add("Temporal has no workflow " + workflowId + " in namespace " + executions.namespace());
      return new Assessment(Assessment.NOT_FOUND, null, null, null, -1, false, null, List.of(), checkpoints.size(),
          newest(checkpoints), outage, attempts, notes);
    }
    var info = described.getWorkflowExecutionInfo();
    String status = info.getStatus().name().replace("WORKFLOW_EXECUTION_STATUS_", "");
    String runId = info.getExecution().getRunId();
    String failure = null;
    if ("FAILED".equals(status) || "TERMINATED".equals(status) || "TIMED_OUT".equals(status)) {
      failure = executions.closingFailure(workflowId, runId);
    }
    List<Assessment.FailingActivity> failing = new ArrayList<>(failing(described));
    // Agent steps run in the phase workflows, the project's children: look at theirs too.
    for (var child : described.getPendingChildrenList()) {
      try {
        failing.addAll(failing(executions.describe(child.getWorkflowId())));
      } catch (StatusRuntimeException e) {
        notes.add("phase workflow " + child.getWorkflowId() + " could not be described: " + e.getStatus().getCode());
      }
    }
    ProjectSnapshot state = null;
    if (!"TERMINATED".equals(status) && !"TIMED_OUT".equals(status)) {
      try {
        state = executions.project(projectId).state();
      } catch (RuntimeException e) {
        notes.add("the workflow did not answer a state query: " + Failures.rootMessage(e));
      }
    }
    return new Assessment(status, runId, failure, state == null ? null : state.phase(),
        state == null ? -1 : state.stepsCompleted(), state != null && state.paused(),
        state == null ? null : state.workspace(), failing, checkpoints.size(), newest(checkpoints), outage, attempts, notes);
  }

  /** A workflow's pending activities that have failed at least once, with the agent their failure names. */
  private static List<Assessment.FailingActivity> failing(DescribeWorkflowExecutionResponse described) {
    List<Assessment.FailingActivity> out = new ArrayList<>();
    for (PendingActivityInfo pending : described.getPendingActivitiesList()) {
      if (pending.getAttempt() > 1 || pending.hasLastFailure()) {
        String message = pending.hasLastFailure() ? pending.getLastFailure().getMessage() : null;
        Matcher m = message == null ? null : FAILING_AGENT.matcher(message);
        out.add(new Assessment.FailingActivity(pending.getActivityType().getName(), pending.getAttempt(),
            m != null && m.find() ? m.group(1) : null, message));
      }
    }
    return out;
  }

  private static String newest(List<CheckpointSummary> checkpoints) {
    return checkpoints.isEmpty() ? null : checkpoints.get(checkpoints.size() - 1).checkpointId();
  }
}
