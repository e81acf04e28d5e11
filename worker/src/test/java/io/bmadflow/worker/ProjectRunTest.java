package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.ProjectWorkflow;
import io.bmadflow.workflows.project.ProjectWorkflowImpl;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.phase.PhaseWorkflowImpl;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.testing.WorkflowReplayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/** A project end to end on the real test server and S3Proxy, through the client API and the CLI. */
class ProjectRunTest {
  @TempDir static Path dataDir;
  static StackFixture fixture;
  static BmadflowWorker worker;
  static ProjectSnapshot finished;

  @BeforeAll
  static void runProject() throws Exception {
    fixture = new StackFixture(dataDir);
    worker = fixture.worker("test-worker", 0);
    assertEquals(0, fixture.cli("start", "--project", "run-ok").code());
    finished = fixture.await("run-ok").finalState();
  }

  @AfterAll
  static void stop() {
    worker.close();
    fixture.close();
  }

  @Test
  void aProjectRunsToCompletionWithVerifiedCheckpointsAtEachPhaseTransition() throws Exception {
    assertEquals(ProjectSnapshot.COMPLETE, finished.phase());
    assertEquals(List.of("analysis", "planning", "solutioning", "implementation", "deployment"), finished.phases());
    assertEquals(List.of("1.1", "1.2", "2.1"), finished.stories());
    assertEquals(finished.stepsPlanned(), finished.stepsCompleted());
    Path workspace = fixture.workspaces.resolve("run-ok");
    for (String doc : List.of("docs/project-brief.md", "docs/prd.md", "docs/fullstack-architecture.md",
        "docs/stories/2.1.story.md", "docs/qa/gates/2-1-gate.yml", "docs/deployment-plan.md")) {
      assertTrue(Files.isRegularFile(workspace.resolve(doc)), doc);
      assertTrue(finished.artifacts().containsKey(doc), doc);
    }
    assertTrue(Files.readString(workspace.resolve("docs/stories/2.1.story.md")).contains("## Status\nDone"));

    List<CheckpointSummary> checkpoints = fixture.store.list("run-ok");
    assertEquals(5, checkpoints.stream().filter(c -> c.triggerReason().equals("phase_transition")).count(), "one per phase");
    assertTrue(checkpoints.stream().anyMatch(c -> c.triggerReason().equals("critical_decision") || c.triggerReason().equals("quality_gate")
        || c.triggerReason().equals("team_handoff") || c.triggerReason().equals("progress")), "other triggers fired too");
    assertEquals(finished.checkpoints().stream().map(c -> c.checkpointId()).toList(),
        checkpoints.stream().map(CheckpointSummary::checkpointId).toList());
    for (int i = 0; i < checkpoints.size(); i++) {
      CheckpointMetadata m = fixture.store.metadata("run-ok", checkpoints.get(i).checkpointId());
      assertTrue(m.integrityValidation().validationStatus().equals("passed")
          || !m.checkpointMetadata().triggerReason().equals("phase_transition"), "phase transitions are consistent cuts");
      assertTrue(m.temporal().historyEventId() > 0);
      // Each checkpoint after the first is incremental to the one before it, except for the full
      // one that every BMADFLOW_FULL_CHECKPOINT_EVERY (10) incrementals force.
      String parent = m.storageMetadata().parentCheckpointId();
      if (i == 0) {
        assertEquals(null, parent);
      } else if (parent == null) {
        assertEquals(0, m.storageMetadata().incrementalDepth());
        assertEquals(10, fixture.store.metadata("run-ok", checkpoints.get(i - 1).checkpointId()).storageMetadata().incrementalDepth(),
            "a full checkpoint only after 10 incrementals");
      } else {
        assertEquals(checkpoints.get(i - 1).checkpointId(), parent);
      }
      assertTrue(m.storageMetadata().compressionRatio() < 1.0, "compressed: " + m.storageMetadata().compressionRatio());
      assertTrue(fixture.store.verify("run-ok", m.checkpointMetadata().checkpointId()).ok());
      var cli = fixture.cli("checkpoint", "verify", "--project", "run-ok", m.checkpointMetadata().checkpointId());
      assertEquals(0, cli.code(), cli.err());
    }
    CheckpointMetadata last = fixture.store.metadata("run-ok", checkpoints.get(checkpoints.size() - 1).checkpointId());
    assertEquals(1.0, last.stateSummary().workflowProgress());
    assertEquals(4, last.stateSummary().qualityGatesPassed(), "the PO checklist and three QA gates");
    assertEquals(1, last.stateSummary().criticalDecisions(), "the architect's technology choice");
    assertTrue(checkpoints.stream().map(c -> fixture.store.metadata("run-ok", c.checkpointId()).storageMetadata())
        .anyMatch(st -> st.parentCheckpointId() != null && st.bytesWritten() < st.storedBytes()), "incrementals write less than the whole");
    assertEquals(Files.readString(workspace.resolve("docs/prd.md")), new String(fixture.store.readFile("run-ok",
        last.checkpointMetadata().checkpointId(), "workspace/docs/prd.md"), java.nio.charset.StandardCharsets.UTF_8),
        "the package holds the workspace files");
    var list = fixture.cli("checkpoint", "list", "--project", "run-ok");
    assertEquals(0, list.code(), list.err());
    assertTrue(list.out().contains(last.checkpointMetadata().checkpointId()), list.out());
    var status = fixture.cli("status", "--project", "run-ok", "--json");
    assertEquals(0, status.code(), status.err());
    assertTrue(status.out().contains("\"status\" : \"COMPLETED\""), status.out());
    assertTrue(status.out().contains("\"phase\" : \"complete\""), status.out());
  }

