package io.bmadflow.activities.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.gates.GateVerdict;
import io.bmadflow.workflows.testing.RequiredTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The wrapper {@code docs/agents/bmad-agent.sh} as the agent command of a {@link CommandAgentRunner},
 * end to end: the LLM CLI it calls is a scripted fake ({@code claude}, {@code codex}) that the test
 * writes into a directory on the agents' {@code PATH}; it checks the non-interactive flags it is
 * given, keeps the prompt it read and writes files like an LLM would, without reporting them.
 */
class BmadAgentWrapperTest {
  /** Where the wrapper is, from the module's folder (the tests' working directory). */
  static final Path WRAPPER = Path.of("../docs/agents/bmad-agent.sh").toAbsolutePath().normalize();
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final Runnable NO_PROGRESS = () -> {};

  /** An agent persona of BMAD v4's shape (markdown with the agent's YAML block); our own text. */
  private static final String PM_PERSONA = """
      # pm

      ```yaml
      agent:
        name: Morgan
        id: pm
        title: Product Manager (wrapper fixture)
      persona:
        role: Writes the PRD from the project brief
      commands:
        - create-prd: run task create-doc.md with template prd-tmpl.yaml
      ```
      """;
  private static final String CREATE_DOC_TASK = """
      # Create Document from Template (wrapper fixture)

      1. Read the template named by the step.
      2. Write the document section by section.
      """;
  /** A v6 skill's SKILL.md of BMAD's shape (front matter, then the steps to read); our own text. */
  private static final String CREATE_PRD_SKILL = """
      ---
      name: bmad-create-prd
      description: Product requirements, fixture of the wrapper test
      ---

      Follow steps/step-01-init.md, then write {planning_artifacts}/prd.md.
      """;

  @TempDir Path temp;
  private Path bin;
  private Workspace workspace;

  @BeforeEach
  void setUp() throws IOException {
    assertTrue(Files.isExecutable(WRAPPER), "the wrapper is missing or not executable: " + WRAPPER);
    bin = Files.createDirectories(temp.resolve("bin"));
    workspace = Workspace.of(temp.resolve("workspaces"), "wrapped-app", null);
    Files.createDirectories(workspace.root());
  }

  @Test
  void aV4AgentStepRunsThroughFakeClaudeAndEveryFileItWroteIsReported() throws IOException {
    write(".bmad-core/agents/pm.md", PM_PERSONA);
    write(".bmad-core/tasks/create-doc.md", CREATE_DOC_TASK);
    write("docs/project-brief.md", "# Brief\nAn earlier step's file, left as it was.\n");
    fakeCli("claude", """
        case " $* " in
          *" -p "*"--permission-mode acceptEdits"*"--output-format text"*) ;;
          *) echo "fake claude: not the non-interactive flags: $*" >&2; exit 64 ;;
        esac
        [ "$(pwd)" = "$BMADFLOW_WORKSPACE" ] || { echo "fake claude: not in the workspace" >&2; exit 65; }
        cat > "$BMADFLOW_WORKSPACE/../claude-prompt.md"
        mkdir -p docs src
        printf '# PRD\\n\\nGoals: wrapped.\\n' > docs/prd.md
        printf 'console.log(1)\\n' > src/app.js
        echo "working on it" >&2
        echo "BMADFLOW-FLAG: po_checklist_issues=false"
        echo "Wrote the PRD from the brief."
        """);
    AgentStepRequest request = new AgentStepRequest("wrapped-app", null, "planning", 2, "pm", null, "prd.md",
        null, null, List.of("project-brief.md"), null, "Over to you, PM.", Map.of(), false, "create-doc",
        List.of(), null);

    AgentStepResult result = runner(Map.of()).run(request, workspace, NO_PROGRESS);

    assertEquals(List.of(artifact("docs/prd.md"), artifact("src/app.js")), result.artifacts());
    assertEquals(Map.of("po_checklist_issues", false), result.flags());
    assertEquals("Wrote the PRD from the brief.", result.summary());
    String prompt = Files.readString(workspace.root().resolveSibling("claude-prompt.md"));
    for (String expected : List.of("No user is present", "title: Product Manager (wrapper fixture)",
        ".bmad-core/agents/pm.md", "Create Document from Template (wrapper fixture)", ".bmad-core/tasks/create-doc.md",
        "# BMAD agent step: pm", "Uses: create-doc", "Over to you, PM.", CommandAgentRunner.ARTIFACT_PREFIX)) {
      assertTrue(prompt.contains(expected), "the prompt lacks '" + expected + "':\n" + prompt);
    }
    assertTrue(prompt.indexOf("Product Manager (wrapper fixture)") < prompt.indexOf("# BMAD agent step: pm"),
        "the persona comes before the step:\n" + prompt);
    String transcript = Files.readString(workspace.root().resolve(".bmadflow/transcripts/2-pm.log"));
    assertTrue(transcript.contains("working on it"), transcript);
    assertTrue(transcript.contains("BMADFLOW-ARTIFACT: src/app.js"), transcript);
  }

