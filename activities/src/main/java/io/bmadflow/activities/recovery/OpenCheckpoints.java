package io.bmadflow.activities.recovery;

import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The checkpoints recoveries are working from, keyed by content: a recovery's steps (plan,
 * backup, restore, restart, each check) reuse one handle, with its already checked and parsed
 * workflow state, as long as the package's metadata in the bucket is what the handle was opened
 * with. Every {@link #open} re-reads the metadata (one small GET, {@link CheckpointStore#open});
 * when it differs (a package repaired or replaced in the bucket) the fresh handle replaces the
 * cached one, so nothing is trusted past a change. The few most recently used handles are kept.
 */
final class OpenCheckpoints {
  /** How many handles are kept; a recovery needs one, a few run at a time. */
  private static final int KEPT = 8;

  private final CheckpointStore store;
  private final Map<String, StoredCheckpoint> open = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, StoredCheckpoint> eldest) {
      return size() > KEPT;
    }
  };

  OpenCheckpoints(CheckpointStore store) {
    this.store = store;
  }

  /**
   * The handle of a committed checkpoint: the cached one when the metadata the store reads now
   * equals the one it was opened with, else the freshly opened one (which is then cached).
   */
  StoredCheckpoint open(String projectId, String checkpointId) {
    String key = projectId + "/" + checkpointId;
    StoredCheckpoint fresh = store.open(projectId, checkpointId);
    synchronized (open) {
      StoredCheckpoint cached = open.get(key);
      if (cached != null && cached.metadata().equals(fresh.metadata())) {
        return cached;
      }
      open.put(key, fresh);
    }
    return fresh;
  }
}