  @Test
  void theRunReplaysDeterministicallyOnTheCurrentCode() throws Exception {
    List<String> workflowIds = new java.util.ArrayList<>(List.of(ProjectIds.workflowId("run-ok")));
    finished.phases().forEach(phase -> workflowIds.add(ProjectIds.phaseWorkflowId("run-ok", phase)));
    String recordTo = System.getProperty("bmadflow.recordHistories");
    for (String workflowId : workflowIds) {
      WorkflowExecutionHistory history = fixture.temporal.client().fetchHistory(workflowId);
      WorkflowReplayer.replayWorkflowExecution(history.toJson(false), ProjectWorkflowImpl.class, PhaseWorkflowImpl.class);
      if (recordTo != null) {
        // Refreshes src/test/resources/histories/ (see RecordedHistoriesTest).
        String name = workflowId.replace("bmadflow-project-run-ok", "greenfield-fullstack-v4") + ".json";
        Files.writeString(Path.of(recordTo).resolve(name), history.toJson(true));
      }
    }
  }

  @Test
  void checkpointShowDiffExportAndPruneWorkOnARealRun() throws Exception {
    List<CheckpointSummary> checkpoints = fixture.store.list("run-ok");
    String first = checkpoints.get(0).checkpointId();
    String last = checkpoints.get(checkpoints.size() - 1).checkpointId();

    var show = fixture.cli("checkpoint", "show", "--project", "run-ok", last);
    assertEquals(0, show.code(), show.err());
    assertTrue(show.out().contains("incremental (depth ") || show.out().contains("full checkpoint"), show.out());
    assertTrue(show.out().contains("workflow-state-snapshot.json"), show.out());
    assertTrue(show.out().contains("-days-") || show.out().contains("permanent-critical"), show.out());

    var diff = fixture.cli("checkpoint", "diff", "--project", "run-ok", first, last, "--json");
    assertEquals(0, diff.code(), diff.err());
    var tree = io.bmadflow.infra.json.PackageJson.mapper().readTree(diff.out());
    List<String> added = new java.util.ArrayList<>();
    tree.get("added").forEach(n -> added.add(n.asText()));
    List<String> changed = new java.util.ArrayList<>();
    tree.get("changed").forEach(n -> changed.add(n.asText()));
    List<String> sections = new java.util.ArrayList<>();
    tree.get("state_sections").forEach(n -> sections.add(n.asText()));
    assertTrue(added.contains("agent-states-snapshot/bmad-agents/qa.json"), "qa works only later: " + diff.out());
    assertTrue(changed.contains("workflow-state-snapshot.json"), diff.out());
    assertTrue(sections.containsAll(List.of("artifacts", "phase", "steps")), diff.out());

    Path exported = dataDir.resolve("export-" + last);
    var export = fixture.cli("checkpoint", "export", "--project", "run-ok", last, exported.toString());
    assertEquals(0, export.code(), export.err());
    Process sha256sum = new ProcessBuilder("sha256sum", "--strict", "-c", "manifest.sha256")
        .directory(exported.toFile()).redirectErrorStream(true).start();
    String checked = new String(sha256sum.getInputStream().readAllBytes());
    assertEquals(0, sha256sum.waitFor(), checked);
    assertTrue(checked.contains("workflow-state-snapshot.json: OK"), checked);
    assertTrue(Files.readString(exported.resolve("checkpoint-metadata.json")).contains(last));
    var notEmpty = fixture.cli("checkpoint", "export", "--project", "run-ok", last, exported.toString());
    assertEquals(2, notEmpty.code(), "export refuses a folder that is not empty");

    var prune = fixture.cli("checkpoint", "prune", "--project", "run-ok", "--dry-run");
    assertEquals(0, prune.code(), prune.err());
    assertTrue(prune.out().contains("would delete 0 checkpoints"), prune.out());
    assertTrue(prune.out().contains("the newest checkpoint is always kept"), prune.out());
    assertEquals(checkpoints.size(), fixture.store.list("run-ok").size());
  }