  @Test
  void aV6SkillStepRunsThroughFakeCodexChosenByTheAgentsEnvironment() throws IOException {
    write("_bmad/bmm/2-plan-workflows/bmad-create-prd/SKILL.md", CREATE_PRD_SKILL);
    write("_bmad/bmm/2-plan-workflows/bmad-create-prd/steps/step-01-init.md", "# Step 1\n");
    fakeCli("codex", """
        [ "$1" = exec ] || { echo "fake codex: not codex exec: $*" >&2; exit 64; }
        case " $* " in
          *" --sandbox workspace-write "*"--skip-git-repo-check"*" --cd $BMADFLOW_WORKSPACE "*) ;;
          *) echo "fake codex: not the non-interactive flags: $*" >&2; exit 64 ;;
        esac
        for last; do :; done
        [ "$last" = - ] || { echo "fake codex: the prompt is not read from stdin" >&2; exit 64; }
        cat > "$BMADFLOW_WORKSPACE/../codex-prompt.md"
        mkdir -p _bmad-output/planning-artifacts
        printf '# PRD (v6)\\n' > _bmad-output/planning-artifacts/prd.md
        echo "Created the PRD with bmad-create-prd."
        """);
    AgentStepRequest request = new AgentStepRequest("wrapped-app", null, "2-planning", 4, "pm", null, null,
        null, null, List.of(), null, null, Map.of(), false, "bmad-create-prd", List.of(), null);

    AgentStepResult result = runner(Map.of("BMAD_AGENT_LLM", "codex", "BMADFLOW_AGENT_ENV", "BMAD_AGENT_LLM"))
        .run(request, workspace, NO_PROGRESS);

    assertEquals(List.of(artifact("_bmad-output/planning-artifacts/prd.md")), result.artifacts());
    assertEquals("Created the PRD with bmad-create-prd.", result.summary());
    String prompt = Files.readString(workspace.root().resolveSibling("codex-prompt.md"));
    for (String expected : List.of("## The BMAD skill bmad-create-prd", "_bmad/bmm/2-plan-workflows/bmad-create-prd",
        "Follow steps/step-01-init.md", "# BMAD agent step: pm")) {
      assertTrue(prompt.contains(expected), "the prompt lacks '" + expected + "':\n" + prompt);
    }
    assertFalse(prompt.contains("Your BMAD agent persona"), "a skill step gets no v4 persona:\n" + prompt);

    // A step that names no skill, for an agent v4 does not have here: v6's skill of that agent.
    write("_bmad/bmm/3-solutioning/bmad-agent-architect/SKILL.md",
        "---\nname: bmad-agent-architect\n---\n\nYou are the architect of the wrapper fixture.\n");
    AgentStepRequest architect = new AgentStepRequest("wrapped-app", null, "3-solutioning", 5, "architect", null,
        null, null, null, List.of(), null, null, Map.of());
    runner(Map.of("BMAD_AGENT_LLM", "codex", "BMADFLOW_AGENT_ENV", "BMAD_AGENT_LLM"))
        .run(architect, workspace, NO_PROGRESS);
    String architectPrompt = Files.readString(workspace.root().resolveSibling("codex-prompt.md"));
    assertTrue(architectPrompt.contains("## The BMAD skill bmad-agent-architect"), architectPrompt);
    assertTrue(architectPrompt.contains("You are the architect of the wrapper fixture."), architectPrompt);
  }

