package io.bmadflow.workflows.project;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a finished project must look like however it got there: its state without where and by
 * whom steps ran, and without its checkpoints (a recovery restarts from one and takes its own).
 * Drills and tests compare a recovered project's outcome with an uninterrupted run's.
 */
public final class ProjectOutcome {
  private ProjectOutcome() {}

  /** The comparable parts of a state, as an ordered map (its {@code toString} is stable). */
  public static Map<String, Object> of(ProjectSnapshot s) {
    List<String> steps = new ArrayList<>();
    for (StepRecord r : s.steps()) {
      steps.add(r.phase() + "|" + r.key() + "|" + r.label() + "|" + r.outcome() + "|" + r.detail());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("phase", s.phase());
    out.put("artifacts", new java.util.TreeMap<>(s.artifacts()));
    out.put("agents", new java.util.TreeMap<>(s.agents()));
    out.put("stories", s.stories());
    out.put("flags", new java.util.TreeMap<>(s.flags()));
    out.put("steps", steps);
    out.put("handoffs", s.communicationLog());
    out.put("decisions", s.decisions());
    out.put("risks", s.risks());
    out.put("gates", s.gates());
    out.put("progress", s.stepsCompleted() + "/" + s.stepsPlanned());
    return out;
  }

  /** The first section where two outcomes differ and how, or null when they are equal. */
  public static String firstDifference(Map<String, Object> expected, Map<String, Object> actual) {
    for (Map.Entry<String, Object> e : expected.entrySet()) {
      Object other = actual.get(e.getKey());
      if (!e.getValue().equals(other)) {
        String want = String.valueOf(e.getValue());
        String got = String.valueOf(other);
        int at = 0;
        while (at < Math.min(want.length(), got.length()) && want.charAt(at) == got.charAt(at)) {
          at++;
        }
        int from = Math.max(0, at - 40);
        return e.getKey() + " differs at character " + at + ": expected ..." + want.substring(from, Math.min(want.length(), at + 80))
            + "... got ..." + got.substring(Math.min(from, got.length()), Math.min(got.length(), at + 80)) + "...";
      }
    }
    return actual.keySet().equals(expected.keySet()) ? null : "sections differ: " + actual.keySet();
  }
}
