package io.bmadflow.infra.checkpoint;

import java.util.List;

/**
 * The outcome of verifying one stored package, file by file.
 *
 * @param projectId the project
 * @param checkpointId the checkpoint
 * @param checks one entry per file, metadata and manifest first
 */
public record VerificationReport(String projectId, String checkpointId, List<FileCheck> checks) {

  /**
   * One file's check.
   *
   * @param path the path in the package
   * @param ok whether it passed
   * @param problem what is wrong, or null
   */
  public record FileCheck(String path, boolean ok, String problem) {}

  /** Whether every file passed. */
  public boolean ok() {
    return checks.stream().allMatch(FileCheck::ok);
  }

  /** The failed checks. */
  public List<FileCheck> failures() {
    return checks.stream().filter(c -> !c.ok()).toList();
  }
}
