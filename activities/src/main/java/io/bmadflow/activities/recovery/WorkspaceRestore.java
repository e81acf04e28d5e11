package io.bmadflow.activities.recovery;

import io.bmadflow.activities.Heartbeats;
import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.recovery.RecoveryReports;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.RecoveryActivities;
import io.bmadflow.workflows.recovery.RestorePlan;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a checkpoint's workspace files back on disk: {@link RecoveryActivities#planRestore} (what
 * differs), {@link RecoveryActivities#backup} (what the restore would overwrite, and the
 * workflow's current state) and {@link RecoveryActivities#restoreFiles} (every file staged and
 * checked, then all moved into place).
 *
 * <p>The workspace is always the project's configured one ({@link ProjectWorkspaces}), never the
 * directory a package records; symbolic links are never followed (see {@link Workspace}).
 */
final class WorkspaceRestore {
  private static final Logger log = LoggerFactory.getLogger(WorkspaceRestore.class);

  private final CheckpointStore store;
  private final OpenCheckpoints checkpoints;
  private final ProjectExecutions executions;
  private final ProjectWorkspaces workspaces;

  WorkspaceRestore(CheckpointStore store, OpenCheckpoints checkpoints, ProjectExecutions executions,
      ProjectWorkspaces workspaces) {
    this.store = store;
    this.checkpoints = checkpoints;
    this.executions = executions;
    this.workspaces = workspaces;
  }

  RestorePlan planRestore(String projectId, String checkpointId, List<String> components, List<String> files) {
    // Verifying and hashing can take longer than the heartbeat timeout: heartbeat from the side.
    return Heartbeats.during(() -> plan(projectId, checkpointId, components, files));
  }

  private RestorePlan plan(String projectId, String checkpointId, List<String> components, List<String> files) {
    StoredCheckpoint checkpoint = checkpoints.open(projectId, checkpointId);
    ProjectWorkspaces.Configured configured = workspaces.of(projectId);
    Workspace workspace = configured.workspace();
    Map<String, String> inPackage = checkpoint.workspaceFiles();
    List<String> scope;
    if (files == null) {
      scope = List.copyOf(inPackage.keySet());
    } else {
      for (String file : files) {
        checkSafe(workspace, file);
        if (!inPackage.containsKey(file)) {
          throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + " has no workspace file " + file
              + "; it has " + abbreviate(List.copyOf(inPackage.keySet())), Failures.INVALID_INPUT);
        }
      }
      scope = files;
    }
    List<String> toWrite = new ArrayList<>();
    int unchanged = 0;
    for (String path : scope) {
      // Hashed by streaming; a symbolic link there counts as no file, so the restore replaces it.
      String onDisk = workspace.sha256IfExists(path);
      if (onDisk != null && onDisk.equals(inPackage.get(path))) {
        unchanged++;
      } else {
        toWrite.add(path);
      }
    }
    List<String> newer = new ArrayList<>();
    if (files == null) {
      workspace.files().stream().filter(p -> !inPackage.containsKey(p)).forEach(newer::add);
    }
    List<String> warnings = workspaces.differences(configured, checkpoint);
    warnings.forEach(w -> log.warn("recovery of {}: {}", projectId, w));
    return new RestorePlan(components, toWrite, unchanged, newer, List.of(), warnings);
  }

  String backup(String recoveryId, String projectId, String checkpointId, List<String> files) {
    checkpoints.open(projectId, checkpointId);
    Workspace workspace = workspaces.of(projectId).workspace();
    Map<String, String> saved = new TreeMap<>();
    return Heartbeats.during(() -> {
      String current = null;
      try {
        ProjectSnapshot now = executions.project(projectId).state();
        store.putRecoveryFile(projectId, recoveryId, RecoveryReports.BACKUP + PackagePaths.WORKFLOW_STATE,
            PackageJson.write(now), true);
        current = "the workflow's state (" + now.stepsCompleted() + " steps)";
      } catch (RuntimeException e) {
        // No workflow to ask (a lost cluster) or it does not answer: back up the files only.
        log.info("recovery {}: no workflow state to back up: {}", recoveryId, Failures.rootMessage(e));
      }
      for (String path : files) {
        checkSafe(workspace, path);
        // Never through a symbolic link: a link, or a file behind a linked directory, is not backed up.
        Path file = workspace.fileIfExists(path);
        if (file != null) {
          String sha = workspace.sha256IfExists(path);
          store.putRecoveryFile(projectId, recoveryId, RecoveryReports.BACKUP + PackagePaths.WORKSPACE + path, file, true);
          if (sha != null) {
            saved.put(path, sha);
          }
        }
      }
      if (current == null && saved.isEmpty()) {
        return "nothing to back up: no workflow state answers and no workspace file would be overwritten";
      }
      store.putRecoveryFile(projectId, recoveryId, RecoveryReports.BACKUP + "backup-manifest.json",
          PackageJson.write(Map.of("files", saved, "workflow_state", current != null)), false);
      return store.recoveryLocation(projectId, recoveryId) + RecoveryReports.BACKUP + ": " + saved.size()
          + " workspace file(s)" + (current == null ? "" : " and " + current);
    });
  }

  /**
   * Writes the files from the checkpoint: each is staged under {@code .bmadflow/} and checked
   * against the package's SHA-256, and only when every one is staged are they moved into place.
   * A corrupt object or a disk error leaves the workspace as it was.
   */
  List<String> restoreFiles(String projectId, String checkpointId, List<String> files) {
    StoredCheckpoint checkpoint = checkpoints.open(projectId, checkpointId);
    Workspace workspace = workspaces.of(projectId).workspace();
    files.forEach(f -> checkSafe(workspace, f));
    Map<String, String> inPackage = checkpoint.workspaceFiles();
    return Heartbeats.during(() -> {
      try (Workspace.Staging staging = workspace.stage()) {
        for (String path : files) {
          String want = inPackage.get(path);
          if (want == null) {
            throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + " has no workspace file " + path,
                Failures.INVALID_INPUT);
          }
          // copyFile checks size and hash only at the end: a corrupt object throws here, before
          // anything of the workspace changed.
          staging.write(path, out -> checkpoint.copyFile(PackagePaths.WORKSPACE + path, out));
          String staged = staging.sum(path).hex();
          if (!staged.equals(want)) {
            throw new UncheckedIOException(new IOException("checkpoint " + checkpointId + ": " + path + " staged in "
                + staging.directory() + " reads back with SHA-256 " + staged + ", not the package's " + want
                + "; the disk is failing or another process writes there"));
          }
        }
        staging.commit();
      }
      log.info("project {}: {} workspace file(s) restored from {} into {}", projectId, files.size(), checkpointId,
          workspace.root());
      return List.copyOf(files);
    });
  }

  private static void checkSafe(Workspace workspace, String path) {
    try {
      workspace.resolve(path);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
  }

  /** The first five items and how many more, for messages. */
  static String abbreviate(List<String> items) {
    return items.size() <= 5 ? String.join(", ", items) : String.join(", ", items.subList(0, 5)) + " and " + (items.size() - 5) + " more";
  }
}