  @Test
  void checkpointVerifyFailsNamingTheAlteredFile() {
    String id = fixture.store.list("run-ok").stream().filter(c -> c.triggerReason().equals("phase_transition"))
        .toList().get(2).checkpointId();
    String key = PackagePaths.packagePrefix("", "run-ok", id) + PackagePaths.WORKFLOW_STATE;
    byte[] original = fixture.s3.getObjectAsBytes(b -> b.bucket(DevStack.BUCKET).key(key)).asByteArray();
    byte[] altered = original.clone();
    altered[altered.length / 2] ^= 1;
    fixture.s3.putObject(b -> b.bucket(DevStack.BUCKET).key(key), RequestBody.fromBytes(altered));
    try {
      var cli = fixture.cli("checkpoint", "verify", "--project", "run-ok", id);
      assertEquals(1, cli.code());
      assertTrue(cli.out().contains("FAIL workflow-state-snapshot.json: checkpoint " + id
          + ": workflow-state-snapshot.json sha256 mismatch"), cli.out());
      assertTrue(cli.err().contains("failed verification: workflow-state-snapshot.json"), cli.err());
    } finally {
      fixture.s3.putObject(b -> b.bucket(DevStack.BUCKET).key(key), RequestBody.fromBytes(original));
    }
    assertEquals(0, fixture.cli("checkpoint", "verify", "--project", "run-ok", id).code());
  }

  @Test
  void badProjectIdsAreRefusedBeforeAnythingIsWritten() {
    int openBefore = openWorkflows();
    int objectsBefore = fixture.s3.listObjectsV2(b -> b.bucket(DevStack.BUCKET)).keyCount();
    for (String bad : List.of("../x", "", "a".repeat(300), "my project")) {
      for (String[] args : List.of(
          new String[] {"start", "--project", bad},
          new String[] {"status", "--project", bad},
          new String[] {"checkpoint", "list", "--project", bad})) {
        var cli = fixture.cli(args);
        assertEquals(2, cli.code(), String.join(" ", args));
        assertTrue(cli.err().contains("--project: project id"), cli.err());
        assertTrue(cli.err().contains("a project id is 1-64 letters"), cli.err());
        assertTrue(!cli.err().contains("\tat "), "no stack trace: " + cli.err());
      }
    }
    assertEquals(openBefore, openWorkflows());
    assertEquals(objectsBefore, fixture.s3.listObjectsV2(b -> b.bucket(DevStack.BUCKET)).keyCount());
    assertTrue(Files.notExists(fixture.workspaces.resolve("x")));
  }

  @Test
  void expectedErrorsAreOneClearLine() {
    var missing = fixture.cli("status", "--project", "never-started");
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("project never-started has no workflow"), missing.err());
    var badId = fixture.cli("checkpoint", "verify", "--project", "run-ok", "cp-../../etc");
    assertEquals(2, badId.code());
    assertTrue(badId.err().contains("is not a checkpoint id"), badId.err());
    var badDefinition = fixture.cli("start", "--project", "p2", "--definition", "/nonexistent.yaml");
    assertEquals(1, badDefinition.code());
    assertTrue(badDefinition.err().contains("no file exists at /nonexistent.yaml"), badDefinition.err());
    var usage = fixture.cli("no-such-command");
    assertEquals(2, usage.code());
  }

  private static int openWorkflows() {
    return fixture.temporal.service().blockingStub().listOpenWorkflowExecutions(
        ListOpenWorkflowExecutionsRequest.newBuilder().setNamespace(DevStack.NAMESPACE).setMaximumPageSize(1000).build())
        .getExecutionsCount();
  }
}
