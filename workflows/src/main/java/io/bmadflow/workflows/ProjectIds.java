package io.bmadflow.workflows;

import java.util.regex.Pattern;

/**
 * Project ids: what they may contain, and the Temporal ids derived from them.
 *
 * <p>A project id is 1 to 64 characters of ASCII letters, digits, {@code -} and {@code _},
 * starting with a letter or digit. It becomes part of S3 keys and workflow ids, so nothing that
 * could escape a key prefix ({@code /}, {@code ..}, spaces, control characters) is accepted.
 */
public final class ProjectIds {
  public static final int MAX_LENGTH = 64;
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
  private static final String WORKFLOW_ID_PREFIX = "bmadflow-project-";

  /** Returns the id unchanged if it is valid, or throws naming the problem. */
  public static String requireValid(String projectId) {
    String problem = problem(projectId);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    return projectId;
  }

  /** Describes why the id is invalid, or returns null when it is valid. */
  public static String problem(String projectId) {
    String shown = projectId == null ? "null" : "'" + abbreviate(projectId) + "'";
    String rule =
        "; a project id is 1-" + MAX_LENGTH
            + " letters, digits, '-' or '_', starting with a letter or digit";
    if (projectId == null || projectId.isEmpty()) {
      return "project id " + shown + " is empty" + rule;
    }
    if (projectId.length() > MAX_LENGTH) {
      return "project id " + shown + " is " + projectId.length() + " characters long" + rule;
    }
    if (!VALID.matcher(projectId).matches()) {
      for (int i = 0; i < projectId.length(); i++) {
        char c = projectId.charAt(i);
        boolean ok = Character.isLetterOrDigit(c) && c < 128 || (i > 0 && (c == '-' || c == '_'));
        if (!ok) {
          return "project id " + shown + " has " + describe(c) + " at position " + (i + 1) + rule;
        }
      }
      return "project id " + shown + " is not valid" + rule;
    }
    return null;
  }

  /** The id of the project workflow of a project. */
  public static String workflowId(String projectId) {
    return WORKFLOW_ID_PREFIX + requireValid(projectId);
  }

  /** The id of the child workflow that runs one phase of a project. */
  public static String phaseWorkflowId(String projectId, String phase) {
    return workflowId(projectId) + "-phase-" + phase;
  }

  private static String describe(char c) {
    if (c == ' ') {
      return "a space";
    }
    if (Character.isISOControl(c)) {
      return String.format("control character U+%04X", (int) c);
    }
    return "'" + c + "'";
  }

  private static String abbreviate(String s) {
    String printable = s.replaceAll("\\p{Cntrl}", "?");
    return printable.length() <= 40 ? printable : printable.substring(0, 37) + "...";
  }

  private ProjectIds() {}
}
