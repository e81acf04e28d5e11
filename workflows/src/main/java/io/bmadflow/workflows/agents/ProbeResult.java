package io.bmadflow.workflows.agents;

import java.util.List;

/**
 * What a no-op step found.
 *
 * @param worker the worker that ran it
 * @param unserved the agents no runner of that worker serves (empty when all resolve)
 * @param workspaceWritable whether the probe file could be written and deleted
 * @param detail what went wrong, or a short description of what ran
 */
public record ProbeResult(String worker, List<String> unserved, boolean workspaceWritable, String detail) {
  public ProbeResult {
    unserved = unserved == null ? List.of() : List.copyOf(unserved);
  }

  /** Whether the step could run every agent against a writable workspace. */
  public boolean ok() {
    return unserved.isEmpty() && workspaceWritable;
  }
}
