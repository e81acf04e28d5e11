package io.bmadflow.activities.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.Workspace;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.gates.GateVerdict;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@link AgentGateReports}: BMAD v4's QA gate files, the PO master checklist's Final Decision and
 * the {@code BMADFLOW-GATE:} line, parsed alone and through {@link CommandAgentRunner} with real
 * scripts. The fixtures are our own files of the shape BMAD's qa-gate task and checklist describe.
 */
class AgentGateReportsTest {
  /** A QA gate file of the shape of BMAD v4's qa-gate template, with the given gate and score. */
  static String qaGate(String story, String gate, String score, String issues) {
    return "schema: 1\n"
        + "story: '" + story + "'\n"
        + "story_title: 'Project skeleton'\n"
        + "gate: " + gate + "\n"
        + "status_reason: 'Reviewed the acceptance criteria against the tests.'\n"
        + "reviewer: 'Quinn (Test Architect)'\n"
        + "updated: '2026-12-02T18:00:00Z'\n"
        + "waiver: { active: false }\n"
        + "top_issues: " + issues + "\n"
        + (score == null ? "" : "quality_score: " + score + "\n")
        + "risk_summary:\n  totals: { critical: 0, high: 0, medium: 0, low: 0 }\n";
  }

  @TempDir Path temp;
  private Workspace workspace;

  @BeforeEach
  void setUp() {
    workspace = Workspace.of(temp.resolve("workspaces"), "gated", null);
  }

  @ParameterizedTest
  @CsvSource({"PASS,PASS", "CONCERNS,CONCERNS", "FAIL,FAIL", "WAIVED,WAIVED", "fail,FAIL"})
  void aQaGateFileGivesItsVerdictAndScore(String written, GateVerdict expected) {
    GateResult gate = AgentGateReports.qaGate("docs/qa/gates/1.1-skeleton.yml",
        qaGate("1.1", written, "72", "[]"), "qa");
    assertEquals(GateResult.QA_GATE, gate.gate());
    assertEquals(expected, GateVerdict.of(gate));
    assertEquals(72, gate.score());
  }

  @Test
  void aFailingQaGateNamesItsTopIssues() {
    GateResult gate = AgentGateReports.qaGate("docs/qa/gates/1.1-skeleton.yml", qaGate("1.1", "FAIL", null, """

          - id: 'TEST-001'
            severity: high
            finding: 'AC2 has no test'
            suggested_action: 'Add an integration test'
          - id: 'SEC-001'
            severity: medium
            finding: 'No rate limit on login'"""), "qa");
    assertNull(gate.score());
    assertEquals(List.of("story 1.1: TEST-001 (high): AC2 has no test (docs/qa/gates/1.1-skeleton.yml)",
        "story 1.1: SEC-001 (medium): No rate limit on login (docs/qa/gates/1.1-skeleton.yml)"), gate.issues());
  }

