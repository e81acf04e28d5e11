package io.bmadflow.activities.recovery;

import io.bmadflow.activities.Heartbeats;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import io.bmadflow.infra.checkpoint.VerificationReport;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.CheckpointChoice;
import io.bmadflow.workflows.recovery.RecoveryActivities;
import io.temporal.failure.ApplicationFailure;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the checkpoint a recovery restores, {@link RecoveryActivities#chooseCheckpoint}: the
 * one the operator named, or the newest (taken at or before a time, when given) that verifies
 * and can serve the restore; every one skipped is reported with the reason.
 */
final class CheckpointSelection {
  private static final Logger log = LoggerFactory.getLogger(CheckpointSelection.class);

  private final CheckpointStore store;
  private final OpenCheckpoints checkpoints;
  private final ProjectWorkspaces workspaces;

  CheckpointSelection(CheckpointStore store, OpenCheckpoints checkpoints, ProjectWorkspaces workspaces) {
    this.store = store;
    this.checkpoints = checkpoints;
    this.workspaces = workspaces;
  }

  CheckpointChoice chooseCheckpoint(String projectId, String checkpointId, Long atMillis, List<String> files) {
    // Verifying and hashing can take longer than the heartbeat timeout: heartbeat from the side.
    return Heartbeats.during(() -> choose(projectId, checkpointId, atMillis, files));
  }

  private CheckpointChoice choose(String projectId, String checkpointId, Long atMillis, List<String> files) {
    ProjectIds.requireValid(projectId);
    List<String> candidates = new ArrayList<>();
    String why;
    if (checkpointId != null) {
      candidates.add(checkpointId);
      why = "named by the operator";
    } else {
      List<CheckpointSummary> all = new ArrayList<>(store.list(projectId));
      Collections.reverse(all);
      for (CheckpointSummary s : all) {
        if (atMillis == null || !Instant.parse(s.creationTimestamp()).isAfter(Instant.ofEpochMilli(atMillis))) {
          candidates.add(s.checkpointId());
        }
      }
      why = atMillis == null ? "the newest checkpoint that verifies"
          : "the newest checkpoint taken at or before " + Instant.ofEpochMilli(atMillis) + " that verifies";
      if (candidates.isEmpty()) {
        throw ApplicationFailure.newNonRetryableFailure("project " + projectId + " has no checkpoint"
            + (atMillis == null ? "" : " taken at or before " + Instant.ofEpochMilli(atMillis))
            + "; see `bmadflow checkpoint list --project " + projectId + "`", Failures.INVALID_INPUT);
      }
    }
    List<CheckpointChoice.Skipped> skipped = new ArrayList<>();
    for (String id : candidates) {
      String problem;
      ProjectSnapshot state = null;
      CheckpointMetadata metadata = null;
      try {
        VerificationReport report = store.verify(projectId, id);
        if (report.ok()) {
          StoredCheckpoint checkpoint = checkpoints.open(projectId, id);
          metadata = checkpoint.metadata();
          state = checkpoint.state();
          problem = projectId.equals(state.projectId()) ? incomplete(checkpoint, files)
              : "its state belongs to project " + state.projectId() + ", not " + projectId;
        } else {
          VerificationReport.FileCheck first = report.failures().get(0);
          problem = "does not verify: " + first.path() + ": " + first.problem()
              + (report.failures().size() > 1 ? " (and " + (report.failures().size() - 1) + " more)" : "");
        }
      } catch (CheckpointStoreException.NotFound e) {
        problem = "does not exist: " + e.getMessage();
      } catch (CheckpointStoreException.Corrupt | UncheckedIOException | IllegalArgumentException e) {
        problem = "cannot be read: " + e.getMessage();
      }
      if (problem == null) {
        if (!skipped.isEmpty()) {
          why += "; " + skipped.size() + " newer one(s) skipped";
        }
        log.info("recovery of {}: checkpoint {} chosen ({})", projectId, id, why);
        // The choice names the project's configured workspace, never the package's recorded one.
        String workspace = workspaces.of(projectId).explicit();
        return new CheckpointChoice(id, Instant.parse(metadata.checkpointMetadata().creationTimestamp()).toEpochMilli(),
            metadata.checkpointMetadata().triggerReason(), state.phase(), state.step(), state.stepsCompleted(), why,
            skipped, List.copyOf(new TreeSet<>(state.agents().keySet())), workspace, state.pausedByOperator());
      }
      log.warn("recovery of {}: checkpoint {} skipped: {}", projectId, id, problem);
      skipped.add(new CheckpointChoice.Skipped(id, problem));
    }
    if (checkpointId != null) {
      throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + " " + skipped.get(0).reason()
          + "; recover without --checkpoint to use the newest checkpoint that verifies", Failures.CHECKPOINT_CORRUPT);
    }
    throw ApplicationFailure.newNonRetryableFailure("no checkpoint of project " + projectId + " verifies: "
        + String.join("; ", skipped.stream().map(s -> s.checkpointId() + " " + s.reason()).toList()),
        Failures.CHECKPOINT_CORRUPT);
  }

  /**
   * Why a verified package cannot serve this restore, or null: a whole-project restore needs its
   * validation to have passed (a file an agent changed while the package was captured is missing
   * from it, so the workspace could not be put back as the state references it); a file restore
   * needs only the named files.
   */
  private static String incomplete(StoredCheckpoint checkpoint, List<String> files) {
    if (files == null) {
      var validation = checkpoint.metadata().integrityValidation();
      if (!"passed".equalsIgnoreCase(validation.validationStatus())) {
        List<String> failed = validation.validationDetails().entrySet().stream()
            .filter(e -> !"valid".equals(e.getValue())).map(Map.Entry::getKey).toList();
        return "failed its validation when it was taken (" + String.join(", ", failed)
            + "), so it cannot restore the whole project";
      }
      return null;
    }
    Map<String, String> held = checkpoint.workspaceFiles();
    List<String> missing = files.stream().filter(f -> !held.containsKey(f)).toList();
    return missing.isEmpty() ? null : "does not hold " + String.join(", ", missing);
  }
}
