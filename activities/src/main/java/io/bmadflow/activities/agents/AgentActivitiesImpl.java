package io.bmadflow.activities.agents;

import io.bmadflow.activities.Workspace;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ProbeRequest;
import io.bmadflow.workflows.agents.ProbeResult;
import io.bmadflow.workflows.agents.RosterCheck;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.List;

/** Runs agent steps with the configured {@link AgentRunner}, heartbeating while they work. */
public final class AgentActivitiesImpl implements AgentActivities {
  private final AgentRunner runner;
  private final Path workspaceRoot;
  private final String workerName;

  /**
   * @param runner the agent implementation
   * @param workspaceRoot where project workspaces live when a project names none
   * @param workerName this worker's name, recorded with each step it runs
   */
  public AgentActivitiesImpl(AgentRunner runner, Path workspaceRoot, String workerName) {
    this.runner = runner;
    this.workspaceRoot = workspaceRoot;
    this.workerName = workerName;
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
      workspace = Workspace.of(workspaceRoot, request.projectId(), request.workspace());
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
    Workspace workspace;
    try {
      workspace = Workspace.of(workspaceRoot, request.projectId(), request.workspace());
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
    AgentStepResult result;
    try {
      result = runner.run(request, workspace, () -> context.heartbeat(request.stepIndex()));
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "agent " + request.agent() + ", step " + request.stepIndex() + ": " + e.getMessage(),
          Failures.INVALID_INPUT);
    }
    return result.executedBy(workerName);
  }
}
