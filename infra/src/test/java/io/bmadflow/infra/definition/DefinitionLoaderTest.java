package io.bmadflow.infra.definition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefinitionLoaderTest {

  @Test
  void loadsTheBundledGreenfieldDefinition() {
    DefinitionLoader.Loaded loaded = DefinitionLoader.load("greenfield-fullstack");
    WorkflowDefinition definition = loaded.definition();
    assertEquals("greenfield-fullstack", definition.id());
    assertEquals("analyst", definition.sequence().get(0).agent());
    assertTrue(definition.sequence().stream().anyMatch(s -> "workflow_end".equals(s.step())));
    assertTrue(definition.handoffPrompts().containsKey("analyst_to_pm"));
    assertEquals(java.util.List.of(), loaded.ignoredKeys());
  }

  @Test
  void allBundledDefinitionsLoadCleanly() {
    for (String name : DefinitionLoader.BUNDLED) {
      DefinitionLoader.Loaded loaded = DefinitionLoader.load(name);
      assertEquals(name, loaded.definition().id());
      assertEquals(java.util.List.of(), loaded.ignoredKeys(), name);
    }
  }

  @Test
  void errorsNameTheLine() {
    String yaml = """
        workflow:
          id: x
          sequence:
            - agent: analyst
              creates: brief.md
            - creates: prd.md
        """;
    IllegalArgumentException noAgent = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse(yaml.getBytes(StandardCharsets.UTF_8), "mine.yaml"));
    assertTrue(noAgent.getMessage().startsWith("definition mine.yaml line 6: workflow.sequence[1] names no agent"), noAgent.getMessage());
    String escape = "workflow:\n  id: x\n  sequence:\n    - agent: pm\n      creates: ../../etc/passwd\n";
    IllegalArgumentException traversal = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse(escape.getBytes(StandardCharsets.UTF_8), "e.yaml"));
    assertTrue(traversal.getMessage().contains("line 5: workflow.sequence[0].creates '../../etc/passwd' is not a path inside the workspace"),
        traversal.getMessage());
    String badPhase = "workflow:\n  id: x\n  sequence:\n    - agent: pm\n      phase: testing\n";
    IllegalArgumentException phase = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse(badPhase.getBytes(StandardCharsets.UTF_8), "p.yaml"));
    assertTrue(phase.getMessage().contains("line 5: workflow.sequence[0].phase 'testing'"), phase.getMessage());
  }

  @Test
  void toleratesAndListsUnknownKeys(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("mine.yaml");
    Files.writeString(file, """
        workflow:
          id: mine
          custom_top: 1
          sequence:
            - agent: analyst
              creates: brief.md
              elicit: true
            - workflow_end:
                action: project_complete
        """, StandardCharsets.UTF_8);
    DefinitionLoader.Loaded loaded = DefinitionLoader.load(file.toString());
    assertEquals(java.util.List.of("workflow.custom_top", "workflow.sequence[0].elicit"), loaded.ignoredKeys());
    DefinitionStep end = loaded.definition().sequence().get(1);
    assertEquals("workflow_end", end.step());
    assertEquals("project_complete", end.action());
  }

  @Test
  void refusesMalformedDocumentsNamingTheField() {
    IllegalArgumentException noSequence = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse("workflow:\n  id: x\n".getBytes(StandardCharsets.UTF_8), "t"));
    assertTrue(noSequence.getMessage().contains("workflow.sequence"), noSequence.getMessage());
    IllegalArgumentException badAgent = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse("workflow:\n  id: x\n  sequence:\n    - agent: [a, b]\n".getBytes(StandardCharsets.UTF_8), "t"));
    assertTrue(badAgent.getMessage().contains("workflow.sequence[0].agent"), badAgent.getMessage());
    IllegalArgumentException badYaml = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse("workflow: [\n".getBytes(StandardCharsets.UTF_8), "t"));
    assertTrue(badYaml.getMessage().contains("not valid YAML"), badYaml.getMessage());
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.load("no-such-definition"));
    assertTrue(missing.getMessage().contains("no bundled definition"), missing.getMessage());
  }

  /**
   * A billion-laughs document: 9 levels of anchors, each list holding 6 aliases of the one above
   * (49 aliases, 6^8 leaves when expanded), then a workflow whose step is {@code step}.
   */
  private static String aliasBomb(String step) {
    StringBuilder yaml = new StringBuilder("l0: &a0 [lol, lol, lol, lol, lol, lol]\n");
    for (int level = 1; level <= 8; level++) {
      yaml.append('l').append(level).append(": &a").append(level).append(" [");
      for (int i = 0; i < 6; i++) {
        yaml.append(i == 0 ? "" : ", ").append("*a").append(level - 1);
      }
      yaml.append("]\n");
    }
    return yaml.append("workflow:\n  id: bomb\n  sequence:\n    - ").append(step).append("\n      notes: *a8\n")
        .toString();
  }

  @Test
  void anAliasBombWithAnErrorIsRefusedAtOnceNamingTheAlias() {
    byte[] bomb = aliasBomb("creates: prd.md").getBytes(StandardCharsets.UTF_8);
    IllegalArgumentException refused = assertTimeoutPreemptively(Duration.ofSeconds(2),
        () -> assertThrows(IllegalArgumentException.class, () -> DefinitionLoader.parse(bomb, "bomb.yaml")));
    assertTrue(refused.getMessage().startsWith("definition bomb.yaml line 2: the YAML alias *a0 is not allowed"),
        refused.getMessage());
    assertTrue(refused.getMessage().contains("write the value out in full"), refused.getMessage());
  }

  @Test
  void anAliasBombWithoutAnErrorIsRefusedByTheAliasRule() {
    byte[] bomb = aliasBomb("agent: pm").getBytes(StandardCharsets.UTF_8);
    IllegalArgumentException refused = assertTimeoutPreemptively(Duration.ofSeconds(2),
        () -> assertThrows(IllegalArgumentException.class, () -> DefinitionLoader.parse(bomb, "bomb.yaml")));
    assertTrue(refused.getMessage().startsWith("definition bomb.yaml line 2: the YAML alias *a0 is not allowed"
        + " in a workflow definition"), refused.getMessage());
    // A single alias is refused too: the reader would load the anchor's name ("a") as the agent.
    IllegalArgumentException one = assertThrows(IllegalArgumentException.class, () -> DefinitionLoader.parse(
        "x: &a pm\nworkflow:\n  id: x\n  sequence:\n    - agent: *a\n".getBytes(StandardCharsets.UTF_8), "one.yaml"));
    assertTrue(one.getMessage().startsWith("definition one.yaml line 5: the YAML alias *a"), one.getMessage());
  }

  @Test
  void theLineLookupDoesNotExpandAliases() {
    // The lookup on its own, as an error found after parsing would reach it: aliases are leaves.
    String bomb = aliasBomb("creates: prd.md");
    OptionalInt line = assertTimeoutPreemptively(Duration.ofSeconds(2),
        () -> YamlLines.lineOf(bomb, "definition bomb.yaml: workflow.sequence[0] names no agent"));
    assertEquals(OptionalInt.of(13), line);
    OptionalInt deep = assertTimeoutPreemptively(Duration.ofSeconds(2),
        () -> YamlLines.lineOf(bomb, "definition bomb.yaml: l8[5][5][5][5][5][5][5][5] is odd"));
    assertEquals(OptionalInt.of(9), deep); // l8[5] is the deepest path: the alias there is not followed.
    IllegalArgumentException located = YamlLines.withLine(
        new IllegalArgumentException("definition bomb.yaml: workflow.sequence[0] names no agent"), bomb);
    assertEquals("definition bomb.yaml line 13: workflow.sequence[0] names no agent", located.getMessage());
  }

  @Test
  void theLineLookupGivesUpPastItsWorkLimit() {
    // 10,000 steps, and a message long enough that comparing each step's path with it costs 16 M.
    StringBuilder yaml = new StringBuilder("workflow:\n  sequence:\n");
    for (int i = 0; i < 10_000; i++) {
      yaml.append("    - agent: a").append(i).append('\n');
    }
    String message = "definition big.yaml: workflow.sequence[9999] is wrong; " + "x".repeat(1_600);
    OptionalInt line = assertTimeoutPreemptively(Duration.ofSeconds(2), () -> YamlLines.lineOf(yaml.toString(), message));
    assertEquals(OptionalInt.empty(), line);
    assertEquals(OptionalInt.of(10_002),
        YamlLines.lineOf(yaml.toString(), "definition big.yaml: workflow.sequence[9999] is wrong"));
  }

  @Test
  void aDefinitionOverTheSizeLimitIsRefusedWithoutBeingRead(@TempDir Path dir) throws Exception {
    Path huge = dir.resolve("huge.yaml");
    try (RandomAccessFile file = new RandomAccessFile(huge.toFile(), "rw")) {
      file.setLength(100L * 1024 * 1024); // Sparse: 100 MiB that cost nothing to make.
    }
    IllegalArgumentException refused = assertTimeoutPreemptively(Duration.ofSeconds(2),
        () -> assertThrows(IllegalArgumentException.class, () -> DefinitionLoader.load(huge.toString())));
    assertEquals("definition file " + huge.toAbsolutePath() + " is 104857600 bytes, over the limit of 1048576 bytes"
        + " (1 MiB) for a workflow definition; BMAD workflow definitions are a few kilobytes, check that this is"
        + " the right file", refused.getMessage());
    byte[] justOver = ("workflow:\n  id: x\n  notes: " + "x".repeat(DefinitionLoader.MAX_DEFINITION_BYTES) + "\n")
        .getBytes(StandardCharsets.UTF_8);
    IllegalArgumentException parsed = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse(justOver, "over.yaml"));
    assertTrue(parsed.getMessage().startsWith("definition over.yaml is " + justOver.length
        + " bytes, over the limit of 1048576 bytes"), parsed.getMessage());
  }

  @Test
  void deepNestingIsRefusedCleanly() {
    byte[] deep = ("workflow:\n  id: x\n  sequence: " + "[".repeat(10_000) + "\n").getBytes(StandardCharsets.UTF_8);
    IllegalArgumentException refused = assertTimeoutPreemptively(Duration.ofSeconds(2),
        () -> assertThrows(IllegalArgumentException.class, () -> DefinitionLoader.parse(deep, "deep.yaml")));
    assertEquals("definition deep.yaml line 3: lists and mappings nest more than 64 levels deep, the limit for a"
        + " workflow definition (BMAD's nest about 6); check that this is the right file", refused.getMessage());
    byte[] deepBlock = nestedBlockMappings(80).getBytes(StandardCharsets.UTF_8);
    IllegalArgumentException block = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse(deepBlock, "block.yaml"));
    assertTrue(block.getMessage().contains("nest more than 64 levels deep"), block.getMessage());
    // 60 levels are within the limit: the document parses that far and fails for what it lacks.
    IllegalArgumentException within = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse(nestedBlockMappings(60).getBytes(StandardCharsets.UTF_8), "ok.yaml"));
    assertTrue(within.getMessage().contains("workflow.sequence must be a non-empty list"), within.getMessage());
  }

  private static String nestedBlockMappings(int levels) {
    StringBuilder yaml = new StringBuilder("workflow:\n  id: x\n  notes:\n");
    for (int level = 0; level < levels; level++) {
      yaml.append("  ".repeat(level + 2)).append("k:\n");
    }
    return yaml.append("  ".repeat(levels + 2)).append("v\n").toString();
  }

  @Test
  void tooManyNodesAreRefused() {
    StringBuilder yaml = new StringBuilder("workflow:\n  id: x\n  project_types: [");
    for (int i = 0; i < DefinitionLoader.MAX_NODES; i++) {
      yaml.append(i == 0 ? "t" : ",t");
    }
    byte[] many = yaml.append("]\n").toString().getBytes(StandardCharsets.UTF_8);
    IllegalArgumentException refused = assertTimeoutPreemptively(Duration.ofSeconds(2),
        () -> assertThrows(IllegalArgumentException.class, () -> DefinitionLoader.parse(many, "many.yaml")));
    assertEquals("definition many.yaml line 3: the document holds more than 50000 YAML nodes, the limit for a"
        + " workflow definition (BMAD's hold a few hundred); check that this is the right file", refused.getMessage());
  }

  @Test
  void aDocumentThatIsNotUtf8IsRefused() {
    byte[] latin1 = "workflow:\n  id: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse(latin1, "latin1.yaml"));
    assertEquals("definition latin1.yaml is not UTF-8 text (a malformed byte sequence at byte offset 19); save it"
        + " as UTF-8", refused.getMessage());
  }

  // ---- BMAD v4's step shapes -------------------------------------------------------------------

  /** The six workflow files of BMAD v4, by the names they have there. */
  static final java.util.List<String> V4_FILES = java.util.List.of("greenfield-fullstack", "greenfield-service",
      "greenfield-ui", "brownfield-fullstack", "brownfield-service", "brownfield-ui");

  private static DefinitionLoader.Loaded fixture(String name) throws Exception {
    try (var in = DefinitionLoaderTest.class.getResourceAsStream("/io/bmadflow/definitions/v4/" + name + ".yaml")) {
      return DefinitionLoader.parse(in.readAllBytes(), name + ".yaml");
    }
  }

  @Test
  void theV4FixturesLoadWithEveryKeyModelled() throws Exception {
    for (String name : V4_FILES) {
      DefinitionLoader.Loaded loaded = fixture(name);
      assertEquals("fixture-" + name, loaded.definition().id());
      assertEquals(java.util.List.of(), loaded.ignoredKeys(), name);
      assertV4Shapes(loaded.definition(), name);
    }
  }

  /** What every one of the six v4 files has: agent steps, a story loop, guidance steps, and the end step. */
  private static void assertV4Shapes(WorkflowDefinition definition, String name) {
    java.util.List<DefinitionStep> steps = definition.sequence();
    DefinitionStep end = steps.get(steps.size() - 1);
    assertEquals("workflow_end", end.step(), name);
    assertEquals("project_complete", end.action(), name);
    assertEquals(DefinitionStep.GUIDANCE, end.kind(), name);
    assertTrue(steps.stream().anyMatch(s -> "repeat_development_cycle".equals(s.step()) && !s.isAgentStep()), name);
    assertTrue(steps.stream().anyMatch(s -> s.repeats() != null && "sm".equals(s.agent())), name);
    assertTrue(steps.stream().anyMatch(s -> "analyst/pm".equals(s.agent()) && s.optional()), name);
    assertTrue(steps.stream().anyMatch(s -> "various".equals(s.agent()) && "po_checklist_issues".equals(s.condition())), name);
    assertTrue(steps.stream().anyMatch(s -> "po-master-checklist".equals(s.uses())), name);
  }

  @Test
  void theV4StepShapesMapToSteps() throws Exception {
    WorkflowDefinition fullstack = fixture("greenfield-fullstack").definition();
    DefinitionStep setup = fullstack.sequence().stream()
        .filter(s -> "project_setup_guidance".equals(s.step())).findFirst().orElseThrow();
    assertEquals(null, setup.agent());
    assertEquals(DefinitionStep.GUIDANCE, setup.kind());
    assertEquals("guide_project_structure", setup.action());
    assertEquals("user_has_generated_ui", setup.condition());
    assertTrue(setup.notes().startsWith("Where a generated UI goes"), setup.notes());
    assertEquals(java.util.List.of("brainstorming_session", "market_research_prompt"),
        fullstack.sequence().get(0).optionalSteps());
    assertEquals(java.util.List.of("prd.md", "front-end-spec.md"), fullstack.sequence().get(4).requires());
    assertEquals("v0_prompt (optional)", fullstack.sequence().get(3).creates());
    assertEquals("v0_prompt", DefinitionStep.artifactName(fullstack.sequence().get(3).creates()));
    assertEquals("prd.md", DefinitionStep.artifactName(fullstack.sequence().get(5).updates()));

    WorkflowDefinition brownfield = fixture("brownfield-fullstack").definition();
    DefinitionStep classify = brownfield.sequence().get(0);
    assertEquals("enhancement_classification", classify.step());
    assertEquals("analyst", classify.agent());
    assertEquals(DefinitionStep.AGENT, classify.kind());
    DefinitionStep routing = brownfield.sequence().get(1);
    assertEquals("routing_decision", routing.step());
    assertTrue(routing.isRouting());
    assertEquals(java.util.List.of(
        new io.bmadflow.workflows.definition.DefinitionRoute("single_story", "pm", "brownfield-create-story", null,
            "One story, then straight to development."),
        new io.bmadflow.workflows.definition.DefinitionRoute("small_feature", "pm", "brownfield-create-epic", null,
            "One epic of a few stories."),
        new io.bmadflow.workflows.definition.DefinitionRoute("major_enhancement", null, null, "to_next_step",
            "The full planning below.")), routing.routes());
    assertEquals("pm/architect", brownfield.sequence().get(5).agent());
    assertEquals("pm", DefinitionStep.resolveAgent(brownfield.sequence().get(5).agent()));
    assertEquals("orchestrator", DefinitionStep.resolveAgent("various"));
  }

  @Test
  void aRouteNeedsAnAgentOrContinue() {
    String yaml = "workflow:\n  id: x\n  sequence:\n    - step: routing\n      routes:\n        a:\n          notes: n\n";
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse(yaml.getBytes(StandardCharsets.UTF_8), "r.yaml"));
    assertTrue(refused.getMessage().contains("workflow.sequence[0].routes.a names neither an 'agent' nor 'continue'"),
        refused.getMessage());
    String blank = "workflow:\n  id: x\n  sequence:\n    - step: \"\"\n      action: a\n";
    IllegalArgumentException unnamed = assertThrows(IllegalArgumentException.class,
        () -> DefinitionLoader.parse(blank.getBytes(StandardCharsets.UTF_8), "s.yaml"));
    assertTrue(unnamed.getMessage().contains("workflow.sequence[0].step must name the step"), unnamed.getMessage());
  }

  /**
   * BMAD-METHOD's own six v4 files, from the directory {@code -Dbmadflow.v4.dir} names (they are
   * not in this repository): each loads with every key modelled.
   */
  @Test
  void theRealV4FilesLoadWhenGiven() throws Exception {
    String dir = System.getProperty("bmadflow.v4.dir");
    org.junit.jupiter.api.Assumptions.assumeTrue(dir != null,
        "set -Dbmadflow.v4.dir to a directory holding BMAD-METHOD's six v4 workflow files to load them too");
    for (String name : V4_FILES) {
      DefinitionLoader.Loaded loaded = DefinitionLoader.load(Path.of(dir, name + ".yaml").toString());
      assertEquals(name, loaded.definition().id());
      assertEquals(java.util.List.of(), loaded.ignoredKeys(), name);
      assertV4Shapes(loaded.definition(), name);
    }
  }
}
