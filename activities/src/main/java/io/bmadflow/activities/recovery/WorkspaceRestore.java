package io.bmadflow.activities.recovery;

import io.bmadflow.activities.Heartbeats;
import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.Sha256;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts a checkpoint's workspace files back on disk: {@link RecoveryActivities#planRestore} (what
 * differs), {@link RecoveryActivities#backup} (what the restore would overwrite, and the
 * workflow's current state) and {@link RecoveryActivities#restoreFiles} (each file written
 * atomically, only once its content checked out).
 */
final class WorkspaceRestore {
  private static final Logger log = LoggerFactory.getLogger(WorkspaceRestore.class);

  private final CheckpointStore store;
  private final OpenCheckpoints checkpoints;
  private final ProjectExecutions executions;
  private final Path workspaceRoot;

  WorkspaceRestore(CheckpointStore store, OpenCheckpoints checkpoints, ProjectExecutions executions, Path workspaceRoot) {
    this.store = store;
    this.checkpoints = checkpoints;
    this.executions = executions;
    this.workspaceRoot = workspaceRoot;
  }

  RestorePlan planRestore(String projectId, String checkpointId, List<String> components, List<String> files) {
    // Verifying and hashing can take longer than the heartbeat timeout: heartbeat from the side.
    return Heartbeats.during(() -> plan(projectId, checkpointId, components, files));
  }

  private RestorePlan plan(String projectId, String checkpointId, List<String> components, List<String> files) {
    StoredCheckpoint checkpoint = checkpoints.open(projectId, checkpointId);
    Workspace workspace = workspace(workspaceRoot, projectId, checkpoint.state());
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
      byte[] onDisk = workspace.readIfExists(path);
      if (onDisk != null && Sha256.hex(onDisk).equals(inPackage.get(path))) {
        unchanged++;
      } else {
        toWrite.add(path);
      }
    }
    List<String> newer = new ArrayList<>();
    if (files == null && Files.isDirectory(workspace.root())) {
      try (Stream<Path> walk = Files.walk(workspace.root())) {
        walk.filter(Files::isRegularFile)
            .map(p -> workspace.root().relativize(p).toString().replace('\\', '/'))
            .filter(p -> !p.startsWith(".bmadflow/") && !inPackage.containsKey(p))
            .sorted()
            .forEach(newer::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list the workspace " + workspace.root() + ": " + e.getMessage(), e);
      }
    }
    return new RestorePlan(components, toWrite, unchanged, newer, List.of());
  }

  String backup(String recoveryId, String projectId, String checkpointId, List<String> files) {
    ProjectSnapshot state = checkpoints.open(projectId, checkpointId).state();
    Workspace workspace = workspace(workspaceRoot, projectId, state);
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
        byte[] bytes = workspace.readIfExists(path);
        if (bytes != null) {
          store.putRecoveryFile(projectId, recoveryId, RecoveryReports.BACKUP + PackagePaths.WORKSPACE + path, bytes, true);
          saved.put(path, Sha256.hex(bytes));
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

  List<String> restoreFiles(String projectId, String checkpointId, List<String> files) {
    StoredCheckpoint checkpoint = checkpoints.open(projectId, checkpointId);
    Workspace workspace = workspace(workspaceRoot, projectId, checkpoint.state());
    files.forEach(f -> checkSafe(workspace, f));
    return Heartbeats.during(() -> {
      List<String> written = new ArrayList<>();
      for (String path : files) {
        // copyFile checks size and hash only at the end: a corrupt object throws, and replace()
        // then discards the temp file, leaving the workspace file as it was.
        workspace.replace(path, out -> checkpoint.copyFile(PackagePaths.WORKSPACE + path, out));
        written.add(path);
      }
      log.info("project {}: {} workspace file(s) restored from {}", projectId, written.size(), checkpointId);
      return written;
    });
  }

  /** The project's workspace as the checkpoint's state names it; a name that is not safe is invalid input. */
  static Workspace workspace(Path workspaceRoot, String projectId, ProjectSnapshot state) {
    try {
      return Workspace.of(workspaceRoot, projectId, state.workspace());
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
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
