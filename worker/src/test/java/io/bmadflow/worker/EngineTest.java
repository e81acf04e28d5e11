package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.agents.AgentRunner;
import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.gates.GateRecord;
import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.gates.GateVerdict;
import io.bmadflow.workflows.phase.PhaseWorkflowImpl;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectWorkflow;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.StepRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The BMAD engine's operator surface and gates, end to end on the test server. */
class EngineTest {
  @TempDir static Path dataDir;
  static StackFixture fixture;

  /** The built-in agents, except that QA fails story 1.1 every time (a stubborn defect). */
  static final AgentRunner QA_FAILS_STORY_1_1 = new AgentRunner() {
    final BuiltInAgentRunner builtIn = new BuiltInAgentRunner(Duration.ofMillis(20));

    @Override
    public AgentStepResult run(io.bmadflow.workflows.agents.AgentStepRequest request, io.bmadflow.activities.Workspace workspace, Runnable progress) {
      AgentStepResult result = builtIn.run(request, workspace, progress);
      if ("review_implementation".equals(request.action()) && "1.1".equals(request.storyId())) {
        return new AgentStepResult(result.agent(), result.artifacts(), result.stories(), java.util.Map.of(),
            "QA gate FAIL for story 1.1", null, new GateResult(GateResult.QA_GATE, "FAIL", 40, List.of("AC2 has no test")),
            List.of(), List.of());
      }
      return result;
    }
  };

