package io.bmadflow.infra.recovery;

import java.util.List;

/**
 * One recovery drill run: stored as {@code drill-report.json} (and {@code .md}) under
 * {@code <prefix>_drills/<drill-run-id>/}.
 *
 * @param drillRunId the run's id ({@code drill-YYYYMMDD-HHMMSS-<scenario>-<n>})
 * @param scenario the scenario (see {@code DrillScenario})
 * @param projectId the drill's own project
 * @param passed whether the project recovered with nothing lost: it finished with the same state
 *     and workspace as an uninterrupted run
 * @param verdict one sentence: "recovered with nothing lost" or what failed
 * @param faults the faults injected, in order, with when
 * @param recoveryIds the recoveries the drill ran
 * @param strategies the strategies those recoveries used
 * @param evidence what the drill saw: the first difference from the uninterrupted run, errors,
 *     the state it ended in
 * @param startedAtMillis when it started
 * @param finishedAtMillis when it finished
 * @param recoveryMillis how long its recoveries took in all (to the project running again)
 */
public record DrillReport(
    String drillRunId,
    String scenario,
    String projectId,
    boolean passed,
    String verdict,
    List<String> faults,
    List<String> recoveryIds,
    List<String> strategies,
    List<String> evidence,
    long startedAtMillis,
    long finishedAtMillis,
    long recoveryMillis) {

  public static final String JSON = "drill-report.json";
  public static final String MARKDOWN = "drill-report.md";
  public static final String NOTHING_LOST = "recovered with nothing lost";

  public DrillReport {
    faults = faults == null ? List.of() : List.copyOf(faults);
    recoveryIds = recoveryIds == null ? List.of() : List.copyOf(recoveryIds);
    strategies = strategies == null ? List.of() : List.copyOf(strategies);
    evidence = evidence == null ? List.of() : List.copyOf(evidence);
  }

  public String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Drill ").append(drillRunId).append(" (").append(scenario).append(")\n\n");
    md.append("- Verdict: **").append(passed ? "passed" : "FAILED").append("**: ").append(verdict).append('\n');
    md.append("- Project: ").append(projectId).append('\n');
    md.append("- Took ").append(finishedAtMillis - startedAtMillis).append(" ms, recovery ").append(recoveryMillis).append(" ms\n");
    md.append("\n## Faults injected\n\n");
    faults.forEach(f -> md.append("- ").append(f).append('\n'));
    md.append("\n## Recoveries\n\n");
    for (int i = 0; i < recoveryIds.size(); i++) {
      md.append("- ").append(recoveryIds.get(i)).append(i < strategies.size() ? " (" + strategies.get(i) + ")" : "").append('\n');
    }
    if (!evidence.isEmpty()) {
      md.append("\n## Evidence\n\n");
      evidence.forEach(e -> md.append("- ").append(e).append('\n'));
    }
    return md.toString();
  }
}
