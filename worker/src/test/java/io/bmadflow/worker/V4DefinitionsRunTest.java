package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.StepRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BMAD v4's six workflow shapes run to completion with the built-in agents on the test server and
 * S3Proxy, started by the CLI from a file: bmadflow's own fixtures always, and BMAD-METHOD's own
 * files when {@code -Dbmadflow.v4.dir} names a directory holding them (they are not in this
 * repository). Closing the stack replays every history the runs made.
 */
class V4DefinitionsRunTest {
  static final List<String> FILES = List.of("greenfield-fullstack", "greenfield-service", "greenfield-ui",
      "brownfield-fullstack", "brownfield-service", "brownfield-ui");
  static final Path FIXTURES = Path.of("../infra/src/test/resources/io/bmadflow/definitions/v4");

  @TempDir static Path dataDir;
  static StackFixture fixture;
  static BmadflowWorker worker;

  @BeforeAll
  static void startStack() throws Exception {
    fixture = new StackFixture(dataDir);
    worker = fixture.worker("v4-worker", new FlagSettingAgents());
  }

  /**
   * The built-in agents, and for projects named {@code flags-*} an analyst that answers BMAD's
   * questions the way a user would: this enhancement is a single story, the user wants an AI UI
   * prompt and generated a UI, and wants technical research first.
   */
  static final class FlagSettingAgents implements io.bmadflow.activities.agents.AgentRunner {
    private final io.bmadflow.activities.agents.BuiltInAgentRunner builtIn =
        new io.bmadflow.activities.agents.BuiltInAgentRunner(java.time.Duration.ZERO);

    @Override
    public io.bmadflow.workflows.agents.AgentStepResult run(io.bmadflow.workflows.agents.AgentStepRequest request,
        io.bmadflow.activities.Workspace workspace, Runnable progress) {
      var result = builtIn.run(request, workspace, progress);
      if (!request.projectId().startsWith("flags-") || !"analyst".equals(request.agent()) || request.stepIndex() != 0) {
        return result;
      }
      java.util.Map<String, Boolean> flags = new java.util.TreeMap<>(result.flags());
      flags.put("single_story", true);
      flags.put("user_wants_ai_generation", true);
      flags.put("user_has_generated_ui", true);
      flags.put("technical_research_prompt", true);
      return new io.bmadflow.workflows.agents.AgentStepResult(result.agent(), result.artifacts(), result.stories(), flags,
          result.summary(), result.executedBy(), result.gate(), result.decisions(), result.risks());
    }
  }

  @AfterAll
  static void stop() {
    worker.close();
    fixture.close();
  }

  @Test
  void theV4FixturesRunToCompletion() throws Exception {
    runAll(FIXTURES, "fx");
  }

  @Test
  void bmadsOwnV4FilesRunToCompletionWhenGiven() throws Exception {
    String dir = System.getProperty("bmadflow.v4.dir");
    Assumptions.assumeTrue(dir != null,
        "set -Dbmadflow.v4.dir to a directory holding BMAD-METHOD's six v4 workflow files to run them too");
    runAll(Path.of(dir), "real");
  }

