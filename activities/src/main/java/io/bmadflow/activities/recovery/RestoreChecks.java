package io.bmadflow.activities.recovery;

import io.bmadflow.activities.Heartbeats;
import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.project.ComponentRestore;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.RecoveryActivities;
import io.bmadflow.workflows.recovery.ValidationCheck;
import io.temporal.failure.ApplicationFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The checks that validate a restore against its checkpoint, {@link RecoveryActivities#check}:
 * a restored file's hash, the workflow's state and agents, and every artifact the checkpoint
 * references re-read from disk (hashed by streaming, links not followed) in the project's
 * configured workspace ({@link ProjectWorkspaces}). A check that cannot run fails with the reason;
 * it never throws.
 */
final class RestoreChecks {
  private final OpenCheckpoints checkpoints;
  private final ProjectExecutions executions;
  private final ProjectWorkspaces workspaces;

  RestoreChecks(OpenCheckpoints checkpoints, ProjectExecutions executions, ProjectWorkspaces workspaces) {
    this.checkpoints = checkpoints;
    this.executions = executions;
    this.workspaces = workspaces;
  }

  ValidationCheck check(String name, String projectId, String checkpointId) {
    long t0 = System.nanoTime();
    ValidationCheck check = Heartbeats.during(() -> {
      try {
        return runCheck(name, projectId, checkpointId);
      } catch (RuntimeException e) {
        return new ValidationCheck(name, false, 0, Failures.rootMessage(e));
      }
    });
    return check.withDuration((System.nanoTime() - t0) / 1_000_000);
  }

  private ValidationCheck runCheck(String name, String projectId, String checkpointId) {
    StoredCheckpoint checkpoint = checkpoints.open(projectId, checkpointId);
    ProjectSnapshot expected = checkpoint.state();
    if (name.startsWith(ComponentRestore.FILE_PREFIX)) {
      String path = name.substring(ComponentRestore.FILE_PREFIX.length());
      String want = checkpoint.workspaceFiles().get(path);
      String onDisk = workspaces.of(projectId).workspace().sha256IfExists(path);
      boolean ok = want != null && onDisk != null && onDisk.equals(want);
      return new ValidationCheck(name, ok, 0, ok ? path + " matches the checkpoint's SHA-256"
          : onDisk == null ? path + " is missing from the workspace (or is not a regular file)"
          : path + " differs from the checkpoint");
    }
    if (ValidationCheck.CONTEXT.equals(name)) {
      return contextCheck(projectId, expected);
    }
    ProjectSnapshot current = executions.project(projectId).state();
    List<String> problems = new ArrayList<>();
    if (ValidationCheck.WORKFLOW_STATE.equals(name)) {
      if (!projectId.equals(current.projectId())) {
        problems.add("the workflow answers for project " + current.projectId());
      }
      if (!Objects.equals(expected.definitionId(), current.definitionId())) {
        problems.add("definition " + current.definitionId() + ", the checkpoint has " + expected.definitionId());
      }
      Set<String> keys = new TreeSet<>();
      current.steps().forEach(r -> keys.add(r.phase() + "/" + r.key()));
      List<String> missing = expected.steps().stream().map(r -> r.phase() + "/" + r.key()).filter(k -> !keys.contains(k)).toList();
      if (!missing.isEmpty()) {
        problems.add("step records missing: " + WorkspaceRestore.abbreviate(missing));
      }
      if (current.stepsCompleted() < expected.stepsCompleted()) {
        problems.add(current.stepsCompleted() + " steps completed, fewer than the checkpoint's " + expected.stepsCompleted());
      }
      return verdict(name, problems, "project state holds the checkpoint's " + expected.stepsCompleted()
          + " step records (now " + current.stepsCompleted() + "), phase " + current.phase());
    }
    List<String> agents = ValidationCheck.AGENT_STATES.equals(name) ? List.copyOf(expected.agents().keySet())
        : name.startsWith(ComponentRestore.AGENT_PREFIX) ? List.of(name.substring(ComponentRestore.AGENT_PREFIX.length())) : null;
    if (agents == null) {
      throw ApplicationFailure.newNonRetryableFailure("unknown validation check '" + name + "'", Failures.INVALID_INPUT);
    }
    for (String agent : agents) {
      AgentState want = expected.agents().get(agent);
      AgentState have = current.agents().get(agent);
      if (want == null) {
        problems.add("the checkpoint has no state for agent " + agent);
      } else if (have == null) {
        problems.add("agent " + agent + " has no state in the workflow");
      } else if (have.tasksCompleted() < want.tasksCompleted() || !have.artifacts().containsAll(want.artifacts())
          || !have.decisions().containsAll(want.decisions())) {
        problems.add("agent " + agent + " is behind the checkpoint (" + have.tasksCompleted() + " tasks, the checkpoint has "
            + want.tasksCompleted() + ")");
      }
    }
    return verdict(name, problems, agents.size() + " agent state(s) match or are ahead of the checkpoint: "
        + WorkspaceRestore.abbreviate(agents));
  }

  /** Every artifact the checkpoint references, re-read from disk and hashed. */
  private ValidationCheck contextCheck(String projectId, ProjectSnapshot expected) {
    Workspace workspace = workspaces.of(projectId).workspace();
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (ArtifactRef ref : new TreeMap<>(expected.artifacts()).values()) {
      String onDisk = workspace.sha256IfExists(ref.path());
      checked++;
      if (onDisk == null) {
        problems.add(ref.path() + " is missing (or is not a regular file)");
      } else if (!onDisk.equals(ref.sha256())) {
        problems.add(ref.path() + " differs from its reference");
      }
    }
    return verdict(ValidationCheck.CONTEXT, problems, checked + " workspace file(s) match the checkpoint's hashes");
  }

  private static ValidationCheck verdict(String name, List<String> problems, String ok) {
    return new ValidationCheck(name, problems.isEmpty(), 0, problems.isEmpty() ? ok : String.join("; ", problems));
  }
}
