package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.agents.AgentRoster;
import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.workflows.gates.GateRecord;
import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.gates.GateVerdict;
import io.bmadflow.workflows.project.ProjectSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole project with two agents played the way BMAD users configure an LLM CLI: the agent command
 * is the wrapper {@code docs/agents/bmad-agent.sh claude}, and {@code claude} is a scripted fake on
 * the agents' {@code PATH} standing in for Claude Code. The project's workspace holds BMAD v4
 * agent files of our own (shaped like {@code .bmad-core/agents/<agent>.md}); the fake writes the
 * PM's PRD and the QA gate files without reporting them, so what bmadflow knows of them comes from
 * the wrapper. Every history is replayed when the stack closes.
 */
class BmadAgentWrapperRunTest {
  static final Path WRAPPER = Path.of("../docs/agents/bmad-agent.sh").toAbsolutePath().normalize();
  @TempDir static Path dataDir;
  static StackFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    fixture = new StackFixture(dataDir);
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void aProjectWithPmAndQaPlayedByTheWrapperAndAFakeClaudeRunsToCompletionThroughAFailedGate() throws Exception {
    Path bin = Files.createDirectories(dataDir.resolve("bin"));
    Path claude = bin.resolve("claude");
    Files.writeString(claude, """
        #!/bin/sh
        set -eu
        case " $* " in *" -p "*) ;; *) echo "fake claude: not print mode" >&2; exit 64 ;; esac
        prompt=$(cat)
        case $prompt in *"Persona of the wrapper run: $BMADFLOW_AGENT"*) ;; *) echo "no persona" >&2; exit 65 ;; esac
        if [ "$BMADFLOW_AGENT" = pm ]; then
          mkdir -p docs
          printf '# PRD\\n\\nWritten by the fake claude for %s.\\n' "$BMADFLOW_PROJECT_ID" > docs/prd.md
          printf '# Assumptions\\n\\nNo user was asked.\\n' > docs/prd-assumptions.md
          echo "PRD written."
          exit 0
        fi
        story=$BMADFLOW_STORY_ID
        n=$(( $(cat "$HOME/reviews-$story" 2>/dev/null || echo 0) + 1 ))
        echo "$n" > "$HOME/reviews-$story"
        gate=PASS
        if [ "$story" = 1.1 ] && [ "$n" -eq 1 ]; then gate=FAIL; fi
        mkdir -p docs/qa/gates
        printf "schema: 1\\nstory: '%s'\\ngate: %s\\nstatus_reason: 'review %s'\\nquality_score: 90\\n" \\
          "$story" "$gate" "$n" > "docs/qa/gates/$story-review.yml"
        echo "QA gate $gate for story $story."
        """);
    Files.setPosixFilePermissions(claude, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path workspace = fixture.workspaces.resolve("wrapped-run");
    for (String agent : new String[] {"pm", "qa"}) {
      Path persona = workspace.resolve(".bmad-core/agents/" + agent + ".md");
      Files.createDirectories(persona.getParent());
      Files.writeString(persona, "# " + agent + "\n\n```yaml\nagent:\n  id: " + agent
          + "\n  title: Persona of the wrapper run: " + agent + "\n```\n");
    }
    var roster = AgentRoster.fromEnvironment(Map.of(
        "BMADFLOW_AGENT_COMMAND_PM", WRAPPER + " claude",
        "BMADFLOW_AGENT_COMMAND_QA", WRAPPER + " claude",
        "BMADFLOW_AGENT_TIMEOUT_SECONDS", "60",
        "PATH", bin + ":" + System.getenv().getOrDefault("PATH", "/usr/bin:/bin")), new BuiltInAgentRunner(Duration.ZERO));

    try (BmadflowWorker worker = fixture.worker("wrapped", roster)) {
      fixture.start("wrapped-run", null);
      ProjectSnapshot end = fixture.await("wrapped-run").finalState();

      assertEquals(ProjectSnapshot.COMPLETE, end.phase());
      assertTrue(Files.readString(workspace.resolve("docs/prd.md")).contains("Written by the fake claude for wrapped-run"));
      assertTrue(end.artifacts().containsKey("docs/prd.md"), end.artifacts().keySet().toString());
      // No convention names this file: it is known because the wrapper reported it.
      assertTrue(end.artifacts().containsKey("docs/prd-assumptions.md"), end.artifacts().keySet().toString());
      GateRecord first = end.gates().stream()
          .filter(g -> g.kind().equals(GateResult.QA_GATE) && g.gateId().endsWith("#1.1"))
          .reduce((a, b) -> b).orElseThrow(() -> new AssertionError(end.gates().toString()));
      assertEquals(GateVerdict.PASS, first.verdict());
      assertEquals(2, first.attempts(), "the FAIL, then the PASS after the dev's fix");
      assertEquals("2", Files.readString(workspace.resolve(".bmadflow/home/qa/reviews-1.1")).strip());
      assertTrue(end.artifacts().containsKey("docs/qa/gates/1.1-review.yml"), end.artifacts().keySet().toString());
      String transcript = Files.readString(workspace.resolve(".bmadflow/transcripts").toFile().listFiles(
          (dir, name) -> name.endsWith("-pm.log"))[0].toPath());
      assertTrue(transcript.contains("BMADFLOW-ARTIFACT: docs/prd.md"), transcript);
      assertTrue(transcript.contains("PRD written."), transcript);
    }
  }
}
