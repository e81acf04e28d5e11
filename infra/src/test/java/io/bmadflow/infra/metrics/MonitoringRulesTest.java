package io.bmadflow.infra.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring files under {@code infra/monitoring/} hold together: promtool accepts the alerting
 * rules and their unit tests pass, every alert is documented and tested, and the Grafana dashboard
 * is JSON whose queries are PromQL over bmadflow's metrics only.
 *
 * <p>Needs {@code promtool} on the PATH (Debian's {@code prometheus} package); without it the
 * tests that run it are skipped with one line saying how to get it, except under {@code CI=true},
 * where they fail, so a CI build that passes has really checked the rules. Paths are relative
 * to this module's directory, the working directory of Maven's test run.
 */
class MonitoringRulesTest {
  private static final Path RULES = Path.of("monitoring/prometheus/bmadflow-alerts.yml");
  private static final Path RULE_TESTS = Path.of("monitoring/prometheus/bmadflow-alerts.test.yml");
  private static final Path DASHBOARD = Path.of("monitoring/grafana/bmadflow-dashboard.json");
  private static final Path DOCS = Path.of("../docs/monitoring.md");
  private static final long PROMTOOL_TIMEOUT_SECONDS = 600;

  private static final Set<String> COUNTERS = Set.of(
      "bmadflow_checkpoint_creations_total",
      "bmadflow_checkpoint_validations_total",
      "bmadflow_checkpoint_bytes_written_total",
      "bmadflow_recovery_tests_total",
      "bmadflow_recoveries_total",
      "bmadflow_history_limit_warnings_total");
  private static final Set<String> HISTOGRAMS = Set.of(
      "bmadflow_checkpoint_creation_seconds",
      "bmadflow_recovery_duration_seconds");
  private static final Set<String> GAUGES = Set.of(
      "bmadflow_checkpoint_stored_bytes",
      "bmadflow_storage_capacity_bytes",
      "bmadflow_recovery_points",
      "bmadflow_recovery_newest_point_age_seconds",
      "bmadflow_recovery_capability_score",
      "bmadflow_recovery_estimated_seconds",
      "bmadflow_recovery_plan_age_seconds",
      "bmadflow_drill_last_run_timestamp_seconds",
      "bmadflow_drill_last_result");
  /** The series names bmadflow exports (or will, with drills and readiness): nothing else may be queried. */
  private static final Set<String> KNOWN_SERIES = knownSeries();

  /** The series the dashboard must show, one panel or more each. */
  private static final Set<String> DASHBOARD_SERIES = Set.of(
      "bmadflow_checkpoint_creations_total",
      "bmadflow_checkpoint_validations_total",
      "bmadflow_checkpoint_creation_seconds_sum",
      "bmadflow_checkpoint_creation_seconds_count",
      "bmadflow_checkpoint_bytes_written_total",
      "bmadflow_checkpoint_stored_bytes",
      "bmadflow_recovery_tests_total",
      "bmadflow_recoveries_total",
      "bmadflow_recovery_duration_seconds_bucket",
      "bmadflow_recovery_points",
      "bmadflow_recovery_newest_point_age_seconds",
      "bmadflow_recovery_capability_score",
      "bmadflow_recovery_estimated_seconds",
      "bmadflow_recovery_plan_age_seconds",
      "bmadflow_drill_last_run_timestamp_seconds",
      "bmadflow_drill_last_result");

  private static final Set<String> SEVERITIES = Set.of("critical", "high", "medium", "warning", "low", "info");
  private static final Set<String> PROMQL_KEYWORDS = Set.of(
      "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
      "inf", "nan", "start", "end");
  private static final Pattern RUNBOOK = Pattern.compile("docs/monitoring\\.md#([a-z0-9_-]+)");
  private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*),\\s*[a-zA-Z_][a-zA-Z0-9_]*\\s*\\)\\s*$",
      Pattern.DOTALL);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void promtoolAcceptsTheAlertingRules() throws Exception {
    promtool("check", "rules", RULES.toString());
  }

  @Test
  void theRulesPassTheirPromtoolUnitTests() throws Exception {
    promtool("test", "rules", RULE_TESTS.toString());
  }

  @Test
  void everyAlertHasASeverityAnnotationsARunbookSectionAndTestsThatFireAndStayQuiet() throws Exception {
    JsonNode rules = YAML.readTree(RULES.toFile());
    JsonNode tests = YAML.readTree(RULE_TESTS.toFile());
    Set<String> headings = headingSlugs(Files.readString(DOCS, StandardCharsets.UTF_8));
    Set<String> firing = new HashSet<>();
    Set<String> quiet = new HashSet<>();
    for (JsonNode group : tests.path("tests")) {
      for (JsonNode alertTest : group.path("alert_rule_test")) {
        String name = alertTest.path("alertname").asText();
        (alertTest.path("exp_alerts").isEmpty() ? quiet : firing).add(name);
      }
    }

    List<String> problems = new ArrayList<>();
    int alerts = 0;
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        String name = rule.path("alert").asText("");
        if (name.isEmpty()) {
          continue;
        }
        alerts++;
        String severity = rule.path("labels").path("severity").asText("");
        if (!SEVERITIES.contains(severity)) {
          problems.add(name + ": severity '" + severity + "' is not one of " + new TreeSet<>(SEVERITIES));
        }
        for (String annotation : List.of("summary", "description", "runbook")) {
          if (rule.path("annotations").path(annotation).asText("").isBlank()) {
            problems.add(name + ": no " + annotation + " annotation");
          }
        }
        String runbook = rule.path("annotations").path("runbook").asText("");
        Matcher anchor = RUNBOOK.matcher(runbook);
        if (!anchor.matches()) {
          problems.add(name + ": runbook '" + runbook + "' does not point at a section of docs/monitoring.md");
        } else if (!headings.contains(anchor.group(1))) {
          problems.add(name + ": runbook section #" + anchor.group(1) + " is not a heading of docs/monitoring.md");
        }
        Set<String> unknown = new TreeSet<>(metricNames(rule.path("expr").asText()));
        unknown.removeAll(KNOWN_SERIES);
        if (!unknown.isEmpty()) {
          problems.add(name + ": queries metrics bmadflow does not export: " + unknown);
        }
        if (!firing.contains(name)) {
          problems.add(name + ": no alert_rule_test in " + RULE_TESTS.getFileName() + " expects it to fire");
        }
        if (!quiet.contains(name)) {
          problems.add(name + ": no alert_rule_test in " + RULE_TESTS.getFileName() + " expects it to stay quiet");
        }
      }
    }
    assertTrue(alerts >= 6, "the seed's alert conditions and readiness: found only " + alerts + " alerts");
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  @Test
  void theDashboardIsGrafanaJsonThatQueriesOnlyBmadflowMetrics() throws Exception {
    JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
    assertTrue(dashboard.path("schemaVersion").asInt() >= 39, "schemaVersion " + dashboard.path("schemaVersion"));
    assertFalse(dashboard.path("title").asText("").isBlank(), "a title");
    assertFalse(dashboard.path("uid").asText("").isBlank(), "a uid");
    boolean input = false;
    for (JsonNode in : dashboard.path("__inputs")) {
      input |= in.path("name").asText().equals("DS_PROMETHEUS") && in.path("pluginId").asText().equals("prometheus");
    }
    assertTrue(input, "a DS_PROMETHEUS datasource input for import");

    Map<String, String> queries = dashboardQueries(dashboard);
    List<String> problems = new ArrayList<>();
    Set<String> used = new TreeSet<>();
    Set<Integer> ids = new HashSet<>();
    for (JsonNode panel : panels(dashboard)) {
      String title = panel.path("title").asText();
      if (!ids.add(panel.path("id").asInt(-1))) {
        problems.add("panel '" + title + "': id " + panel.path("id") + " is missing or used twice");
      }
      if (panel.path("gridPos").path("w").asInt() <= 0) {
        problems.add("panel '" + title + "': no gridPos");
      }
      if (panel.path("type").asText().equals("row")) {
        continue;
      }
      if (panel.path("targets").isEmpty()) {
        problems.add("panel '" + title + "': no query");
      }
      for (JsonNode target : panel.path("targets")) {
        if (!target.path("datasource").path("uid").asText().equals("${DS_PROMETHEUS}")) {
          problems.add("panel '" + title + "': a query not on ${DS_PROMETHEUS}");
        }
      }
    }
    for (Map.Entry<String, String> query : queries.entrySet()) {
      Set<String> names = metricNames(query.getValue());
      used.addAll(names);
      Set<String> unknown = new TreeSet<>(names);
      unknown.removeAll(KNOWN_SERIES);
      if (!unknown.isEmpty()) {
        problems.add(query.getKey() + ": queries metrics bmadflow does not export: " + unknown);
      }
      if (names.isEmpty()) {
        problems.add(query.getKey() + ": queries no metric");
      }
    }
    Set<String> missing = new TreeSet<>(DASHBOARD_SERIES);
    missing.removeAll(used);
    if (!missing.isEmpty()) {
      problems.add("no panel shows " + missing);
    }
    assertTrue(problems.isEmpty(), String.join("\n", problems));
  }

  /** Each dashboard query, Grafana's variables replaced, must be PromQL that promtool parses. */
  @Test
  void theDashboardQueriesArePromql(@TempDir Path dir) throws Exception {
    Map<String, String> queries = dashboardQueries(JSON.readTree(DASHBOARD.toFile()));
    ObjectNode file = YAML.createObjectNode();
    ArrayNode rules = file.putArray("groups").addObject().put("name", "dashboard-queries").putArray("rules");
    int n = 0;
    for (String expr : queries.values()) {
      String promql = expr
          .replace("$__rate_interval", "1m")
          .replace("$__interval", "1m")
          .replace("$__range", "1h")
          .replace("$project", ".*");
      Matcher labelValues = LABEL_VALUES.matcher(promql);
      if (labelValues.matches()) {
        promql = labelValues.group(1);
      }
      rules.addObject().put("record", "dashboard:query" + n++).put("expr", promql);
    }
    Path rulesFile = dir.resolve("dashboard-queries.yml");
    YAML.writeValue(rulesFile.toFile(), file);
    String output = promtool("check", "rules", rulesFile.toString());
    assertTrue(output.contains("SUCCESS: " + n + " rules found"), output);
  }

  @Test
  void metricNamesAreReadFromPromqlWithoutFunctionsLabelsOrVariables() {
    assertEquals(Set.of("a_total", "b_seconds_sum", "c"), metricNames(
        "sum by (le, strategy) (rate(a_total{outcome=\"failed\", x=~\"$project\"}[$__rate_interval]))\n"
            + "/ on (strategy) group_left (project) b_seconds_sum offset 5m unless c > 1e9 * time()"));
    assertEquals(Set.of("up"), metricNames("vector(1) and on () absent(up{job=\"x\"}) == bool 0"));
  }

  /** Runs promtool with the arguments, asserting it exits 0 and printing its output when it does not. */
  private static String promtool(String... args) throws IOException, InterruptedException {
    Path promtool = io.bmadflow.workflows.testing.RequiredTool.onPath("promtool", "apt-get install prometheus"
        + " (.ci/run installs it with --no-install-recommends and keeps its service from starting)");
    List<String> command = new ArrayList<>();
    command.add(promtool.toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    byte[] out;
    try (var in = process.getInputStream()) {
      out = in.readAllBytes();
    }
    if (!process.waitFor(PROMTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      fail(String.join(" ", command) + " did not finish in " + PROMTOOL_TIMEOUT_SECONDS + " s");
    }
    String output = new String(out, StandardCharsets.UTF_8);
    if (process.exitValue() != 0) {
      System.err.println(output);
    }
    assertEquals(0, process.exitValue(),
        () -> String.join(" ", command) + " exited " + process.exitValue() + ":\n" + output);
    return output;
  }

  /**
   * The metric names a PromQL expression reads: identifiers that are not functions, keywords,
   * label names (in matchers and in {@code by}, {@code on}, ... lists), durations or Grafana
   * variables. Enough for the expressions here; not a PromQL parser.
   */
  static Set<String> metricNames(String promql) {
    String s = promql
        .replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", " ")
        .replaceAll("'(?:[^'\\\\]|\\\\.)*'", " ")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ")
        .replaceAll("(?i)\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ")
        .replaceAll("\\$\\{?\\w+}?", " ");
    Set<String> names = new TreeSet<>();
    Matcher identifier = Pattern.compile("(?<![\\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(s);
    while (identifier.find()) {
      String name = identifier.group(1);
      if (identifier.group(2) == null && !PROMQL_KEYWORDS.contains(name.toLowerCase(Locale.ROOT))) {
        names.add(name);
      }
    }
    return names;
  }

  /** Every panel's queries and the query variables', keyed by where they are. */
  private static Map<String, String> dashboardQueries(JsonNode dashboard) {
    Map<String, String> queries = new LinkedHashMap<>();
    for (JsonNode panel : panels(dashboard)) {
      for (JsonNode target : panel.path("targets")) {
        queries.put("panel '" + panel.path("title").asText() + "' query " + target.path("refId").asText(),
            target.path("expr").asText(""));
      }
    }
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (variable.path("type").asText().equals("query")) {
        JsonNode query = variable.path("query");
        String text = query.isObject() ? query.path("query").asText("") : query.asText("");
        Matcher labelValues = LABEL_VALUES.matcher(text);
        queries.put("variable $" + variable.path("name").asText(), labelValues.matches() ? labelValues.group(1) : text);
      }
    }
    return queries;
  }

  /** The dashboard's panels, those inside collapsed rows included. */
  private static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> panels = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      panels.add(panel);
      panel.path("panels").forEach(panels::add);
    }
    return panels;
  }

  /** GitHub's anchors for the markdown headings. */
  private static Set<String> headingSlugs(String markdown) {
    return markdown.lines()
        .filter(line -> line.matches("#{1,6} .*"))
        .map(line -> line.replaceFirst("#{1,6} ", "").trim().toLowerCase(Locale.ROOT)
            .replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'))
        .collect(Collectors.toSet());
  }

  private static Set<String> knownSeries() {
    Set<String> series = new HashSet<>(COUNTERS);
    series.addAll(GAUGES);
    for (String histogram : HISTOGRAMS) {
      for (String suffix : List.of("_bucket", "_sum", "_count")) {
        series.add(histogram + suffix);
      }
    }
    return Set.copyOf(series);
  }
}
