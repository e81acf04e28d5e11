package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.ValidationCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bundled spec-flow definition: the seed's six custom agents, played by the built-in agents,
 * take a project to completion; its checkpoints hold their states under
 * {@code agent-states-snapshot/custom-agents/}, and a cold recovery and in-place ones (selective,
 * warm) restore them from there.
 */
class SpecFlowTest {
  private static final List<String> ROLES = AgentState.CUSTOM_AGENTS;

  @TempDir static Path dataDir;
  static StackFixture fixture;

  @BeforeAll
  static void stack() throws Exception {
    fixture = new StackFixture(dataDir);
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void theSpecFlowRunsToCompletionAndAColdRecoveryRestoresTheCustomAgents() throws Exception {
    String project = "spec-cold";
    try (BmadflowWorker worker = fixture.worker("spec", 0)) {
      fixture.client.start(project, DefinitionLoader.load("spec-flow").definition(), null);
      ProjectSnapshot end = fixture.await(project).finalState();
      assertEquals("complete", end.phase());
      assertEquals("spec-flow", end.definitionId());
      assertEquals(end.stepsPlanned(), end.stepsCompleted());
      for (String role : ROLES) {
        AgentState agent = end.agents().get(role);
        assertNotNull(agent, role + " has no state");
        assertEquals("custom", agent.kind(), role);
        assertTrue(agent.tasksCompleted() >= 1, role + " did no task");
      }
      for (String path : List.of("docs/spec-plan.md", "docs/spec/tasks.yaml", "src/api/projects.ts", "src/web/ProjectList.tsx",
          "tests/acceptance/T1.test.ts", "docs/test-report.md", "docs/review-report.md", "docs/validation-report.md")) {
        assertTrue(end.artifacts().containsKey(path), path + " missing: " + end.artifacts().keySet());
      }
      Path ws = fixture.workspaces.resolve(project);
      assertTrue(Files.readString(ws.resolve("docs/spec-plan.md")).contains("| T1: projects API | backend-developer | 3 | - |"));
      assertTrue(Files.readString(ws.resolve("docs/validation-report.md")).contains("Readiness: READY"));

      // Every role's state is in some checkpoint's custom-agents folder, as the workflow held it then.
      List<CheckpointSummary> checkpoints = fixture.store.list(project);
      assertTrue(checkpoints.size() >= 2, checkpoints.toString());
      Map<String, Integer> seen = new TreeMap<>();
      for (CheckpointSummary summary : checkpoints) {
        StoredCheckpoint cp = fixture.store.open(project, summary.checkpointId());
        for (AgentState agent : cp.state().agents().values()) {
          String path = ("custom".equals(agent.kind()) ? PackagePaths.CUSTOM_AGENTS : PackagePaths.BMAD_AGENTS) + agent.agent() + ".json";
          assertTrue(cp.holds(path), summary.checkpointId() + " lacks " + path);
          assertEquals(agent, PackageJson.read(cp.readFile(path), AgentState.class), path);
          seen.merge(agent.agent(), 1, Integer::sum);
        }
        assertTrue(cp.metadata().integrityValidation().files().stream()
            .noneMatch(f -> f.path().startsWith(PackagePaths.BMAD_AGENTS) && ROLES.stream().anyMatch(r -> f.path().contains(r))),
            "a custom agent under bmad-agents/ in " + summary.checkpointId());
      }
      assertTrue(seen.keySet().containsAll(ROLES), "roles captured: " + seen);
      StoredCheckpoint newest = fixture.store.open(project, checkpoints.get(checkpoints.size() - 1).checkpointId());
      for (String role : ROLES) {
        assertTrue(newest.holds(PackagePaths.CUSTOM_AGENTS + role + ".json"), role + " not in the newest checkpoint");
      }

      // Cold: the project restarted from the newest checkpoint, its agents from that package's files.
      Files.delete(ws.resolve("src/api/projects.ts"));
      StackFixture.CliResult cold = fixture.cli("recover", "--project", project, "--strategy", "cold", "--reason", "lost");
      assertEquals(0, cold.code(), cold.out() + cold.err());
      assertTrue(cold.out().contains("Strategy: cold"), cold.out());
      assertTrue(cold.out().contains("| " + ValidationCheck.AGENT_STATES + " | pass |"), cold.out());
      ProjectSnapshot again = fixture.await(project).finalState();
      assertEquals("complete", again.phase());
      Map<String, AgentState> restored = newest.agentStates();
      for (String role : ROLES) {
        AgentState after = again.agents().get(role);
        assertEquals("custom", after.kind(), role);
        assertTrue(after.tasksCompleted() >= restored.get(role).tasksCompleted(), role);
        assertTrue(after.artifacts().containsAll(restored.get(role).artifacts()), role);
      }
      assertTrue(Files.isRegularFile(ws.resolve("src/api/projects.ts")), "the backend developer's file is back");
    }
  }

  @Test
  void selectiveAndWarmRecoveriesRestoreTheCustomAgentsOfARunningSpecFlow() throws Exception {
    String project = "spec-warm";
    try (BmadflowWorker worker = fixture.worker("spec-slow", 300)) {
      fixture.client.start(project, DefinitionLoader.load("spec-flow").definition(), null);
      fixture.awaitState(project, s -> s.agents().containsKey("backend-developer")
          && s.agents().get("backend-developer").tasksCompleted() >= 1);
      fixture.client.pause(project, "test");
      fixture.awaitState(project, ProjectSnapshot::paused);
      String manualId = fixture.client.createCheckpoint(project, new ManualCheckpoint("user", "before restores", "test"))
          .checkpointId();
      StoredCheckpoint manual = fixture.store.open(project, manualId);
      assertTrue(manual.holds(PackagePaths.CUSTOM_AGENTS + "spec-planner.json"));
      assertTrue(manual.holds(PackagePaths.CUSTOM_AGENTS + "backend-developer.json"));

      StackFixture.CliResult selective = fixture.cli("recover", "--project", project, "--strategy", "selective",
          "--components", "agent:spec-planner,agent:backend-developer");
      assertEquals(0, selective.code(), selective.out() + selective.err());
      assertTrue(selective.out().contains("| agent:spec-planner | pass |"), selective.out());
      assertTrue(selective.out().contains("| agent:backend-developer | pass |"), selective.out());

      StackFixture.CliResult warm = fixture.cli("recover", "--project", project, "--strategy", "warm");
      assertEquals(0, warm.code(), warm.out() + warm.err());
      assertTrue(warm.out().contains("| " + ValidationCheck.AGENT_STATES + " | pass |"), warm.out());
      StackFixture.CliResult progressive = fixture.cli("recover", "--project", project, "--strategy", "progressive", "--json");
      assertEquals(0, progressive.code(), progressive.out() + progressive.err());
      RecoveryReport report = PackageJson.read(progressive.out().getBytes(java.nio.charset.StandardCharsets.UTF_8),
          RecoveryReport.class);
      List<String> checks = report.checks().stream().filter(ValidationCheck::passed).map(ValidationCheck::name).toList();
      assertTrue(checks.containsAll(List.of("agent:spec-planner", "agent:backend-developer")), checks.toString());
      // The recoveries leave an operator's pause in place; the operator lets the project go on.
      if (fixture.client.status(project).paused()) {
        fixture.client.resume(project, "restores checked");
      }
      ProjectSnapshot end = fixture.await(project).finalState();
      assertEquals("complete", end.phase());
      for (String role : ROLES) {
        assertEquals("custom", end.agents().get(role).kind(), role);
      }
      assertEquals(manual.agentStates().get("spec-planner").artifacts(), end.agents().get("spec-planner").artifacts());
    }
  }

  @Test
  void commandAgentsPlayTheSixRolesAndTheirStatesAreCheckpointedAsCustomAgents() throws Exception {
    String project = "spec-command";
    Path script = dataDir.resolve("spec-agent.sh");
    Files.writeString(script, """
        #!/bin/sh
        set -e
        mkdir -p docs/spec-work
        out="docs/spec-work/$BMADFLOW_AGENT.md"
        { echo "# $BMADFLOW_AGENT"; echo; echo "Phase: $BMADFLOW_PHASE, creates: $BMADFLOW_CREATES"; cat; } > "$out"
        echo "BMADFLOW-ARTIFACT: $out"
        if [ -n "$BMADFLOW_CREATES" ]; then cp "$out" "docs/$BMADFLOW_CREATES"; echo "BMADFLOW-ARTIFACT: docs/$BMADFLOW_CREATES"; fi
        if [ "$BMADFLOW_AGENT" = "spec-reviewer" ]; then echo "BMADFLOW-GATE: spec-review PASS 88"; fi
        echo "scripted $BMADFLOW_AGENT done"
        """);
    script.toFile().setExecutable(true);
    java.util.Map<String, String> env = new java.util.TreeMap<>();
    for (String role : ROLES) {
      env.put("BMADFLOW_AGENT_COMMAND_" + role.toUpperCase(java.util.Locale.ROOT).replace('-', '_'), script.toString());
    }
    env.put("BMADFLOW_AGENT_TIMEOUT_SECONDS", "30");
    io.bmadflow.activities.agents.AgentRunner roster = io.bmadflow.activities.agents.AgentRoster.fromEnvironment(env,
        new io.bmadflow.activities.agents.BuiltInAgentRunner(java.time.Duration.ZERO));
    try (BmadflowWorker worker = fixture.worker("spec-command", roster)) {
      fixture.client.start(project, DefinitionLoader.load("spec-flow").definition(), null);
      ProjectSnapshot end = fixture.await(project).finalState();
      assertEquals("complete", end.phase());
      assertEquals(end.stepsPlanned(), end.stepsCompleted());
      for (String role : ROLES) {
        AgentState agent = end.agents().get(role);
        assertEquals("custom", agent.kind(), role);
        assertEquals("scripted " + role + " done", agent.lastSummary(), role);
        assertTrue(agent.artifacts().contains("docs/spec-work/" + role + ".md"), role + ": " + agent.artifacts());
      }
      var review = end.gates().stream().filter(g -> g.kind().equals("spec-review")).findFirst().orElseThrow(
          () -> new AssertionError("no spec-review gate: " + end.gates()));
      assertEquals("spec-reviewer", review.agent());
      assertEquals(88, review.score());
      assertTrue(end.agents().get("spec-reviewer").qualityContributions().contains(review.gateId() + ": PASS"),
          end.agents().get("spec-reviewer").qualityContributions().toString());
      List<CheckpointSummary> checkpoints = fixture.store.list(project);
      StoredCheckpoint newest = fixture.store.open(project, checkpoints.get(checkpoints.size() - 1).checkpointId());
      for (String role : ROLES) {
        AgentState stored = newest.agentStates().get(role);
        assertNotNull(stored, role + " not in " + newest.checkpointId());
        assertTrue(stored.artifacts().contains("docs/spec-work/" + role + ".md"), role);
      }
    }
  }
}