  @Test
  void stateFlagsChooseTheRouteAndTurnOnGuidanceConditionsAndOptionalSteps() throws Exception {
    for (String file : List.of("brownfield-fullstack", "greenfield-fullstack")) {
      var started = fixture.cli("start", "--project", "flags-" + file, "--definition",
          FIXTURES.resolve(file + ".yaml").toAbsolutePath().toString());
      assertEquals(0, started.code(), started.err());
    }
    ProjectSnapshot brownfield = fixture.await("flags-brownfield-fullstack").finalState();
    assertEquals(ProjectSnapshot.COMPLETE, brownfield.phase());
    StepRecord routing = brownfield.steps().get(1);
    assertEquals("pm", routing.agent(), "the single_story route's agent ran");
    assertEquals(DefinitionStep.AGENT, routing.kind());
    assertEquals("route single_story (its flag is set): updated docs/brownfield-create-story.md using brownfield-create-story",
        routing.detail());
    assertTrue(Files.isRegularFile(fixture.workspaces.resolve("flags-brownfield-fullstack/docs/brownfield-create-story.md")));
    assertEquals(Boolean.TRUE, brownfield.flags().get("single_story_path"));
    assertEquals(null, brownfield.flags().get("major_enhancement_path"));
    StepRecord check = brownfield.steps().get(2);
    assertEquals(StepRecord.SKIPPED, check.outcome(), "the major-enhancement path is not taken");
    assertEquals("condition 'major_enhancement_path' is false", check.detail());

    ProjectSnapshot greenfield = fixture.await("flags-greenfield-fullstack").finalState();
    assertEquals(ProjectSnapshot.COMPLETE, greenfield.phase());
    Path workspace = fixture.workspaces.resolve("flags-greenfield-fullstack");
    StepRecord setup = greenfield.steps().stream()
        .filter(s -> s.label().startsWith("project_setup_guidance")).findFirst().orElseThrow();
    assertEquals(StepRecord.COMPLETED, setup.outcome());
    assertEquals(null, setup.agent());
    assertTrue(setup.detail().startsWith("guidance (no agent runs): guide_project_structure: Where a generated UI goes"),
        setup.detail());
    StepRecord v0 = greenfield.steps().get(3);
    assertEquals(StepRecord.COMPLETED, v0.outcome());
    assertTrue(Files.isRegularFile(workspace.resolve("docs/v0_prompt.md")), "the remark is not part of the name");
    StepRecord architecture = greenfield.steps().get(4);
    assertTrue(architecture.detail().contains("optional steps run: technical_research_prompt; not turned on (no state flag):"
        + " review_generated_ui_structure"), architecture.detail());
    assertTrue(Files.readString(workspace.resolve("docs/technical_research_prompt.md")).contains("## Optional step"));
    var status = fixture.cli("status", "--project", "flags-greenfield-fullstack");
    assertTrue(status.out().contains("guidance:   solutioning project_setup_guidance: guide_project_structure [completed]"),
        status.out());
  }

  /** Starts the six projects together, then checks each one's run. */
  private void runAll(Path dir, String prefix) throws Exception {
    List<String> projects = new ArrayList<>();
    for (String file : FILES) {
      String project = prefix + "-" + file;
      Path definition = dir.resolve(file + ".yaml").toAbsolutePath();
      assertTrue(Files.isRegularFile(definition), definition.toString());
      var started = fixture.cli("start", "--project", project, "--definition", definition.toString());
      assertEquals(0, started.code(), started.err());
      assertTrue(!started.err().contains("does not model"), "every key is modelled: " + started.err());
      projects.add(project);
    }
    for (int i = 0; i < FILES.size(); i++) {
      check(FILES.get(i), projects.get(i));
    }
    String recordTo = System.getProperty("bmadflow.recordHistories");
    if (recordTo != null && "fx".equals(prefix)) {
      record("fx-brownfield-fullstack", Path.of(recordTo));
    }
  }

  /**
   * Writes a project's histories and its phases' to {@code dir} as {@code v4-shapes-<file>*.json},
   * for RecordedHistoriesTest: a routing step, guidance steps skipped and completed, named agent steps.
   */
  private static void record(String project, Path dir) throws Exception {
    ProjectSnapshot done = fixture.await(project).finalState();
    List<String> workflowIds = new ArrayList<>(List.of(io.bmadflow.workflows.ProjectIds.workflowId(project)));
    done.phases().forEach(phase -> workflowIds.add(io.bmadflow.workflows.ProjectIds.phaseWorkflowId(project, phase)));
    for (String workflowId : workflowIds) {
      String name = workflowId.replace(io.bmadflow.workflows.ProjectIds.workflowId(project), "v4-shapes-" + project.substring(3));
      Files.writeString(dir.resolve(name + ".json"), fixture.temporal.client().fetchHistory(workflowId).toJson(true));
    }
  }