  @Test
  void aMalformedQaGateFileIsRefusedNamingTheFileAndTheLine() {
    String path = "docs/qa/gates/1.1-skeleton.yml";
    var unknown = assertThrows(IllegalArgumentException.class,
        () -> AgentGateReports.qaGate(path, qaGate("1.1", "MAYBE", null, "[]"), "qa"));
    assertTrue(unknown.getMessage().contains("agent qa wrote the gate file " + path + ", line 4: 'gate' is 'MAYBE',"
        + " not one of PASS, CONCERNS, FAIL, WAIVED"), unknown.getMessage());
    var score = assertThrows(IllegalArgumentException.class,
        () -> AgentGateReports.qaGate(path, qaGate("1.1", "PASS", "120", "[]"), "qa"));
    assertTrue(score.getMessage().contains(path + ", line 10: 'quality_score' is '120', not a whole number from 0 to 100"),
        score.getMessage());
    var missing = assertThrows(IllegalArgumentException.class,
        () -> AgentGateReports.qaGate(path, "schema: 1\nstory: '1.1'\n", "qa"));
    assertTrue(missing.getMessage().contains(path + ", line 1: no 'gate' key"), missing.getMessage());
    var yaml = assertThrows(IllegalArgumentException.class,
        () -> AgentGateReports.qaGate(path, "schema: 1\ngate: PASS\ntop_issues: [unclosed\n", "qa"));
    assertTrue(yaml.getMessage().contains(path + ", line ") && yaml.getMessage().contains("not valid YAML"),
        yaml.getMessage());
    var list = assertThrows(IllegalArgumentException.class,
        () -> AgentGateReports.qaGate(path, "- gate: PASS\n", "qa"));
    assertTrue(list.getMessage().contains(path + ", line 1: not a YAML mapping"), list.getMessage());
    var issues = assertThrows(IllegalArgumentException.class,
        () -> AgentGateReports.qaGate(path, qaGate("1.1", "FAIL", null, "'none'"), "qa"));
    assertTrue(issues.getMessage().contains(path + ", line 9: 'top_issues' is 'none', not a list"), issues.getMessage());
  }

  @Test
  void thePoChecklistsFinalDecisionIsItsVerdict() {
    String path = "docs/po-master-checklist.md";
    GateResult approved = AgentGateReports.poChecklist(path, checklist("**APPROVED**: The plan is ready."), "po");
    assertEquals(GateResult.PO_CHECKLIST, approved.gate());
    assertEquals(GateVerdict.PASS, GateVerdict.of(approved));
    GateResult conditional = AgentGateReports.poChecklist(path,
        checklist("- [ ] **APPROVED**: ready\n- [x] **CONDITIONAL**: adjust first\n- [ ] **REJECTED**: revise"), "po");
    assertEquals(GateVerdict.CONCERNS, GateVerdict.of(conditional));
    GateResult rejected = AgentGateReports.poChecklist(path, checklist("**REJECTED**: revise the PRD."), "po");
    assertEquals(GateVerdict.FAIL, GateVerdict.of(rejected));
    assertEquals(List.of("PO master checklist: REJECTED (" + path + ")"), rejected.issues());
    assertNull(AgentGateReports.poChecklist(path, "# PO Master Checklist\n\nOverall: fine\n", "po"),
        "a report without a Final Decision heading reports no gate");
  }

  @Test
  void aPoChecklistKeepingAllThreeDecisionsIsRefused() {
    String template = checklist("- **APPROVED**: ready.\n- **CONDITIONAL**: adjust.\n- **REJECTED**: revise.");
    var e = assertThrows(IllegalArgumentException.class,
        () -> AgentGateReports.poChecklist("docs/qa/po-master-checklist.md", template, "po"));
    assertTrue(e.getMessage().contains("docs/qa/po-master-checklist.md, line 7: the '### Final Decision' section keeps"
        + " 3 decisions (APPROVED, CONDITIONAL, REJECTED)"), e.getMessage());
  }

  @Test
  void aV6ReadinessReportsOverallStatusIsItsVerdict() {
    String path = "_bmad-output/planning-artifacts/implementation-readiness-report-2026-12-02.md";
    GateResult ready = AgentGateReports.readiness(path, readiness("### Overall Readiness Status\n\n## ✅ READY (with recommendations)"), "pm");
    assertEquals(AgentGateReports.READINESS_GATE, ready.gate());
    assertEquals(GateVerdict.PASS, GateVerdict.of(ready));
    GateResult needsWork = AgentGateReports.readiness(path, readiness("**Overall Readiness Status:** 🟡 **NEEDS WORK**"), "pm");
    assertEquals(GateVerdict.CONCERNS, GateVerdict.of(needsWork));
    GateResult notReady = AgentGateReports.readiness(path, readiness("### Overall Readiness Status: **NOT READY**"), "pm");
    assertEquals(GateVerdict.FAIL, GateVerdict.of(notReady));
    assertEquals(List.of("implementation readiness: NOT READY (" + path + ")"), notReady.issues());
    assertNull(AgentGateReports.readiness(path, readiness("## Findings\n\nNone."), "pm"), "no status, no gate");
    var template = assertThrows(IllegalArgumentException.class, () -> AgentGateReports.readiness(path,
        readiness("### Overall Readiness Status\n\n[READY/NEEDS WORK/NOT READY]"), "pm"));
    assertTrue(template.getMessage().contains(path + ", line 7: the Overall Readiness Status is"
        + " '[READY/NEEDS WORK/NOT READY]'; keep one of READY, NEEDS WORK and NOT READY"), template.getMessage());
    var empty = assertThrows(IllegalArgumentException.class,
        () -> AgentGateReports.readiness(path, readiness("### Overall Readiness Status\n"), "pm"));
    assertTrue(empty.getMessage().contains(path + ", line 5: no status follows"), empty.getMessage());
  }