  @BeforeAll
  static void start() throws Exception {
    fixture = new StackFixture(dataDir);
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void anAgentNoWorkerServesIsRefusedAtStartNamingTheServedOnes() throws Exception {
    Path definition = dataDir.resolve("expansion.yaml");
    java.nio.file.Files.writeString(definition, """
        workflow:
          id: game-dev
          sequence:
            - agent: analyst
              creates: project-brief.md
            - agent: game-designer
              creates: game-design-doc.md
        """);
    try (BmadflowWorker worker = fixture.worker("roster", 0)) {
      var start = fixture.cli("start", "--project", "expansion", "--definition", definition.toString());
      assertEquals(1, start.code(), start.out());
      assertTrue(start.err().contains("no worker serves the agent(s) game-designer"), start.err());
      assertTrue(start.err().contains("served: analyst, architect, backend-developer"), start.err());
      assertTrue(fixture.store.list("expansion").isEmpty(), "nothing ran");
    }
  }

  @Test
  void aFailingCommandAgentIsRetriedThenFailsClearly() throws Exception {
    Path script = dataDir.resolve("failing-analyst.sh");
    Path attempts = dataDir.resolve("analyst-attempts");
    java.nio.file.Files.writeString(script, "#!/bin/sh\necho run >> " + attempts + "\necho 'model quota exceeded' >&2\nexit 3\n");
    script.toFile().setExecutable(true);
    AgentRunner roster = io.bmadflow.activities.agents.AgentRoster.fromEnvironment(
        java.util.Map.of("BMADFLOW_AGENT_COMMAND_ANALYST", script.toString(), "BMADFLOW_AGENT_TIMEOUT_SECONDS", "20"),
        new BuiltInAgentRunner(Duration.ZERO));
    try (BmadflowWorker worker = fixture.worker("commands", roster)) {
      fixture.client.start(new ProjectRequest("failing-command", DefinitionLoader.load(DefinitionLoader.DEFAULT).definition(),
          null, 0, null, 0, 2, null));
      var failure = org.junit.jupiter.api.Assertions.assertThrows(io.temporal.client.WorkflowFailedException.class,
          () -> fixture.await("failing-command"));
      String message = ((io.temporal.failure.ApplicationFailure) failure.getCause()).getOriginalMessage();
      assertTrue(message.contains("phase analysis failed"), message);
      assertTrue(message.contains("agent analyst: the command"), message);
      assertTrue(message.contains("failed with exit code 3"), message);
      assertTrue(message.contains("model quota exceeded"), message);
      assertEquals(2, java.nio.file.Files.readAllLines(attempts).size(), "retried once, then failed");
      var status = fixture.cli("status", "--project", "failing-command");
      assertTrue(status.out().contains("status:     FAILED"), status.out());
    }
  }

  /** The bundled BMAD flows (spec-flow, the custom agents' flow, has its own test: SpecFlowTest). */
  private static final java.util.List<String> BMAD_FLOWS =
      DefinitionLoader.BUNDLED.stream().filter(n -> !n.equals("spec-flow")).toList();

  @Test
  void theThreeBundledDefinitionsRunToCompletion() throws Exception {
    try (BmadflowWorker worker = fixture.worker("definitions", 0)) {
      for (String name : BMAD_FLOWS) {
        fixture.client.start("def-" + name, DefinitionLoader.load(name).definition(), null);
      }
      for (String name : BMAD_FLOWS) {
        ProjectSnapshot end = fixture.await("def-" + name).finalState();
        assertEquals("complete", end.phase(), name);
        assertEquals(name, end.definitionId());
        assertEquals(end.stepsPlanned(), end.stepsCompleted(), name);
        assertTrue(end.artifacts().containsKey("docs/prd.md"), name);
        assertTrue(end.artifacts().containsKey("docs/deployment-plan.md"), name);
        assertTrue(end.gates().stream().anyMatch(g -> g.kind().equals(GateResult.PO_CHECKLIST) && g.verdict() == GateVerdict.PASS), name);
        assertEquals(3, end.gates().stream().filter(g -> g.kind().equals(GateResult.QA_GATE)).count(), name + ": one QA gate per story");
        assertTrue(fixture.store.list("def-" + name).size() >= 4, name);
      }
    }
  }

  @Test
  void aFailingGateLoopsThenEscalatesAndAnOperatorReleasesIt() throws Exception {
    try (BmadflowWorker worker = fixture.worker("gates", QA_FAILS_STORY_1_1)) {
      fixture.start("gate-loop", null);
      ProjectSnapshot waiting = fixture.awaitState("gate-loop", s -> s.pendingGate() != null);
      GateRecord pending = waiting.pendingGate();
      assertEquals(GateResult.QA_GATE, pending.kind());
      assertEquals(PhaseWorkflowImpl.MAX_IMPROVEMENT_LOOPS + 1, pending.attempts());
      long fixes = waiting.steps().stream().filter(s -> s.label().equals("dev: address_qa_feedback") && "1.1".equals(s.storyId())).count();
      assertEquals(PhaseWorkflowImpl.MAX_IMPROVEMENT_LOOPS, fixes, "one fix per improvement loop");
      var status = fixture.cli("status", "--project", "gate-loop");
      assertTrue(status.out().contains("waiting:    gate " + pending.gateId()), status.out());
      var wrongGate = fixture.cli("gate", "approve", "--project", "gate-loop", "--gate", "99", "--reason", "x");
      assertEquals(1, wrongGate.code());
      assertTrue(wrongGate.err().contains("is not waiting"), wrongGate.err());

      var approve = fixture.cli("gate", "waive", "--project", "gate-loop", "--reason", "accepted for the demo");
      assertEquals(0, approve.code(), approve.err());
      ProjectSnapshot end = fixture.await("gate-loop").finalState();
      GateRecord decided = end.gates().stream().filter(g -> g.gateId().equals(pending.gateId())).findFirst().orElseThrow();
      assertEquals(GateVerdict.WAIVED, decided.verdict());
      assertEquals("operator", decided.decidedBy());
      assertTrue(decided.note().contains("accepted for the demo"));
      assertTrue(end.gates().stream().anyMatch(g -> g.kind().equals(GateResult.PO_CHECKLIST) && g.verdict() == GateVerdict.PASS));
      assertEquals(null, end.pendingGate());
      assertTrue(end.agents().get("qa").qualityContributions().contains(pending.gateId() + ": WAIVED"));
    }
  }

  @Test
  void aPauseInTheRunsFirstWorkflowTaskHoldsTheProjectBeforeItsFirstStep() throws Exception {
    // Signal-with-start puts the signal in the run's first workflow task, where its handler runs
    // before the main method has built the state (as `start` then an immediate `pause` can on a
    // real server, or a reset that reapplies signals): it must wait for the state, not fail the
    // workflow task on every retry.
    try (BmadflowWorker worker = fixture.worker("early", 100)) {
      io.temporal.client.WorkflowClient temporal = fixture.temporal.client();
      ProjectWorkflow stub = temporal.newWorkflowStub(ProjectWorkflow.class, io.temporal.client.WorkflowOptions.newBuilder()
          .setWorkflowId(io.bmadflow.workflows.ProjectIds.workflowId("early-pause"))
          .setTaskQueue(io.bmadflow.workflows.TaskQueues.ORCHESTRATION).build());
      io.temporal.client.BatchRequest batch = temporal.newSignalWithStartRequest();
      batch.add(stub::run, new ProjectRequest("early-pause", DefinitionLoader.load(DefinitionLoader.DEFAULT).definition(), null));
      batch.add(stub::pause, "held from the start");
      temporal.signalWithStart(batch);
      ProjectSnapshot paused = fixture.awaitState("early-pause", ProjectSnapshot::paused);
      Thread.sleep(1500);
      assertEquals(0, fixture.client.state("early-pause").stepsCompleted(), "no step starts while paused");
      assertEquals("held from the start", paused.pauseReason());
      assertEquals(0, fixture.cli("resume", "--project", "early-pause").code());
      ProjectSnapshot end = fixture.await("early-pause").finalState();
      assertTrue(end.stepsCompleted() > 0 && !end.paused(), "resumed and ran to the end");
    }
  }

  @Test
  void operatorsPauseResumeAndRecordDecisionsAndRisks() throws Exception {
    try (BmadflowWorker worker = fixture.worker("operator", 150)) {
      fixture.start("operated", null);
      fixture.awaitState("operated", s -> s.stepsCompleted() >= 2);
      assertEquals(0, fixture.cli("pause", "--project", "operated", "--reason", "lunch").code());
      ProjectSnapshot paused = fixture.awaitState("operated", ProjectSnapshot::paused);
      Thread.sleep(1500);
      int before = fixture.client.state("operated").stepsCompleted();
      Thread.sleep(1000);
      assertEquals(before, fixture.client.state("operated").stepsCompleted(), "no step starts while paused");
      assertTrue(fixture.cli("status", "--project", "operated").out().contains("paused:     yes"));

      var decision = fixture.cli("decision", "add", "--project", "operated", "--title", "Use PostgreSQL 17", "--critical");
      assertEquals(0, decision.code(), "out: " + decision.out() + " err: " + decision.err());
      var risk = fixture.cli("risk", "add", "--project", "operated", "--title", "Vendor lock-in", "--probability", "4", "--impact", "5");
      assertEquals(0, risk.code(), risk.err());
      assertTrue(risk.out().contains("score 20"), risk.out());
      assertEquals(2, fixture.cli("risk", "add", "--project", "operated", "--title", "x", "--probability", "9", "--impact", "1").code());
      assertEquals(1, fixture.cli("decision", "add", "--project", "operated", "--title", " ").code(), "refused by the update validator");

      assertEquals(0, fixture.cli("resume", "--project", "operated").code());
      ProjectSnapshot end = fixture.await("operated").finalState();
      assertTrue(end.decisions().stream().anyMatch(d -> d.title().equals("Use PostgreSQL 17") && d.critical() && d.madeBy() != null));
      assertTrue(end.decisions().stream().anyMatch(d -> d.madeBy().equals("architect") && d.critical()), "the architect's tech choice");
      assertTrue(end.risks().stream().anyMatch(r -> r.title().equals("Vendor lock-in") && r.score() == 20));
      assertEquals(List.of("D1", "D2"), end.decisions().stream().map(d -> d.id()).toList().subList(0, 2));
      assertTrue(!end.paused());
      assertNotNull(paused);
    }
  }

  @Test
  void longProjectsContinueAsNewCarryingTheirState() throws Exception {
    try (BmadflowWorker worker = fixture.worker("can", 0)) {
      fixture.client.start(new ProjectRequest("can-project", DefinitionLoader.load(DefinitionLoader.DEFAULT).definition(), null, 60, null, 0, 0, null));
      ProjectSnapshot end = fixture.await("can-project").finalState();
      assertTrue(end.runs() > 1, "continued as new: " + end.runs() + " runs");
      assertEquals("complete", end.phase());
      assertEquals(end.stepsPlanned(), end.stepsCompleted());
      assertEquals(5, end.checkpoints().stream().filter(c -> c.trigger().equals("phase_transition")).count());
      assertEquals(end.steps().size(), end.steps().stream().map(StepRecord::key).distinct().count());
    }
  }
}
