package io.bmadflow.infra.recovery;

import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.recovery.RecoveryReport;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Computes a project's {@link Readiness} from what the bucket holds: its checkpoint registry, its
 * recovery reports and the drill reports.
 *
 * <p>The recovery capability score (0-100) adds six terms:
 * <ul>
 *   <li>recovery point: 30 when at least one checkpoint passed validation, else 0;
 *   <li>depth: 10 x min(points, 3) / 3, since a corrupt newest one needs one before it;
 *   <li>freshness: 20 x max(0, 1 - age of the newest point / 24 h);
 *   <li>drill pass rate: 20 x the share of drills that passed in the last 30 days (0 without drills);
 *   <li>drill recency: 10 x max(0, 1 - time since the last drill / 7 days);
 *   <li>recovery time: 10 when the cold estimate is within the seed's 30 minutes, 5 when there is
 *       no estimate yet, 0 when it is over.
 * </ul>
 */
public final class ReadinessCalculator {
  static final int REPORTS_READ = 20;
  static final Duration DRILL_WINDOW = Duration.ofDays(30);
  static final Duration COLD_TARGET = Duration.ofMinutes(30);

  private final CheckpointStore store;

  public ReadinessCalculator(CheckpointStore store) {
    this.store = store;
  }

  /** The project's readiness now; drills are read once for all projects when given (null: read them). */
  public Readiness compute(String projectId, Instant now, List<DrillReport> drills) {
    List<DrillReport> allDrills = drills != null ? drills : drills(now);
    List<CheckpointSummary> checkpoints = store.list(projectId);
    List<CheckpointSummary> valid = checkpoints.stream().filter(c -> "passed".equalsIgnoreCase(c.validationStatus())).toList();
    CheckpointSummary newest = valid.isEmpty() ? null : valid.get(valid.size() - 1);
    double newestAge = newest == null ? -1 : seconds(Instant.parse(newest.creationTimestamp()), now);

    // Estimates: the project's own recoveries first, else the drills'.
    Map<String, List<Double>> byStrategy = new TreeMap<>();
    long lastRecovery = -1;
    List<String> ids = store.recoveries(projectId);
    for (String id : ids.subList(Math.max(0, ids.size() - REPORTS_READ), ids.size())) {
      RecoveryReport r = report(projectId, id);
      if (r != null && RecoveryReport.RECOVERED.equals(r.outcome()) && r.strategy() != null) {
        byStrategy.computeIfAbsent(r.strategy(), k -> new ArrayList<>()).add((r.finishedAtMillis() - r.startedAtMillis()) / 1000.0);
        lastRecovery = Math.max(lastRecovery, r.finishedAtMillis());
      }
    }
    String source = byStrategy.isEmpty() ? "" : "the project's recoveries";
    List<DrillReport> recent = allDrills.stream()
        .filter(d -> d.finishedAtMillis() >= now.minus(DRILL_WINDOW).toEpochMilli()).toList();
    if (byStrategy.isEmpty()) {
      for (DrillReport d : recent) {
        if (d.passed() && !d.strategies().isEmpty()) {
          byStrategy.computeIfAbsent(d.strategies().get(0), k -> new ArrayList<>()).add(d.recoveryMillis() / 1000.0);
        }
      }
      source = byStrategy.isEmpty() ? "none yet: no recovery or drill has run" : "recovery drills of the last 30 days";
    }
    Map<String, Double> estimates = new TreeMap<>();
    byStrategy.forEach((strategy, values) -> estimates.put(strategy, median(values)));

    int passed = (int) recent.stream().filter(DrillReport::passed).count();
    long lastDrill = allDrills.stream().mapToLong(DrillReport::finishedAtMillis).max().orElse(-1);
    long lastPassedDrill = allDrills.stream().filter(DrillReport::passed).mapToLong(DrillReport::finishedAtMillis).max().orElse(-1);
    long exercised = Math.max(lastRecovery, lastPassedDrill);
    double lastDrillAge = lastDrill < 0 ? -1 : seconds(Instant.ofEpochMilli(lastDrill), now);

    List<Readiness.ScorePart> parts = new ArrayList<>();
    parts.add(new Readiness.ScorePart("recovery point", valid.isEmpty() ? 0 : 30, 30,
        valid.isEmpty() ? "no checkpoint passed validation" : valid.size() + " verified checkpoint(s)"));
    parts.add(new Readiness.ScorePart("depth", 10.0 * Math.min(valid.size(), 3) / 3, 10, valid.size() + " of 3 points kept"));
    parts.add(new Readiness.ScorePart("freshness", newest == null ? 0 : 20 * Math.max(0, 1 - newestAge / 86_400), 20,
        newest == null ? "no recovery point" : "newest point " + human(newestAge) + " old (0 at 24 h)"));
    parts.add(new Readiness.ScorePart("drill pass rate", recent.isEmpty() ? 0 : 20.0 * passed / recent.size(), 20,
        recent.isEmpty() ? "no drill in 30 days" : passed + " of " + recent.size() + " drills passed in 30 days"));
    parts.add(new Readiness.ScorePart("drill recency", lastDrill < 0 ? 0 : 10 * Math.max(0, 1 - lastDrillAge / (7 * 86_400.0)), 10,
        lastDrill < 0 ? "never drilled" : "last drill " + human(lastDrillAge) + " ago (0 at 7 days)"));
    Double cold = estimates.get("cold");
    parts.add(new Readiness.ScorePart("recovery time", cold == null ? 5 : cold <= COLD_TARGET.toSeconds() ? 10 : 0, 10,
        cold == null ? "no cold recovery measured yet" : "cold recovery estimated at " + human(cold) + " (target 30 min)"));
    double score = Math.round(parts.stream().mapToDouble(Readiness.ScorePart::points).sum() * 10) / 10.0;

    return new Readiness(projectId, now.toEpochMilli(), valid.size(), newest == null ? null : newest.checkpointId(), newestAge,
        estimates, source, recent.size(), passed, lastDrillAge, exercised < 0 ? -1 : seconds(Instant.ofEpochMilli(exercised), now),
        score, parts);
  }