  @Test
  void aCommandAgentsReadinessReportUnderBmadOutputIsRead() throws IOException {
    Path pm = script("readiness.sh", "mkdir -p _bmad-output/planning-artifacts\n"
        + "cat > _bmad-output/planning-artifacts/implementation-readiness-report-2026-12-02.md <<'EOF'\n"
        + readiness("### Overall Readiness Status\n\nNOT READY") + "EOF\n");
    AgentStepResult result = new CommandAgentRunner(List.of(pm.toString()), Duration.ofSeconds(30))
        .run(request("pm", null), workspace, () -> {});
    assertEquals(new GateResult(AgentGateReports.READINESS_GATE, "NOT READY", null,
        List.of("implementation readiness: NOT READY (_bmad-output/planning-artifacts/"
            + "implementation-readiness-report-2026-12-02.md)")), result.gate());
  }

  @Test
  void theGateProtocolLineReportsAnyGate() {
    GateResult spec = AgentGateReports.protocolLine("BMADFLOW-GATE: spec-score PASS 91", "spec-reviewer");
    assertEquals(new GateResult("spec-score", "PASS", 91, List.of()), spec);
    GateResult noGo = AgentGateReports.protocolLine("BMADFLOW-GATE: readiness no-go", "architect");
    assertEquals(GateVerdict.FAIL, GateVerdict.of(noGo));
    assertNull(noGo.score());
    for (String bad : List.of("BMADFLOW-GATE:", "BMADFLOW-GATE: qa-gate", "BMADFLOW-GATE: QA PASS",
        "BMADFLOW-GATE: qa-gate MAYBE", "BMADFLOW-GATE: qa-gate PASS 101", "BMADFLOW-GATE: qa-gate PASS 9 x")) {
      var e = assertThrows(IllegalArgumentException.class, () -> AgentGateReports.protocolLine(bad, "qa"), bad);
      assertTrue(e.getMessage().contains("agent qa printed the malformed line '" + bad + "'"), e.getMessage());
    }
  }

  @Test
  void severalGatesBecomeTheWorstWithAllTheirIssues() {
    GateResult pass = new GateResult("qa-gate", "PASS", 95, List.of());
    GateResult concerns = new GateResult("nfr", "CONCERNS", null, List.of("nfr: slow"));
    GateResult fail = new GateResult("spec-score", "FAIL", 40, List.of("spec: thin"));
    assertNull(AgentGateReports.combine(List.of()));
    assertEquals(pass, AgentGateReports.combine(List.of(pass)));
    assertEquals(new GateResult("nfr", "CONCERNS", null, List.of("nfr: slow")),
        AgentGateReports.combine(List.of(pass, concerns)));
    assertEquals(new GateResult("spec-score", "FAIL", 40, List.of("nfr: slow", "spec: thin")),
        AgentGateReports.combine(List.of(concerns, pass, fail)));
  }

  // ---- through the command runner ----------------------------------------------------------

