package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.agents.AgentRoster;
import io.bmadflow.activities.agents.AgentRunner;
import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.workflows.gates.GateRecord;
import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.gates.GateVerdict;
import io.bmadflow.workflows.phase.PhaseWorkflowImpl;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.StepRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gates reported by a real command agent, end to end on the Temporal test server: the QA agent is
 * a shell script that reviews each story and writes BMAD v4's QA gate file under
 * {@code docs/qa/gates/}; the other agents are the built-in ones. A FAIL in the file runs the
 * improvement loops, the passing gate is checkpointed, and a gate that keeps failing escalates to
 * an operator. Every history the tests produce is replayed when the stack closes.
 */
class CommandAgentGatesTest {
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
  void aQaGateFileThatFailsTwiceThenPassesRunsTwoImprovementLoopsAndIsCheckpointed() throws Exception {
    try (BmadflowWorker worker = fixture.worker("qa-loops", qaAgent("qa-fails-twice.sh", 2))) {
      fixture.start("qa-loops", null);
      ProjectSnapshot end = fixture.await("qa-loops").finalState();
      assertEquals(ProjectSnapshot.COMPLETE, end.phase());

      GateRecord gate = storyGate(end, "1.1");
      assertEquals(GateVerdict.PASS, gate.verdict());
      assertEquals(3, gate.attempts(), "two FAILs, then the PASS");
      assertEquals("agent", gate.decidedBy());
      assertEquals(95, gate.score(), "the quality_score of the file");
      assertEquals(2, steps(end, "dev: address_qa_feedback", "1.1"), "one fix per failed review");
      assertEquals(3, steps(end, "qa: review_implementation", "1.1"), "three reviews of story 1.1");
      for (String story : List.of("1.2", "2.1")) {
        GateRecord other = storyGate(end, story);
        assertEquals(GateVerdict.PASS, other.verdict(), story);
        assertEquals(1, other.attempts(), story);
        assertEquals(0, steps(end, "dev: address_qa_feedback", story), story);
      }
      Path workspace = fixture.workspaces.resolve("qa-loops");
      assertEquals("3", Files.readString(workspace.resolve(".bmadflow/home/qa/reviews-1.1")).strip());
      assertTrue(Files.readString(workspace.resolve("docs/qa/gates/1.1-story.yml")).contains("gate: PASS"));
      assertTrue(end.artifacts().containsKey("docs/qa/gates/1.1-story.yml"), "the gate file is an artifact");

      String detail = "after gate " + gate.gateId() + " (" + GateResult.QA_GATE + "): PASS";
      assertTrue(triggerDetails("qa-loops").stream().anyMatch(d -> d.contains(detail)),
          "a checkpoint names the gate of story 1.1 (" + detail + "): " + triggerDetails("qa-loops"));
      assertTrue(end.agents().get("qa").qualityContributions().contains(gate.gateId() + ": PASS"),
          end.agents().get("qa").qualityContributions().toString());
    }
  }

  @Test
  void aQaGateFileThatKeepsFailingEscalatesToAnOperator() throws Exception {
    try (BmadflowWorker worker = fixture.worker("qa-escalates", qaAgent("qa-always-fails.sh", Integer.MAX_VALUE))) {
      fixture.start("qa-escalates", null);
      ProjectSnapshot waiting = fixture.awaitState("qa-escalates", s -> s.pendingGate() != null);
      GateRecord pending = waiting.pendingGate();
      assertEquals(GateResult.QA_GATE, pending.kind());
      assertEquals(GateVerdict.FAIL, pending.verdict());
      assertEquals(40, pending.score());
      assertEquals(PhaseWorkflowImpl.MAX_IMPROVEMENT_LOOPS + 1, pending.attempts());
      assertTrue(pending.note().contains("story 1.1: TEST-001 (high): AC2 has no test"), pending.note());
      assertEquals(PhaseWorkflowImpl.MAX_IMPROVEMENT_LOOPS, steps(waiting, "dev: address_qa_feedback", "1.1"));
      var status = fixture.cli("status", "--project", "qa-escalates");
      assertTrue(status.out().contains("waiting:    gate " + pending.gateId()), status.out());

      var waive = fixture.cli("gate", "waive", "--project", "qa-escalates", "--reason", "known gap, tracked");
      assertEquals(0, waive.code(), waive.err());
      ProjectSnapshot end = fixture.await("qa-escalates").finalState();
      assertEquals(ProjectSnapshot.COMPLETE, end.phase());
      GateRecord decided = storyGate(end, "1.1");
      assertEquals(GateVerdict.WAIVED, decided.verdict());
      assertEquals("operator", decided.decidedBy());
      assertTrue(decided.note().contains("known gap, tracked"), decided.note());
      assertNull(end.pendingGate());
      assertEquals(GateVerdict.PASS, storyGate(end, "1.2").verdict());
      String detail = "after gate " + decided.gateId() + " (" + GateResult.QA_GATE + "): WAIVED";
      assertTrue(triggerDetails("qa-escalates").stream().anyMatch(d -> d.contains(detail)),
          "the operator's decision is checkpointed (" + detail + "): " + triggerDetails("qa-escalates"));
    }
  }

