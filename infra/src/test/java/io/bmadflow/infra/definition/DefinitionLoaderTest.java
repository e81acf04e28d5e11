package io.bmadflow.infra.definition;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