  private void check(String file, String project) throws Exception {
    ProjectSnapshot done = fixture.await(project).finalState();
    assertEquals(ProjectSnapshot.COMPLETE, done.phase(), project);
    assertEquals(done.stepsPlanned(), done.stepsCompleted(), project);
    assertEquals(List.of("1.1", "1.2", "2.1"), done.stories(), project);
    Path workspace = fixture.workspaces.resolve(project);
    assertTrue(Files.readString(workspace.resolve("docs/stories/2.1.story.md")).contains("## Status\nDone"), project);
    assertTrue(Files.isRegularFile(workspace.resolve("docs/qa/gates/2-1-gate.yml")), project);
    assertTrue(Files.isRegularFile(workspace.resolve("docs/prd.md")), project);

    List<StepRecord> steps = done.steps();
    StepRecord end = steps.get(steps.size() - 1);
    assertEquals("workflow_end: project_complete", end.label(), project);
    assertEquals(StepRecord.COMPLETED, end.outcome(), project);
    assertEquals(DefinitionStep.GUIDANCE, end.kind(), project);
    assertTrue(end.detail().startsWith("guidance (no agent runs): project_complete: "), end.detail());
    assertEquals(3, steps.stream().filter(s -> s.label().startsWith("dev: implement_story")).count(),
        project + ": the story loop ran once per story");
    assertEquals(1, steps.stream().filter(s -> s.label().startsWith("repeat_development_cycle")
        && DefinitionStep.GUIDANCE.equals(s.kind())).count(), project + ": the loop's end marker, once, after it");
    // A conditional step whose flag no agent sets is skipped, guidance or agent step alike.
    assertTrue(steps.stream().anyMatch(s -> "various".equals(labelAgent(s)) && StepRecord.SKIPPED.equals(s.outcome())
        && s.detail().contains("po_checklist_issues")), project);
    assertTrue(steps.stream().allMatch(s -> s.kind() != null), project + ": every record has a kind");

    if (file.startsWith("greenfield-fullstack") || file.startsWith("greenfield-ui")) {
      StepRecord setup = steps.stream().filter(s -> s.label().startsWith("project_setup_guidance")).findFirst().orElseThrow();
      assertEquals(StepRecord.SKIPPED, setup.outcome(), project);
      assertEquals(DefinitionStep.GUIDANCE, setup.kind(), project);
      assertEquals("condition 'user_has_generated_ui' is false", setup.detail(), project);
      StepRecord brief = steps.get(0);
      assertTrue(brief.detail().contains("not turned on (no state flag): brainstorming_session, market_research_prompt"),
          brief.detail());
    }
    if (file.startsWith("greenfield-fullstack")) {
      StepRecord order = steps.stream().filter(s -> s.label().startsWith("development_order_guidance")).findFirst().orElseThrow();
      assertEquals(StepRecord.COMPLETED, order.outcome(), project);
      assertEquals(null, order.agent(), project);
    }
    if (file.startsWith("brownfield-fullstack")) {
      StepRecord classify = steps.get(0);
      assertEquals("analyst", classify.agent(), project + ": a named step with an agent runs it");
      assertEquals(DefinitionStep.AGENT, classify.kind(), project);
      StepRecord routing = steps.get(1);
      assertTrue(routing.detail().startsWith("route major_enhancement (the default"), routing.detail());
      assertEquals(Boolean.TRUE, done.flags().get("major_enhancement_path"), project);
      StepRecord check = steps.get(2);
      assertEquals("analyst", check.agent(), project + ": the major-enhancement path's documentation check ran");
      assertEquals(StepRecord.COMPLETED, check.outcome(), project);
    }
    if (file.startsWith("brownfield")) {
      assertTrue(steps.stream().anyMatch(s -> "pm".equals(s.agent()) && s.detail().contains("using brownfield-prd-tmpl")),
          project + ": uses reaches the agent");
    }

    // The step log, guidance steps included, is in the checkpoints and in `status`.
    List<CheckpointSummary> checkpoints = fixture.store.list(project);
    String last = checkpoints.get(checkpoints.size() - 1).checkpointId();
    String progress = new String(fixture.store.readFile(project, last, PackagePaths.PROGRESS), StandardCharsets.UTF_8);
    assertTrue(progress.contains("\"kind\" : \"guidance\"") && progress.contains("workflow_end: project_complete"),
        project + ": " + progress.substring(0, Math.min(400, progress.length())));
    var status = fixture.cli("status", "--project", project);
    assertEquals(0, status.code(), status.err());
    assertTrue(status.out().contains("guidance:   implementation workflow_end: project_complete [completed]: guidance"),
        status.out());
  }

  private static String labelAgent(StepRecord record) {
    return record.label().split(":")[0];
  }

}
