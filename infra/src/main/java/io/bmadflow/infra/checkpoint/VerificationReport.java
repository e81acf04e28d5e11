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
   * @param note for a passing check, what it covered and what it could not (such as metadata of
   *     an older format without a digest, or a signature not checked without the key), or null
   */
  public record FileCheck(String path, boolean ok, String problem, String note) {
    /** A check without a note. */
    public FileCheck(String path, boolean ok, String problem) {
      this(path, ok, problem, null);
    }
  }

  /** Whether every file passed. */
  public boolean ok() {
    return checks.stream().allMatch(FileCheck::ok);
  }

  /** The failed checks. */
  public List<FileCheck> failures() {
    return checks.stream().filter(c -> !c.ok()).toList();
  }
}
