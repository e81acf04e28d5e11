package io.bmadflow.infra.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.project.ProjectSnapshot;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A checkpoint's agents are read from its {@code agent-states-snapshot/} files, the custom agents
 * from {@code custom-agents/}: what every recovery restores them from. A file in the wrong folder,
 * or naming another agent, makes the package corrupt.
 */
class StoredCheckpointAgentStatesTest {
  @TempDir static Path dataDir;
  static DevStack stack;
  static S3Client s3;
  static S3CheckpointStore store;

  @BeforeAll
  static void start() throws Exception {
    stack = DevStack.start(dataDir, 0, 0);
    s3 = stack.s3Settings().newClient();
    store = new S3CheckpointStore(s3, stack.s3Settings());
  }

  @AfterAll
  static void stop() {
    s3.close();
    stack.close();
  }

  private static AgentState worked(String agent, int tasks) {
    AgentState fresh = AgentState.fresh(agent);
    List<String> artifacts = new ArrayList<>();
    for (int i = 1; i <= tasks; i++) {
      artifacts.add("docs/" + agent + "-" + i + ".md");
    }
    return new AgentState(agent, fresh.kind(), tasks, null, artifacts, "did " + tasks, List.of(), List.of(), List.of());
  }

  private static ProjectSnapshot state(Map<String, AgentState> agents) {
    return new ProjectSnapshot("agents-p", "spec-flow", null, List.of("solutioning"), "solutioning", null, 1, 6,
        Map.of(), agents, List.of(), Map.of(), List.of(), List.of(), List.of(), null, null, null, null, false, 1,
        null, null, null, null);
  }

  private static String commit(String project, ProjectSnapshot inState, Map<String, AgentState> files) {
    String id = S3CheckpointStoreTest.newId();
    List<PackageSource> sources = new ArrayList<>();
    sources.add(PackageSource.of(PackagePaths.WORKFLOW_STATE, PackageJson.write(inState)));
    files.forEach((path, agent) -> sources.add(PackageSource.of(path, PackageJson.write(agent))));
    S3CheckpointStoreTest.commit(store, project, id, null, sources);
    return id;
  }

  @Test
  void theAgentsComeFromTheirFilesCustomOnesFromCustomAgents() {
    Map<String, AgentState> inState = new TreeMap<>(Map.of("pm", worked("pm", 1), "spec-planner", worked("spec-planner", 1)));
    Map<String, AgentState> files = new TreeMap<>();
    files.put(PackagePaths.BMAD_AGENTS + "pm.json", worked("pm", 1));
    files.put(PackagePaths.CUSTOM_AGENTS + "spec-planner.json", worked("spec-planner", 2));
    files.put(PackagePaths.CUSTOM_AGENTS + "backend-developer.json", worked("backend-developer", 1));
    String id = commit("agents-ok", state(inState), files);

    StoredCheckpoint cp = store.open("agents-ok", id);
    Map<String, AgentState> agents = cp.agentStates();
    assertEquals(List.of("backend-developer", "pm", "spec-planner"), List.copyOf(agents.keySet()));
    assertEquals("custom", agents.get("spec-planner").kind());
    assertEquals("bmad", agents.get("pm").kind());
    ProjectSnapshot restored = cp.state();
    assertEquals(agents, restored.agents(), "the state's agents are the files'");
    assertEquals(2, restored.agents().get("spec-planner").tasksCompleted());
    assertEquals(worked("spec-planner", 2).artifacts(), restored.agents().get("spec-planner").artifacts());
  }

  @Test
  void aCustomAgentFiledAsABmadOneOrUnderAnotherNameIsCorrupt() {
    Map<String, AgentState> inState = Map.of("spec-tester", worked("spec-tester", 1));
    String misfiled = commit("agents-bad", state(inState), Map.of(PackagePaths.BMAD_AGENTS + "spec-tester.json", worked("spec-tester", 1)));
    CheckpointStoreException.Corrupt wrongFolder = assertThrows(CheckpointStoreException.Corrupt.class,
        () -> store.open("agents-bad", misfiled).state());
    assertTrue(wrongFolder.getMessage().contains(PackagePaths.BMAD_AGENTS + "spec-tester.json holds the state of custom agent spec-tester"),
        wrongFolder.getMessage());

    String renamed = commit("agents-bad", state(inState), Map.of(PackagePaths.CUSTOM_AGENTS + "spec-reviewer.json", worked("spec-tester", 1)));
    CheckpointStoreException.Corrupt wrongName = assertThrows(CheckpointStoreException.Corrupt.class,
        () -> store.open("agents-bad", renamed).agentStates());
    assertTrue(wrongName.getMessage().contains("spec-reviewer.json holds the state of custom agent spec-tester"), wrongName.getMessage());
  }
}
