package io.bmadflow.activities.recovery;

import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The checkpoints recoveries are working from, each opened once: a recovery's steps (plan,
 * backup, restore, restart, each check) all read the same one, and a committed package never
 * changes. The few most recently used handles are kept.
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

  /** The handle of a committed checkpoint, opened through the store on first use. */
  StoredCheckpoint open(String projectId, String checkpointId) {
    String key = projectId + "/" + checkpointId;
    synchronized (open) {
      StoredCheckpoint cached = open.get(key);
      if (cached != null) {
        return cached;
      }
    }
    StoredCheckpoint opened = store.open(projectId, checkpointId);
    synchronized (open) {
      open.put(key, opened);
    }
    return opened;
  }
}
