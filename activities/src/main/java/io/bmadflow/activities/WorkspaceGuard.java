package io.bmadflow.activities;

/**
 * Runs before an activity reads or writes a project's workspace (an agent step, a checkpoint
 * capture), inside that activity: the place where the worker puts the workspace right after
 * Temporal rewound the project's history (see {@code recovery.ResetRewind}). A guard that throws
 * fails the activity attempt, and Temporal retries it: no step runs on a workspace the guard could
 * not prepare.
 */
@FunctionalInterface
public interface WorkspaceGuard {
  /** The guard that does nothing: for tests and tools that run activities outside a worker. */
  WorkspaceGuard NONE = projectId -> {};

  /** Called with the project's id from inside the activity, before it touches the workspace. */
  void beforeUse(String projectId);
}
