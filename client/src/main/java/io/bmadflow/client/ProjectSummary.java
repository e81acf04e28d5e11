package io.bmadflow.client;

import java.util.List;

/**
 * One project as {@code bmadflow list} shows it: its latest workflow run, read from Temporal's
 * visibility through the search attributes bmadflow sets (see
 * {@link io.bmadflow.workflows.SearchAttributes}), so no worker needs to answer.
 *
 * <p>Visibility is eventually consistent: a change a moment old may not show yet.
 *
 * @param projectId the project ({@code BmadflowProject}; the workflow id when the run has none)
 * @param workflowId its workflow id
 * @param runId the run listed, the project's latest
 * @param workflowStatus Temporal's word for the run: Running, Completed, Failed, Canceled,
 *     Terminated, TimedOut
 * @param status what bmadflow last wrote to {@code BmadflowStatus} (running, paused,
 *     waiting-for-operator, complete), or null when the run has none
 * @param phase {@code BmadflowPhase} (not-started, analysis ... deployment, complete), or null
 * @param step {@code BmadflowStep}, the current or last step, or null
 * @param lastCheckpoint {@code BmadflowLastCheckpoint}, the newest checkpoint's id, or null
 * @param startTime when the run started, ISO-8601 in UTC
 */
public record ProjectSummary(
    String projectId,
    String workflowId,
    String runId,
    String workflowStatus,
    String status,
    String phase,
    String step,
    String lastCheckpoint,
    String startTime) {

  /**
   * A page of projects, newest start first.
   *
   * @param projects at most the limit asked for
   * @param truncated whether more projects matched than the limit let through
   */
  public record Listing(List<ProjectSummary> projects, boolean truncated) {
    public Listing {
      projects = List.copyOf(projects);
    }
  }
}
