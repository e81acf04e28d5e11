package io.bmadflow.activities.agents;

import io.bmadflow.activities.Workspace;
import io.bmadflow.activities.WorkspaceGuard;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ProbeRequest;
import io.bmadflow.workflows.agents.ProbeResult;
import io.bmadflow.workflows.agents.RosterCheck;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.client.ActivityCompletionException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs agent steps with the configured {@link AgentRunner}, heartbeating while they work.
 *
 * <p>With an {@link AgentRoster}, a step runs its agent's fallback runner instead of the primary
 * one when the request asks for it (after a hot recovery replaced the agent) or, by itself, from
 * attempt {@link AgentRoster#fallbackAfter()} + 1 on; the result's {@code executedBy} then reads
 * {@code <worker> (fallback)}.
 *
 * <p>Failures: an {@link IllegalArgumentException} from the runner (a bad request or report) fails
 * the step without retries as {@link Failures#INVALID_INPUT}; any other runner failure is retried as
 * {@link #AGENT_FAILED}. Both messages start with {@code agent <name>, step <index>: }, so the
 * pending activity's last failure says which agent is failing.
 */
public final class AgentActivitiesImpl implements AgentActivities {
  /** The type of the retryable failure of an agent step whose runner failed. */
  public static final String AGENT_FAILED = Failures.AGENT_FAILED;

  private static final Logger log = LoggerFactory.getLogger(AgentActivitiesImpl.class);

  private final AgentRunner runner;
  private final WorkspaceRoot workspaces;
  private final String workerName;
  private final WorkspaceGuard guard;

  /**
   * @param runner the agent implementation
   * @param workspaceRoot where project workspaces live; the only root a project's workspace may be under
   * @param workerName this worker's name, recorded with each step it runs
   */
  public AgentActivitiesImpl(AgentRunner runner, Path workspaceRoot, String workerName) {
    this(runner, WorkspaceRoot.of(workspaceRoot), workerName);
  }

  /**
   * @param runner the agent implementation
   * @param workspaces where project workspaces may live: a step whose project names a workspace
   *     outside them fails without retries as {@link Failures#INVALID_INPUT}, naming the root
   * @param workerName this worker's name, recorded with each step it runs
   */
  public AgentActivitiesImpl(AgentRunner runner, WorkspaceRoot workspaces, String workerName) {
    this(runner, workspaces, workerName, WorkspaceGuard.NONE);
  }

  /**
   * @param guard runs before each step touches the workspace (the worker's rewind after a reset)
   */
  public AgentActivitiesImpl(AgentRunner runner, WorkspaceRoot workspaces, String workerName, WorkspaceGuard guard) {
    this.runner = runner;
    this.workspaces = workspaces;
    this.workerName = workerName;
    this.guard = guard;
  }

  @Override
  public RosterCheck checkRoster(List<String> agents) {
    List<String> served;
    java.util.function.Predicate<String> serves;
    if (runner instanceof AgentRoster roster) {
      served = roster.served();
      serves = roster::serves;
    } else if (runner instanceof BuiltInAgentRunner) {
      served = BuiltInAgentRunner.served();
      serves = served::contains;
    } else {
      return new RosterCheck(List.of(), List.of("*")); // A custom runner answers for itself.
    }
    return new RosterCheck(agents.stream().filter(a -> !serves.test(a)).distinct().sorted().toList(), served);
  }

  @Override
  public ProbeResult probe(ProbeRequest request) {
    List<String> unserved = checkRoster(request.agents()).unserved();
    Workspace workspace;
    try {
      workspace = Workspace.of(workspaces, request.projectId(), request.workspace());
    } catch (IllegalArgumentException e) {
      return new ProbeResult(workerName, unserved, false, e.getMessage());
    }
    String probe = ".bmadflow/probe-" + java.util.UUID.randomUUID() + ".tmp";
    try {
      workspace.write(probe, "bmadflow recovery probe\n");
      java.nio.file.Files.delete(workspace.resolve(probe));
    } catch (RuntimeException | java.io.IOException e) {
      return new ProbeResult(workerName, unserved, false,
          "the workspace " + workspace.root() + " is not writable: " + e.getMessage());
    }
    return new ProbeResult(workerName, unserved, true, unserved.isEmpty()
        ? "runners resolve for " + request.agents().size() + " agent(s); workspace " + workspace.root() + " is writable"
        : "no runner for " + String.join(", ", unserved));
  }

  @Override
  public AgentStepResult runStep(AgentStepRequest request) {
    ActivityExecutionContext context = Activity.getExecutionContext();
    String step = "agent " + request.agent() + ", step " + request.stepIndex();
    Workspace workspace;
    try {
      workspace = Workspace.of(workspaces, request.projectId(), request.workspace());
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(step + ": " + e.getMessage(), Failures.INVALID_INPUT);
    }
    guard.beforeUse(request.projectId());
    boolean fallback = useFallback(request, context.getInfo().getAttempt(), step);
    AgentStepResult result;
    try {
      result = runner.run(fallback ? request.withFallback() : request, workspace,
          () -> context.heartbeat(request.stepIndex()));
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(step + ": " + e.getMessage(), Failures.INVALID_INPUT);
    } catch (TemporalFailure | ActivityCompletionException e) {
      throw e; // Temporal's own: a failure the runner chose, or the heartbeat learning of a cancel or timeout.
    } catch (RuntimeException e) {
      // No cause attached: the workflow reports the innermost failure's message, which must keep the
      // prefix naming the agent. The runner's stack trace is kept on the failure instead.
      ApplicationFailure failure = ApplicationFailure.newFailure(
          step + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()), AGENT_FAILED);
      failure.setStackTrace(e.getStackTrace());
      throw failure;
    }
    return result.executedBy(fallback ? workerName + " (fallback)" : workerName);
  }

  /**
   * Whether this attempt runs the agent's fallback runner: the request asks for it, or the attempt
   * comes after {@link AgentRoster#fallbackAfter()} failed ones and the agent has a fallback.
   *
   * @throws ApplicationFailure non-retryable when the request asks for a fallback the agent lacks
   */
  private boolean useFallback(AgentStepRequest request, int attempt, String step) {
    AgentRoster roster = runner instanceof AgentRoster r ? r : null;
    if (request.useFallback()) {
      if (roster == null || !roster.hasFallback(request.agent())) {
        throw ApplicationFailure.newNonRetryableFailure(step + ": the step asks for the agent's fallback runner"
            + " (a hot recovery replaced the agent), but worker " + workerName + " has no fallback for '"
            + request.agent() + "'; " + AgentRoster.howToConfigureFallback(request.agent()), Failures.INVALID_INPUT);
      }
      log.warn("{}: attempt {} runs the fallback runner of the agent instead of its primary, as the workflow asks"
          + " (a hot recovery replaced the agent)", step, attempt);
      return true;
    }
    if (roster != null && roster.fallsBackAt(request.agent(), attempt)) {
      log.warn("{}: attempt {} runs the fallback runner of the agent instead of its primary: {} attempt(s) failed"
          + " before ({}={})", step, attempt, attempt - 1, AgentRoster.FALLBACK_AFTER, roster.fallbackAfter());
      return true;
    }
    return false;
  }
}
