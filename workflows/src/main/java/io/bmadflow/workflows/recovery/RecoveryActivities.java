package io.bmadflow.workflows.recovery;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;
import java.util.List;

/**
 * The recovery workflow's side effects, on the checkpoints task queue: reading the project's
 * workflow and checkpoints, restoring files and state, validating, reporting. Every method is
 * safe to retry.
 */
@ActivityInterface(namePrefix = "Recovery")
public interface RecoveryActivities {

  /**
   * Assesses the failure: the project workflow's status, failing agent activities and the
   * checkpoints available, waiting up to {@code reachabilityWaitSeconds} for S3 with backoff.
   */
  @ActivityMethod
  Assessment assess(String projectId, int reachabilityWaitSeconds);

  /**
   * Chooses the checkpoint: {@code checkpointId} when given, else the newest taken at or before
   * {@code atMillis} (when given) that verifies; corrupt ones are skipped with the reason. A
   * restore of the whole project needs one whose validation passed at creation (its workspace
   * files all captured as the state references them); a restore of named files ({@code files}
   * not null) needs only those files in the package.
   */
  @ActivityMethod
  CheckpointChoice chooseCheckpoint(String projectId, String checkpointId, Long atMillis, List<String> files);

  /** Compares the checkpoint's workspace files with the disk; {@code files} limits it (empty: all). */
  @ActivityMethod
  RestorePlan planRestore(String projectId, String checkpointId, List<String> components, List<String> files);

  /**
   * Backs up what the restore will overwrite: the workspace files and, when the workflow answers,
   * its state. Returns where, or why there is nothing to back up.
   */
  @ActivityMethod
  String backup(String recoveryId, String projectId, String checkpointId, List<String> files);

  /** Writes the checkpoint's version of these workspace files (path-checked, atomic). */
  @ActivityMethod
  List<String> restoreFiles(String projectId, String checkpointId, List<String> files);

  /**
   * Starts the project's workflow again from the checkpoint (terminating a run that still
   * exists), paused when asked; returns the new run id.
   */
  @ActivityMethod
  String restart(String recoveryId, String projectId, String checkpointId, boolean paused);

  /** Restores state components into the running workflow; returns what it restored. */
  @ActivityMethod
  String restoreComponents(String recoveryId, String projectId, String checkpointId, List<String> components);

  /** Moves a failing agent of the running workflow to its fallback runner (hot recovery). */
  @ActivityMethod
  String replaceAgent(String projectId, String agent);

  /**
   * Runs one validation check against the checkpoint: {@code workflow_state},
   * {@code agent_states}, {@code agent:<name>} or {@code context_consistency} (the workspace
   * files re-read from disk and hashed).
   */
  @ActivityMethod
  ValidationCheck check(String name, String projectId, String checkpointId);

  /** Pauses or resumes the project. */
  @ActivityMethod
  void setPaused(String projectId, boolean paused, String reason);

  /**
   * Waits until the project completes a step beyond {@code stepsCompleted} (or finishes), up to
   * {@code timeoutSeconds}; returns the milliseconds it took, or -1 when it did not.
   */
  @ActivityMethod
  long awaitProgress(String projectId, int stepsCompleted, int timeoutSeconds);

  /** Answers from the checkpoints task queue: the communication check. Returns the worker's name. */
  @ActivityMethod
  String ping();

  /** Stores the report as JSON and markdown beside the checkpoints; returns where. */
  @ActivityMethod
  String writeReport(RecoveryReport report);
}