  /** The stored drill reports readiness needs, as of now; see {@link #drills(Instant)}. */
  public List<DrillReport> drills() {
    return drills(Instant.now());
  }

  /**
   * The stored drill reports readiness needs, oldest first: those of the last 30 days, and older
   * ones only until a passed one is found (the recovery plan's age). A schedule that has drilled
   * for months is not read whole every round. Unreadable reports are left out.
   */
  public List<DrillReport> drills(Instant now) {
    List<String> ids = new ArrayList<>(store.drillRuns());
    java.util.Collections.reverse(ids);
    long windowStart = now.minus(DRILL_WINDOW).toEpochMilli();
    List<DrillReport> out = new ArrayList<>();
    boolean passedSeen = false;
    for (String id : ids) {
      // Run ids start with their time (drill-YYYYMMDD-HHMMSS-...), so the window needs no read.
      long started = java.time.LocalDateTime.parse(id.substring(6, 21), ID_TIME).toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
      if (started < windowStart && passedSeen) {
        break;
      }
      byte[] json = store.readDrillFile(id, DrillReport.JSON);
      if (json != null) {
        try {
          DrillReport report = PackageJson.read(json, DrillReport.class);
          out.add(report);
          passedSeen |= report.passed();
        } catch (IOException e) {
          // A report that does not parse does not count as a drill.
        }
      }
    }
    java.util.Collections.reverse(out);
    return out;
  }

  private static final java.time.format.DateTimeFormatter ID_TIME =
      java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

  /** A human rendering of readiness, for `bmadflow readiness`. */
  public static String text(Readiness r) {
    StringBuilder out = new StringBuilder();
    out.append("Recovery readiness of project ").append(r.projectId()).append(": score ").append(r.score()).append(" / 100\n\n");
    out.append(String.format("  %-28s %s%n", "recovery points", r.recoveryPoints()
        + (r.newestPointId() == null ? "" : " (newest " + r.newestPointId() + ", " + human(r.newestPointAgeSeconds()) + " old)")));
    out.append(String.format("  %-28s %s%n", "recovery time estimates", r.estimatedSeconds().isEmpty() ? r.estimateSource()
        : String.join(", ", r.estimatedSeconds().entrySet().stream().map(e -> e.getKey() + " " + human(e.getValue())).toList())
            + " (from " + r.estimateSource() + ")"));
    out.append(String.format("  %-28s %s%n", "drills (30 days)", r.drillsRun() == 0 ? "none"
        : r.drillsPassed() + " of " + r.drillsRun() + " passed, last " + human(r.lastDrillAgeSeconds()) + " ago"));
    out.append(String.format("  %-28s %s%n", "recovery plan age", r.planAgeSeconds() < 0 ? "never exercised (run `bmadflow drill`)"
        : human(r.planAgeSeconds())));
    out.append("\nScore:\n");
    for (Readiness.ScorePart p : r.scoreParts()) {
      out.append(String.format("  %-18s %5.1f / %-3.0f %s%n", p.name(), p.points(), p.max(), p.why()));
    }
    return out.toString();
  }

  private RecoveryReport report(String projectId, String recoveryId) {
    byte[] json = store.readRecoveryFile(projectId, recoveryId, RecoveryReports.JSON);
    try {
      return json == null ? null : PackageJson.read(json, RecoveryReport.class);
    } catch (IOException e) {
      return null;
    }
  }

  private static double seconds(Instant from, Instant to) {
    return Math.max(0, Duration.between(from, to).toMillis() / 1000.0);
  }

  private static double median(List<Double> values) {
    List<Double> sorted = values.stream().sorted().toList();
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  static String human(double seconds) {
    if (seconds < 0) {
      return "-";
    }
    if (seconds < 120) {
      return String.format("%.1f s", seconds);
    }
    if (seconds < 7200) {
      return String.format("%.0f min", seconds / 60);
    }
    if (seconds < 172_800) {
      return String.format("%.1f h", seconds / 3600);
    }
    return String.format("%.1f days", seconds / 86_400);
  }
}
