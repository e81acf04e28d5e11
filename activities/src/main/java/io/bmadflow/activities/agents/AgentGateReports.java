package io.bmadflow.activities.agents;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.gates.GateVerdict;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The quality gates a command agent reports: the gate files BMAD's agents write, and the
 * {@code BMADFLOW-GATE:} protocol line for anything else.
 *
 * <p><b>What is read.</b> Before the command runs, {@link #before} notes the size, modification
 * time and SHA-256 of every candidate file; after it, {@link #read} parses only the candidates the
 * step created or rewrote (a file left untouched is an earlier step's verdict, not this one's). The
 * candidates are
 *
 * <ul>
 *   <li>BMAD v4's QA gate files: {@code *.yml} and {@code *.yaml} directly under
 *       {@link #QA_GATES_DIRECTORY} ({@code docs/qa/gates/}, BMAD's default {@code qa.qaLocation}
 *       plus {@code /gates}; the qa-gate task names them {@code {epic}.{story}-{slug}.yml}). The
 *       YAML must be one mapping with a scalar {@code gate: PASS|CONCERNS|FAIL|WAIVED} (any letter
 *       case); {@code quality_score}, when present, must be a whole number from 0 to 100;
 *       {@code top_issues}, when present, a list (each entry's {@code id}, {@code severity} and
 *       {@code finding} become the gate's issues, else the {@code status_reason});
 *   <li>the PO master checklist's report: a markdown file under {@code docs/} (up to
 *       {@link #CHECKLIST_DEPTH} folders deep) whose name contains {@code po-master-checklist}.
 *       BMAD's checklist has no machine-readable verdict; its report ends with a
 *       {@code Final Decision} heading under which the PO keeps one of {@code **APPROVED**},
 *       {@code **CONDITIONAL**} and {@code **REJECTED**} (as a bold word opening a line, or a checked
 *       {@code [x]} box before it). That decision is read; a report without a {@code Final Decision}
 *       heading reports no gate, and one whose section keeps none, or more than one, of the three
 *       (the unfilled template lists all three) is malformed.
 *   <li>BMAD v6's implementation-readiness report: a markdown file whose name starts with
 *       {@code implementation-readiness-report} under {@code _bmad-output/} (v6's default output
 *       folder; the check writes {@code planning-artifacts/implementation-readiness-report-{date}.md})
 *       or {@code docs/}, up to {@link #CHECKLIST_DEPTH} folders deep. Its
 *       {@code Overall Readiness Status} (a heading followed by the status, or the status after a
 *       colon on the same line) must be one of READY, NEEDS WORK and NOT READY (emphasis and emoji
 *       around it are ignored; the unfilled {@code [READY/NEEDS WORK/NOT READY]} is malformed); a
 *       report without it reports no gate.
 * </ul>
 *
 * <p>The protocol line {@code BMADFLOW-GATE: <gate-id> <verdict> [score]} reports any other gate:
 * the id is 1 to 64 of {@code a-z 0-9 . _ -} ({@code qa-gate}, {@code po-master-checklist},
 * {@code spec-score}, or a kind of the agent's own), the verdict one of PASS, CONCERNS, FAIL,
 * WAIVED, APPROVED, CONDITIONAL, REJECTED, GO, NO-GO, READY, NOT-READY (any case), the score a
 * whole number from 0 to 100.
 *
 * <p><b>Limits and failures.</b> A gate file over {@link #MAX_GATE_FILE_BYTES} bytes, one that is
 * not UTF-8, not valid YAML or does not have the shape above, and a malformed protocol line throw
 * {@link IllegalArgumentException} naming the file and the line, which fails the step without
 * retries. At most {@link #MAX_CANDIDATES} candidate files are looked at.
 *
 * <p><b>Several gates in one step</b> become the step's one gate: the worst verdict's (FAIL, then
 * CONCERNS, then PASS and WAIVED), with the issues of all of them.
 */
final class AgentGateReports {
  /** Where BMAD v4's QA agent writes its gate files, relative to the workspace root. */
  static final String QA_GATES_DIRECTORY = "docs/qa/gates";
  /** The prefix of a protocol line reporting a gate. */
  static final String GATE_PREFIX = "BMADFLOW-GATE:";
  /** The largest gate file read; BMAD's are about a kilobyte. */
  static final int MAX_GATE_FILE_BYTES = 256 * 1024;
  /** How many candidate files are looked at, at most. */
  static final int MAX_CANDIDATES = 2_000;
  /** How many folders below {@code docs/} a PO checklist report is looked for. */
  static final int CHECKLIST_DEPTH = 3;

  private static final String CHECKLIST_NAME = "po-master-checklist";
  private static final String READINESS_NAME = "implementation-readiness-report";
  /** Where v6 reports go: BMAD's default output folder, and {@code docs/}. */
  private static final List<String> READINESS_FOLDERS = List.of("_bmad-output", "docs");
  /** The gate kind of v6's implementation-readiness check. */
  static final String READINESS_GATE = "implementation-readiness";
  private static final Pattern GATE_ID = Pattern.compile("[a-z0-9._-]{1,64}");
  private static final Set<String> QA_VERDICTS = Set.of("PASS", "CONCERNS", "FAIL", "WAIVED");
  private static final Set<String> LINE_VERDICTS = Set.of("PASS", "CONCERNS", "FAIL", "WAIVED", "APPROVED",
      "CONDITIONAL", "REJECTED", "GO", "NO-GO", "READY", "NOT-READY");
  private static final Pattern HEADING = Pattern.compile("^(#{1,6})\\s+(.*?)\\s*#*\\s*$");
  private static final Pattern DECISION = Pattern.compile(
      "^(?:[-*+]\\s+)?(?:\\[([ xX])\\]\\s*)?\\*\\*(APPROVED|CONDITIONAL|REJECTED)\\*\\*");

  private AgentGateReports() {}

  /** What the candidate files were before the step: path to size, modification time and hash. */
  record Before(Map<String, String> stamps) {}

  /** Notes every candidate file as it is before the command runs. */
  static Before before(Workspace workspace) {
    Map<String, String> stamps = new TreeMap<>();
    for (String path : candidates(workspace)) {
      stamps.put(path, stamp(workspace.resolve(path)));
    }
    return new Before(stamps);
  }

  /** The gates in the candidate files the step created or changed, in path order. */
  static List<GateResult> read(Workspace workspace, Before before, String agent) {
    return read(workspace, changed(workspace, before), agent);
  }

  /** The gates in the given candidate files (relative paths, checked to stay in the workspace). */
  static List<GateResult> read(Workspace workspace, List<String> changed, String agent) {
    List<GateResult> gates = new ArrayList<>();
    for (String path : changed) {
      Path file = workspace.resolve(path);
      String text = readBounded(file, path, agent);
      String name = path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
      GateResult gate = path.startsWith(QA_GATES_DIRECTORY + "/") ? qaGate(path, text, agent)
          : name.startsWith(READINESS_NAME) ? readiness(path, text, agent)
          : poChecklist(path, text, agent);
      if (gate != null) {
        gates.add(gate);
      }
    }
    return gates;
  }

  /** The candidate files the step created or changed (size, modification time or content), sorted. */
  static List<String> changed(Workspace workspace, Before before) {
    return candidates(workspace).stream()
        .filter(path -> !stamp(workspace.resolve(path)).equals(before.stamps().get(path)))
        .toList();
  }

  /** The candidate files now in the workspace, relative paths with {@code /}, sorted. */
  static List<String> candidates(Workspace workspace) {
    List<String> found = new ArrayList<>();
    Path root = workspace.root();
    Path gates = workspace.resolve(QA_GATES_DIRECTORY);
    if (Files.isDirectory(gates, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> files = Files.list(gates)) {
        files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
            .filter(f -> {
              String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
              return name.endsWith(".yml") || name.endsWith(".yaml");
            })
            .limit(MAX_CANDIDATES)
            .forEach(f -> found.add(relative(root, f)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list the QA gates in " + gates + ": " + e.getMessage(), e);
      }
    }
    Path docs = workspace.resolve("docs");
    if (Files.isDirectory(docs, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> files = Files.walk(docs, CHECKLIST_DEPTH + 1)) {
        files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
            .filter(f -> {
              String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
              return name.contains(CHECKLIST_NAME) && name.endsWith(".md");
            })
            .limit(MAX_CANDIDATES)
            .forEach(f -> found.add(relative(root, f)));
      } catch (IOException | UncheckedIOException e) {
        throw new UncheckedIOException("cannot look for PO checklist reports in " + docs + ": " + e.getMessage(),
            e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
      }
    }
    for (String folder : READINESS_FOLDERS) {
      Path base = workspace.resolve(folder);
      if (!Files.isDirectory(base, LinkOption.NOFOLLOW_LINKS)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(base, CHECKLIST_DEPTH + 1)) {
        files.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS))
            .filter(f -> {
              String name = f.getFileName().toString().toLowerCase(Locale.ROOT);
              return name.startsWith(READINESS_NAME) && name.endsWith(".md");
            })
            .limit(MAX_CANDIDATES)
            .forEach(f -> found.add(relative(root, f)));
      } catch (IOException | UncheckedIOException e) {
        throw new UncheckedIOException("cannot look for readiness reports in " + base + ": " + e.getMessage(),
            e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
      }
    }
    return found.stream().distinct().sorted(Comparator.naturalOrder()).limit(MAX_CANDIDATES).toList();
  }

  // ---- BMAD v4's QA gate file -------------------------------------------------------------

  /** Parses a QA gate file (see the class comment); never null. */
  static GateResult qaGate(String path, String text, String agent) {
    Node root;
    try {
      LoaderOptions options = new LoaderOptions();
      options.setCodePointLimit(MAX_GATE_FILE_BYTES);
      options.setNestingDepthLimit(20);
      options.setMaxAliasesForCollections(0);
      options.setAllowRecursiveKeys(false);
      root = new Yaml(options).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      throw malformed(agent, path, e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0,
          "not valid YAML: " + e.getProblem());
    } catch (YAMLException e) {
      throw malformed(agent, path, 0, "not valid YAML: " + e.getMessage());
    }
    if (!(root instanceof MappingNode mapping)) {
      throw malformed(agent, path, root == null ? 1 : line(root),
          "not a YAML mapping; a QA gate file holds 'schema: 1', 'story', 'gate: PASS|CONCERNS|FAIL|WAIVED'...");
    }
    Map<String, Node> fields = new TreeMap<>();
    for (NodeTuple tuple : mapping.getValue()) {
      if (tuple.getKeyNode() instanceof ScalarNode key) {
        if (fields.put(key.getValue(), tuple.getValueNode()) != null
            && Set.of("gate", "quality_score").contains(key.getValue())) {
          throw malformed(agent, path, line(key), "a second '" + key.getValue() + "' key; keep one");
        }
      }
    }
    Node gateNode = fields.get("gate");
    if (gateNode == null) {
      throw malformed(agent, path, line(mapping), "no 'gate' key; BMAD's qa-gate task writes"
          + " 'gate: PASS', 'CONCERNS', 'FAIL' or 'WAIVED'");
    }
    String status = scalar(gateNode) == null ? null : scalar(gateNode).strip().toUpperCase(Locale.ROOT);
    if (status == null || !QA_VERDICTS.contains(status)) {
      throw malformed(agent, path, line(gateNode), "'gate' is " + describe(gateNode)
          + ", not one of PASS, CONCERNS, FAIL, WAIVED");
    }
    Integer score = null;
    Node scoreNode = fields.get("quality_score");
    if (scoreNode != null) {
      String value = scalar(scoreNode);
      if (value == null || !value.strip().matches("\\d{1,3}") || Integer.parseInt(value.strip()) > 100) {
        throw malformed(agent, path, line(scoreNode), "'quality_score' is " + describe(scoreNode)
            + ", not a whole number from 0 to 100");
      }
      score = Integer.parseInt(value.strip());
    }
    List<String> issues = new ArrayList<>();
    Node topIssues = fields.get("top_issues");
    if (topIssues != null) {
      if (!(topIssues instanceof SequenceNode list)) {
        throw malformed(agent, path, line(topIssues), "'top_issues' is " + describe(topIssues)
            + ", not a list (write 'top_issues: []' when there are none)");
      }
      for (Node entry : list.getValue()) {
        issues.add(issue(entry));
      }
    }
    if (issues.isEmpty() && !"PASS".equals(status)) {
      String reason = fields.get("status_reason") == null ? null : scalar(fields.get("status_reason"));
      if (reason != null && !reason.isBlank()) {
        issues.add(reason.strip());
      }
    }
    String story = fields.get("story") == null ? null : scalar(fields.get("story"));
    if (story != null && !story.isBlank()) {
      issues.replaceAll(i -> "story " + story.strip() + ": " + i);
    }
    issues.replaceAll(i -> i + " (" + path + ")");
    return new GateResult(GateResult.QA_GATE, status, score, issues);
  }

  private static String issue(Node entry) {
    if (entry instanceof MappingNode item) {
      Map<String, String> values = new TreeMap<>();
      for (NodeTuple tuple : item.getValue()) {
        if (tuple.getKeyNode() instanceof ScalarNode key && scalar(tuple.getValueNode()) != null) {
          values.put(key.getValue(), scalar(tuple.getValueNode()).strip());
        }
      }
      String text = values.getOrDefault("id", "issue")
          + (values.containsKey("severity") ? " (" + values.get("severity") + ")" : "")
          + (values.containsKey("finding") ? ": " + values.get("finding") : "");
      return bounded(text);
    }
    String value = scalar(entry);
    return bounded(value == null ? "issue" : value.strip());
  }

  // ---- the PO master checklist's report -----------------------------------------------------

  /** The decision under the report's {@code Final Decision} heading, or null when it has none. */
  static GateResult poChecklist(String path, String text, String agent) {
    List<String> lines = text.lines().toList();
    int heading = -1;
    int level = 0;
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = HEADING.matcher(lines.get(i).strip());
      if (m.matches() && m.group(2).toLowerCase(Locale.ROOT).replaceAll("[^a-z ]", "").strip()
          .endsWith("final decision")) {
        heading = i;
        level = m.group(1).length();
      }
    }
    if (heading < 0) {
      return null;
    }
    List<String> kept = new ArrayList<>();
    List<String> checked = new ArrayList<>();
    boolean boxes = false;
    for (int i = heading + 1; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      Matcher h = HEADING.matcher(line);
      if (h.matches() && h.group(1).length() <= level) {
        break;
      }
      Matcher d = DECISION.matcher(line);
      if (d.find()) {
        kept.add(d.group(2));
        if (d.group(1) != null) {
          boxes = true;
          if (!d.group(1).isBlank()) {
            checked.add(d.group(2));
          }
        }
      }
    }
    List<String> decisions = boxes ? checked : kept;
    if (decisions.size() != 1) {
      throw malformed(agent, path, heading + 1, "the '" + lines.get(heading).strip() + "' section keeps "
          + (decisions.isEmpty() ? "no decision" : decisions.size() + " decisions (" + String.join(", ", decisions) + ")")
          + "; keep exactly one of **APPROVED**, **CONDITIONAL** and **REJECTED** (or check one [x] box)");
    }
    String decision = decisions.get(0);
    List<String> issues = "APPROVED".equals(decision) ? List.of()
        : List.of("PO master checklist: " + decision + " (" + path + ")");
    return new GateResult(GateResult.PO_CHECKLIST, decision, null, issues);
  }

  // ---- BMAD v6's implementation-readiness report ---------------------------------------------

  /**
   * The status under the report's {@code Overall Readiness Status} heading (on the heading's line
   * after a colon, or the first non-blank line after it), or null when it has none.
   */
  static GateResult readiness(String path, String text, String agent) {
    List<String> lines = text.lines().toList();
    String label = "overall readiness status";
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      Matcher heading = HEADING.matcher(line);
      String plain = (heading.matches() ? heading.group(2) : line).replace("*", "").strip();
      if (!plain.toLowerCase(Locale.ROOT).startsWith(label)) {
        continue;
      }
      String value = plain.substring(label.length()).replaceFirst("^[\\s:]+", "");
      int valueLine = i;
      if (value.isBlank()) {
        valueLine = i + 1;
        while (valueLine < lines.size() && lines.get(valueLine).isBlank()) {
          valueLine++;
        }
        if (valueLine == lines.size() || HEADING.matcher(lines.get(valueLine).strip()).matches()
            && !lines.get(valueLine).toUpperCase(Locale.ROOT).contains("READY")
            && !lines.get(valueLine).toUpperCase(Locale.ROOT).contains("NEEDS WORK")) {
          throw malformed(agent, path, i + 1, "no status follows 'Overall Readiness Status'; write READY,"
              + " NEEDS WORK or NOT READY");
        }
        value = lines.get(valueLine);
      }
      String words = value.toUpperCase(Locale.ROOT).replaceAll("[^A-Z/]+", " ").strip();
      String status = words.contains("/") ? null
          : words.startsWith("NOT READY") ? "NOT READY"
          : words.startsWith("NEEDS WORK") ? "NEEDS WORK"
          : words.startsWith("READY") ? "READY" : null;
      if (status == null) {
        throw malformed(agent, path, valueLine + 1, "the Overall Readiness Status is '" + bounded(value.strip())
            + "'; keep one of READY, NEEDS WORK and NOT READY");
      }
      List<String> issues = "READY".equals(status) ? List.of()
          : List.of("implementation readiness: " + status + " (" + path + ")");
      return new GateResult(READINESS_GATE, status, null, issues);
    }
    return null;
  }

  // ---- the protocol line --------------------------------------------------------------------

  /** Parses {@code BMADFLOW-GATE: <gate-id> <verdict> [score]}. */
  static GateResult protocolLine(String line, String agent) {
    String[] parts = line.substring(GATE_PREFIX.length()).strip().split("\\s+");
    String problem = null;
    if (parts.length < 2 || parts.length > 3) {
      problem = "it has " + (parts.length == 1 && parts[0].isEmpty() ? 0 : parts.length) + " words after the prefix";
    } else if (!GATE_ID.matcher(parts[0]).matches()) {
      problem = "the gate id '" + parts[0] + "' is not 1 to 64 of a-z 0-9 . _ -";
    } else if (!LINE_VERDICTS.contains(parts[1].toUpperCase(Locale.ROOT))) {
      problem = "the verdict '" + parts[1] + "' is not one of PASS, CONCERNS, FAIL, WAIVED, APPROVED, CONDITIONAL,"
          + " REJECTED, GO, NO-GO, READY, NOT-READY";
    } else if (parts.length == 3 && (!parts[2].matches("\\d{1,3}") || Integer.parseInt(parts[2]) > 100)) {
      problem = "the score '" + parts[2] + "' is not a whole number from 0 to 100";
    }
    if (problem != null) {
      throw new IllegalArgumentException("agent " + agent + " printed the malformed line '" + bounded(line)
          + "': " + problem + "; a gate line reads '" + GATE_PREFIX + " <gate-id> <verdict> [score]', for example '"
          + GATE_PREFIX + " qa-gate FAIL 40'");
    }
    String verdict = parts[1].toUpperCase(Locale.ROOT);
    Integer score = parts.length == 3 ? Integer.parseInt(parts[2]) : null;
    GateResult gate = new GateResult(parts[0], verdict, score, List.of());
    GateVerdict normalized = GateVerdict.of(gate);
    return normalized == GateVerdict.PASS ? gate
        : new GateResult(parts[0], verdict, score, List.of(parts[0] + ": " + verdict + " (reported by " + agent + ")"));
  }

  // ---- several gates --------------------------------------------------------------------------

  /** The step's one gate: the worst verdict's, with every gate's issues; null when there are none. */
  static GateResult combine(List<GateResult> gates) {
    if (gates.isEmpty()) {
      return null;
    }
    if (gates.size() == 1) {
      return gates.get(0);
    }
    GateResult worst = gates.get(0);
    for (GateResult gate : gates) {
      if (rank(GateVerdict.of(gate)) > rank(GateVerdict.of(worst))) {
        worst = gate;
      }
    }
    List<String> issues = new ArrayList<>();
    for (GateResult gate : gates) {
      issues.addAll(gate.issues());
    }
    return new GateResult(worst.gate(), worst.status(), worst.score(), issues);
  }

  private static int rank(GateVerdict verdict) {
    return switch (verdict) {
      case FAIL -> 2;
      case CONCERNS -> 1;
      case PASS, WAIVED -> 0;
    };
  }

  // ---- files ------------------------------------------------------------------------------------

  private static String stamp(Path file) {
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      long modified = Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toMillis();
      Sha256.Sum sum = Sha256.of(in);
      return sum.size() + "/" + modified + "/" + sum.hex();
    } catch (IOException e) {
      return "unreadable: " + e.getMessage();
    }
  }

  private static String readBounded(Path file, String path, String agent) {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
      bytes = in.readNBytes(MAX_GATE_FILE_BYTES + 1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the gate file " + file + ": " + e.getMessage(), e);
    }
    if (bytes.length > MAX_GATE_FILE_BYTES) {
      throw malformed(agent, path, 0, "the file is over the limit of " + MAX_GATE_FILE_BYTES + " bytes for a gate file"
          + " (BMAD's are about a kilobyte)");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw malformed(agent, path, 0, "the file is not UTF-8 text; save it as UTF-8");
    }
  }

  private static String relative(Path root, Path file) {
    return root.relativize(file).toString().replace(file.getFileSystem().getSeparator(), "/");
  }

  private static IllegalArgumentException malformed(String agent, String path, int line, String problem) {
    return new IllegalArgumentException("agent " + agent + " wrote the gate file " + path
        + (line > 0 ? ", line " + line : "") + ": " + problem + "; fix the file or report the gate with '"
        + GATE_PREFIX + " <gate-id> <verdict> [score]'");
  }

  private static int line(Node node) {
    return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
  }

  private static String scalar(Node node) {
    return node instanceof ScalarNode s ? s.getValue() : null;
  }

  private static String describe(Node node) {
    if (node instanceof ScalarNode s) {
      return "'" + bounded(s.getValue()) + "'";
    }
    return node instanceof SequenceNode ? "a list" : "a mapping";
  }

  private static String bounded(String text) {
    return text.length() > 200 ? text.substring(0, 197) + "..." : text;
  }
}