  @Test
  void aQaGateFileTheLlmWritesBecomesTheStepsGateAndOnlyThisStepsFilesAreReported() throws IOException {
    write(".bmad-core/agents/qa.md", "# qa\n\n```yaml\nagent:\n  id: qa\n  title: Test Architect (wrapper fixture)\n```\n");
    write("docs/stories/1.1.story.md", "# Story 1.1\nStatus: Review\n");
    fakeCli("claude", """
        cat > /dev/null
        mkdir -p docs/qa/gates
        cat > docs/qa/gates/1.1-sign-in.yml <<'EOF'
        schema: 1
        story: "1.1"
        gate: FAIL
        quality_score: 40
        top_issues:
          - id: "TEST-001"
            severity: high
            finding: "No test covers a wrong password"
        EOF
        printf '\\n## QA Results\\nGate: FAIL\\n' >> docs/stories/1.1.story.md
        echo "Reviewed story 1.1: FAIL."
        """);
    AgentStepRequest request = new AgentStepRequest("wrapped-app", null, "implementation", 7, "qa", null, null,
        "story.md", null, List.of(), "1.1", null, Map.of(), false, "review-story", List.of(), null);

    AgentStepResult result = runner(Map.of()).run(request, workspace, NO_PROGRESS);

    assertEquals(GateResult.QA_GATE, result.gate().gate());
    assertEquals(GateVerdict.FAIL, GateVerdict.of(result.gate()));
    assertEquals(40, result.gate().score());
    assertTrue(result.gate().issues().toString().contains("No test covers a wrong password"), result.gate().toString());
    assertEquals(List.of("docs/qa/gates/1.1-sign-in.yml", "docs/stories/1.1.story.md"),
        result.artifacts().stream().map(ArtifactRef::path).sorted().toList());
    assertEquals("Reviewed story 1.1: FAIL.", result.summary());
  }

  @Test
  void aFailingLlmFailsTheAttemptWithItsExitCodeAndAMissingAgentSaysWhatToInstall() {
    fakeCli("claude", """
        echo "rate limited, try later" >&2
        exit 3
        """);
    AgentStepRequest request = new AgentStepRequest("wrapped-app", null, "planning", 2, "pm", null, "prd.md",
        null, null, List.of(), null, null, Map.of());

    // No BMAD installed in the workspace: the wrapper stops before calling the LLM.
    IllegalStateException missing = assertThrows(IllegalStateException.class,
        () -> runner(Map.of()).run(request, workspace, NO_PROGRESS));
    assertTrue(missing.getMessage().contains("exit code 2"), missing.getMessage());
    assertTrue(missing.getMessage().contains(".bmad-core/agents/pm.md"), missing.getMessage());
    assertTrue(missing.getMessage().contains("npx bmad-method install"), missing.getMessage());

    write(".bmad-core/agents/pm.md", PM_PERSONA);
    IllegalStateException failed = assertThrows(IllegalStateException.class,
        () -> runner(Map.of()).run(request, workspace, NO_PROGRESS));
    assertTrue(failed.getMessage().contains("exit code 3"), failed.getMessage());
    assertTrue(failed.getMessage().contains("rate limited, try later"), failed.getMessage());
  }

  @Test
  void theWrapperPassesShellcheck() throws Exception {
    Path shellcheck = RequiredTool.onPath("shellcheck", "apt-get install shellcheck");
    Process process = new ProcessBuilder(shellcheck.toString(), "-s", "sh", WRAPPER.toString())
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "shellcheck did not finish");
    assertEquals(0, process.exitValue(), output);
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** A runner of the wrapper whose agents see the fake CLIs first on their PATH. */
  private CommandAgentRunner runner(Map<String, String> extra) {
    Map<String, String> worker = new java.util.HashMap<>(extra);
    worker.put("PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    return new CommandAgentRunner(List.of(WRAPPER.toString()), TIMEOUT, AgentEnvironment.fromEnvironment(worker));
  }

  private ArtifactRef artifact(String path) throws IOException {
    byte[] bytes = Files.readAllBytes(workspace.root().resolve(path));
    return new ArtifactRef(path, Sha256.hex(bytes), bytes.length);
  }

  private void write(String path, String text) {
    try {
      Path file = workspace.root().resolve(path);
      Files.createDirectories(file.getParent());
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError("cannot write " + path, e);
    }
  }

  private void fakeCli(String name, String body) {
    try {
      Path script = bin.resolve(name);
      Files.writeString(script, "#!/bin/sh\nset -eu\n" + body, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    } catch (IOException e) {
      throw new AssertionError("cannot write the fake " + name, e);
    }
  }
}
