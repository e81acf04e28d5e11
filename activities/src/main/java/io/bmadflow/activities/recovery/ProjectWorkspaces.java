package io.bmadflow.activities.recovery;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.project.ProjectRequest;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Where a recovery reads and writes a project's files: the project's configured workspace, never
 * the one a package records. The configured workspace is the one the project's latest run was
 * started with as Temporal records it ({@link ProjectExecutions#startedWorkspace}), checked by the
 * worker's {@link WorkspaceRoot}; when Temporal has no execution of the project (a lost cluster),
 * it is {@code <root>/<projectId>}. A package's recorded {@code workspace} (in its workflow state
 * and project request) is read from the bucket and so is untrusted: it is only compared, and a
 * difference is reported.
 */
final class ProjectWorkspaces {
  private final ProjectExecutions executions;
  private final WorkspaceRoot workspaces;

  ProjectWorkspaces(ProjectExecutions executions, WorkspaceRoot workspaces) {
    this.executions = executions;
    this.workspaces = workspaces;
  }

  /**
   * A project's configured workspace.
   *
   * @param explicit the directory its run names, or null for the workers' default
   * @param workspace the directory, inside the workspace root
   * @param source where it comes from, for messages
   */
  record Configured(String explicit, Workspace workspace, String source) {}

  /**
   * The configured workspace of a project; a run whose workspace the policy refuses is invalid
   * input (non-retryable), naming the root and the variable to change.
   */
  Configured of(String projectId) {
    Optional<ProjectExecutions.Recorded> recorded = executions.startedWorkspace(projectId);
    String explicit = recorded.map(ProjectExecutions.Recorded::workspace).filter(w -> !w.isBlank()).orElse(null);
    String source = recorded.isEmpty() ? "Temporal has no run of the project, so the workers' default"
        : "the workspace of the project's run " + recorded.get().runId() + " in Temporal";
    try {
      return new Configured(explicit, Workspace.of(workspaces, projectId, explicit), source);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure("project " + projectId + ": " + e.getMessage(), Failures.INVALID_INPUT);
    }
  }

  /**
   * The warnings for a package whose recorded workspace differs from the configured one: one per
   * differing file (workflow state, project request), empty when they agree.
   */
  List<String> differences(Configured configured, StoredCheckpoint checkpoint) {
    Set<String> recorded = new LinkedHashSet<>();
    recorded.add(String.valueOf(checkpoint.state().workspace()));
    checkpoint.origin().map(ProjectRequest::workspace).ifPresent(w -> recorded.add(String.valueOf(w)));
    List<String> warnings = new ArrayList<>();
    Path root = configured.workspace().root();
    for (String value : recorded) {
      String w = "null".equals(value) ? null : value;
      if (!sameDirectory(w, checkpoint.projectId(), root)) {
        warnings.add("checkpoint " + checkpoint.checkpointId() + " records the workspace "
            + (w == null ? "<the workers' default>" : w) + ", but the project's configured workspace is " + root
            + " (" + configured.source() + "); the recovery reads and writes " + root + " only and ignores the recorded one");
      }
    }
    return warnings;
  }

  private boolean sameDirectory(String recorded, String projectId, Path configured) {
    if (recorded == null || recorded.isBlank()) {
      return workspaces.root().resolve(projectId).equals(configured);
    }
    try {
      return Path.of(recorded).toAbsolutePath().normalize().equals(configured);
    } catch (RuntimeException notAPath) {
      return false;
    }
  }
}