  @Test
  void aMalformedQaGateFileFailsTheProjectAtOnceNamingTheFileAndLine() throws Exception {
    Path script = dataDir.resolve("qa-malformed.sh");
    Files.writeString(script, """
        #!/bin/sh
        echo run >> "$HOME/reviews-$BMADFLOW_STORY_ID"
        mkdir -p docs/qa/gates
        printf "schema: 1\\nstory: '%s'\\ngate: GREEN\\n" "$BMADFLOW_STORY_ID" > "docs/qa/gates/$BMADFLOW_STORY_ID-story.yml"
        echo "reviewed"
        """);
    script.toFile().setExecutable(true);
    AgentRunner roster = AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_COMMAND_QA", script.toString(),
        "BMADFLOW_AGENT_TIMEOUT_SECONDS", "30"), new BuiltInAgentRunner(Duration.ZERO));
    try (BmadflowWorker worker = fixture.worker("qa-malformed", roster)) {
      fixture.start("qa-malformed", null);
      var failure = org.junit.jupiter.api.Assertions.assertThrows(io.temporal.client.WorkflowFailedException.class,
          () -> fixture.await("qa-malformed"));
      String message = ((io.temporal.failure.ApplicationFailure) failure.getCause()).getOriginalMessage();
      assertTrue(message.contains("agent qa wrote the gate file docs/qa/gates/1.1-story.yml, line 3: 'gate' is 'GREEN',"
          + " not one of PASS, CONCERNS, FAIL, WAIVED"), message);
      assertEquals(1, Files.readAllLines(fixture.workspaces.resolve("qa-malformed/.bmadflow/home/qa/reviews-1.1")).size(),
          "not retried");
    }
  }

  /** The trigger details of a project's checkpoints, in order (coalesced triggers joined by "; "). */
  private static List<String> triggerDetails(String project) {
    return fixture.store.list(project).stream()
        .map(c -> java.util.Objects.toString(
            fixture.store.metadata(project, c.checkpointId()).checkpointMetadata().triggerDetail(), ""))
        .toList();
  }

  /**
   * The built-in agents, with QA played by a script that writes a QA gate file per review: FAIL
   * (score 40) for the first {@code failures} reviews of story 1.1, else PASS (score 95). It counts
   * its reviews in its own home, which bmadflow keeps from step to step.
   */
  private static AgentRunner qaAgent(String name, int failures) throws Exception {
    Path script = dataDir.resolve(name);
    Files.writeString(script, """
        #!/bin/sh
        set -e
        story="$BMADFLOW_STORY_ID"
        count="$HOME/reviews-$story"
        n=$(( $(cat "$count" 2>/dev/null || echo 0) + 1 ))
        echo "$n" > "$count"
        gate=PASS; score=95; issues='[]'
        if [ "$story" = "1.1" ] && [ "$n" -le %d ]; then gate=FAIL; score=40; issues="
          - id: 'TEST-001'
            severity: high
            finding: 'AC2 has no test'"
        fi
        mkdir -p docs/qa/gates
        cat > "docs/qa/gates/$story-story.yml" <<EOF
        schema: 1
        story: '$story'
        story_title: 'Story $story'
        gate: $gate
        status_reason: 'Review $n of story $story.'
        reviewer: 'scripted qa'
        updated: '2026-12-02T00:00:0${n}Z'
        waiver: { active: false }
        top_issues: $issues
        quality_score: $score
        EOF
        echo "BMADFLOW-ARTIFACT: docs/qa/gates/$story-story.yml"
        echo "QA gate $gate for story $story (review $n)"
        """.formatted(failures));
    script.toFile().setExecutable(true);
    return AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_COMMAND_QA", script.toString(),
        "BMADFLOW_AGENT_TIMEOUT_SECONDS", "30"), new BuiltInAgentRunner(Duration.ZERO));
  }

  private static GateRecord storyGate(ProjectSnapshot state, String story) {
    return state.gates().stream()
        .filter(g -> g.kind().equals(GateResult.QA_GATE) && g.gateId().endsWith("#" + story))
        .reduce((first, last) -> last)
        .orElseThrow(() -> new AssertionError("no QA gate for story " + story + " in " + state.gates()));
  }

  /** How many times a step ran (its skipped records not counted). */
  private static long steps(ProjectSnapshot state, String label, String story) {
    return state.steps().stream().filter(s -> s.label().equals(label) && story.equals(s.storyId())
        && StepRecord.COMPLETED.equals(s.outcome())).count();
  }
}