  @Test
  void aCommandAgentsQaGateFileBecomesTheStepsGateAndOnlyChangedFilesCount() throws IOException {
    Path gates = Files.createDirectories(workspace.root().resolve("docs/qa/gates"));
    // An earlier story's failed gate, left as it was: not this step's verdict.
    Files.writeString(gates.resolve("1.1-skeleton.yml"), qaGate("1.1", "FAIL", "30", "[]"));
    Path qa = script("qa.sh", "mkdir -p docs/qa/gates\n"
        + "cat > docs/qa/gates/1.2-sign-in.yml <<'EOF'\n" + qaGate("1.2", "PASS", "90", "[]") + "EOF\n"
        + "echo 'reviewed story 1.2'\n");

    AgentStepResult result = new CommandAgentRunner(List.of(qa.toString()), Duration.ofSeconds(30))
        .run(request("qa", "1.2"), workspace, () -> {});

    assertEquals(new GateResult(GateResult.QA_GATE, "PASS", 90, List.of()), result.gate());
    assertEquals(List.of("docs/qa/gates/1.2-sign-in.yml"), result.artifacts().stream().map(a -> a.path()).toList(),
        "the gate file is the step's artifact; the untouched one is not");
    assertEquals("reviewed story 1.2", result.summary());

    // A step that touches no gate file and prints no gate line reports no gate.
    Path quiet = script("quiet.sh", "echo 'nothing to review'\n");
    assertNull(new CommandAgentRunner(List.of(quiet.toString()), Duration.ofSeconds(30))
        .run(request("qa", "1.2"), workspace, () -> {}).gate());
  }

