package io.bmadflow.infra.checkpoint;

import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointIds;

/**
 * The layout of checkpoint packages in a bucket, and the rules for paths inside a package.
 *
 * <p>A package lives under {@code <prefix><project-id>/docs/state/checkpoints/<checkpoint-id>/}.
 * Paths inside it are relative, use {@code /}, and never contain {@code ..}, {@code .}, empty
 * segments, backslashes or control characters; they are checked on write and on read.
 */
public final class PackagePaths {
  public static final String METADATA = "checkpoint-metadata.json";
  public static final String MANIFEST = "manifest.sha256";
  /** The writer's claim on a checkpoint id, written first; not part of the package's content. */
  public static final String CLAIM = ".claim";
  /** What staging computed over the content, read by the commit step; not part of the content. */
  public static final String STAGED = ".staged.json";
  public static final String WORKFLOW_STATE = "workflow-state-snapshot.json";
  /** The request that started the project (definition, workspace, tuning), for cold restarts. */
  public static final String PROJECT_REQUEST = "project-request.json";
  public static final String VALIDATION_REPORT = "validation-report.json";
  public static final String PROGRESS = "progress-snapshot.json";
  public static final String RESOURCES = "resource-snapshot.json";
  public static final String COMMUNICATION_LOG = "communication-log.json";
  public static final String BMAD_AGENTS = "agent-states-snapshot/bmad-agents/";
  public static final String CUSTOM_AGENTS = "agent-states-snapshot/custom-agents/";
  public static final String CONTEXT = "context-snapshot/";
  /** The workspace files the agents wrote, by their workspace path, for restoring the workspace. */
  public static final String WORKSPACE = "workspace/";
  private static final int MAX_PATH = 512;

  private PackagePaths() {}

  /** {@code <prefix><project>/docs/state/checkpoints/}: where a project's packages live. */
  public static String projectCheckpointsPrefix(String prefix, String projectId) {
    return prefix + ProjectIds.requireValid(projectId) + "/docs/state/checkpoints/";
  }

  /** {@code <prefix><project>/docs/state/recoveries/<recovery-id>/}: one recovery's report and backup. */
  public static String recoveryPrefix(String prefix, String projectId, String recoveryId) {
    return prefix + ProjectIds.requireValid(projectId) + "/docs/state/recoveries/"
        + io.bmadflow.workflows.recovery.RecoveryIds.requireValid(recoveryId) + "/";
  }

  /** The key prefix of one package, ending in {@code /}. */
  public static String packagePrefix(String prefix, String projectId, String checkpointId) {
    return projectCheckpointsPrefix(prefix, projectId) + CheckpointIds.requireValid(checkpointId) + "/";
  }

  /** Returns the path if it is safe inside a package, or throws naming the problem. */
  public static String requireSafe(String path) {
    String problem = problem(path);
    if (problem != null) {
      throw new IllegalArgumentException("package path '" + printable(path) + "': " + problem);
    }
    return path;
  }

  static String problem(String path) {
    if (path == null || path.isEmpty()) {
      return "is empty";
    }
    if (path.length() > MAX_PATH) {
      return "is longer than " + MAX_PATH + " characters";
    }
    if (path.startsWith("/")) {
      return "is absolute; package paths are relative";
    }
    if (path.indexOf('\\') >= 0) {
      return "contains a backslash; package paths use '/'";
    }
    for (int i = 0; i < path.length(); i++) {
      if (Character.isISOControl(path.charAt(i))) {
        return "contains a control character";
      }
    }
    for (String segment : path.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        return "has an empty, '.' or '..' segment";
      }
    }
    return null;
  }

  private static String printable(String path) {
    return path == null ? "null" : path.replaceAll("\\p{Cntrl}", "?");
  }
}