  @Test
  void aGateFileRewrittenWithTheSameBytesStillCounts() throws Exception {
    Path gates = Files.createDirectories(workspace.root().resolve("docs/qa/gates"));
    String fail = qaGate("1.1", "FAIL", "40", "[]");
    Files.writeString(gates.resolve("1.1-skeleton.yml"), fail);
    Files.setLastModifiedTime(gates.resolve("1.1-skeleton.yml"),
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
    Path qa = script("qa-again.sh", "cat > docs/qa/gates/1.1-skeleton.yml <<'EOF'\n" + fail + "EOF\n");

    AgentStepResult result = new CommandAgentRunner(List.of(qa.toString()), Duration.ofSeconds(30))
        .run(request("qa", "1.1"), workspace, () -> {});

    assertEquals(GateVerdict.FAIL, GateVerdict.of(result.gate()), "the QA agent wrote its verdict again");
  }

  @Test
  void aMalformedGateFileOrLineFailsTheCommandStepNamingIt() {
    Path qa = script("bad-gate.sh", "mkdir -p docs/qa/gates\n"
        + "printf 'schema: 1\\nstory: 1.1\\ngate: GREEN\\n' > docs/qa/gates/1.1-skeleton.yml\n");
    var file = assertThrows(IllegalArgumentException.class,
        () -> new CommandAgentRunner(List.of(qa.toString()), Duration.ofSeconds(30))
            .run(request("qa", "1.1"), workspace, () -> {}));
    assertTrue(file.getMessage().contains("agent qa wrote the gate file docs/qa/gates/1.1-skeleton.yml, line 3:"
        + " 'gate' is 'GREEN'"), file.getMessage());

    Path big = script("big-gate.sh", "mkdir -p docs/qa/gates\n"
        + "head -c " + (AgentGateReports.MAX_GATE_FILE_BYTES + 1) + " /dev/zero | tr '\\0' '#' > docs/qa/gates/2.1-x.yml\n");
    var size = assertThrows(IllegalArgumentException.class,
        () -> new CommandAgentRunner(List.of(big.toString()), Duration.ofSeconds(30))
            .run(request("qa", "2.1"), workspace, () -> {}));
    assertTrue(size.getMessage().contains("docs/qa/gates/2.1-x.yml: the file is over the limit of "
        + AgentGateReports.MAX_GATE_FILE_BYTES + " bytes"), size.getMessage());

    Path line = script("bad-line.sh", "echo 'BMADFLOW-GATE: spec-score GOOD'\n");
    var protocol = assertThrows(IllegalArgumentException.class,
        () -> new CommandAgentRunner(List.of(line.toString()), Duration.ofSeconds(30))
            .run(request("spec-reviewer", null), workspace, () -> {}));
    assertTrue(protocol.getMessage().contains("the verdict 'GOOD' is not one of"), protocol.getMessage());
  }

  @Test
  void aGateFileThatALinkLeadsOutOfTheWorkspaceIsRefused() throws IOException {
    Path outside = Files.createDirectories(temp.resolve("outside/gates"));
    Files.createDirectories(workspace.root().resolve("docs"));
    Files.createSymbolicLink(workspace.root().resolve("docs/qa"), outside.getParent());
    Path qa = script("linked-gate.sh", "cat > docs/qa/gates/1.1-skeleton.yml <<'EOF'\n"
        + qaGate("1.1", "PASS", "99", "[]") + "EOF\n");
    var e = assertThrows(IllegalArgumentException.class,
        () -> new CommandAgentRunner(List.of(qa.toString()), Duration.ofSeconds(30))
            .run(request("qa", "1.1"), workspace, () -> {}));
    assertTrue(e.getMessage().contains("docs/qa/gates/1.1-skeleton.yml") && e.getMessage().contains("symbolic link"),
        e.getMessage());
  }

  @Test
  void aGateLineAndAPoChecklistReportTogetherGiveTheWorstVerdict() throws IOException {
    Path po = script("po.sh", "mkdir -p docs\n"
        + "cat > docs/po-master-checklist.md <<'EOF'\n" + checklist("**CONDITIONAL**: shard the PRD again.") + "EOF\n"
        + "echo 'BMADFLOW-GATE: spec-score PASS 90'\n"
        + "echo 'validated the plan'\n");

    AgentStepResult result = new CommandAgentRunner(List.of(po.toString()), Duration.ofSeconds(30))
        .run(request("po", null), workspace, () -> {});

    assertEquals(GateResult.PO_CHECKLIST, result.gate().gate());
    assertEquals(GateVerdict.CONCERNS, GateVerdict.of(result.gate()));
    assertTrue(result.artifacts().stream().anyMatch(a -> a.path().equals("docs/po-master-checklist.md")));
    String prompt = CommandAgentRunner.prompt(request("po", null));
    assertTrue(prompt.contains("BMADFLOW-GATE: <gate-id> <verdict> [score]") && prompt.contains("docs/qa/gates/"), prompt);
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** A PO master checklist report of the shape of BMAD v4's, its Final Decision section given. */
  private static String checklist(String decision) {
    return "# PO Master Validation Report\n\n"
        + "| Category | Status | Critical Issues |\n|---|---|---|\n| 1. Project Setup | PASS | |\n\n"
        + "### Final Decision\n\n" + decision + "\n\n## Next steps\n\n- **REJECTED** items: none\n";
  }

  /** An implementation-readiness report of the shape of BMAD v6's, its summary given. */
  private static String readiness(String summary) {
    return "# Implementation Readiness Assessment Report\n\n**Date:** 2026-12-02\n\n" + summary
        + "\n\n### Critical Issues Requiring Immediate Action\n\nNone.\n";
  }

  private AgentStepRequest request(String agent, String storyId) {
    return new AgentStepRequest("gated", null, "implementation", 7, agent, "review_implementation", null, null,
        null, List.of(), storyId, null, Map.of());
  }

  private Path script(String name, String body) {
    try {
      Path bin = Files.createDirectories(temp.resolve("bin"));
      Path script = bin.resolve(name);
      Files.writeString(script, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
      return script;
    } catch (IOException e) {
      throw new AssertionError("cannot write the script " + name, e);
    }
  }
}
