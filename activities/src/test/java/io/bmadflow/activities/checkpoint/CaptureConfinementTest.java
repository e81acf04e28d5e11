package io.bmadflow.activities.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.checkpoint.CheckpointActivities;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.checkpoint.CheckpointPriority;
import io.bmadflow.workflows.checkpoint.CheckpointRequest;
import io.bmadflow.workflows.checkpoint.CheckpointTrigger;
import io.bmadflow.workflows.checkpoint.CheckpointType;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/** A capture reads only the project's workspace under the root, never through a link, and streams its files. */
class CaptureConfinementTest {
  @TempDir static Path temp;
  static DevStack stack;
  static S3Client s3;
  static S3CheckpointStore store;
  static Path root;

  private TestActivityEnvironment environment;
  private CheckpointActivities activities;

  @BeforeAll
  static void startStack() throws Exception {
    stack = DevStack.start(temp.resolve("stack"), 0, 0);
    s3 = stack.s3Settings().newClient();
    store = new S3CheckpointStore(s3, stack.s3Settings());
    root = Files.createDirectories(temp.resolve("workspaces"));
  }

  @AfterAll
  static void stopStack() {
    s3.close();
    stack.close();
  }

  @BeforeEach
  void setUp() {
    environment = TestActivityEnvironment.newInstance();
    environment.registerActivitiesImplementations(new CheckpointActivitiesImpl(store, WorkspaceRoot.of(root), null));
    activities = environment.newActivityStub(CheckpointActivities.class, ActivityProfiles.checkpointIo());
  }

  @AfterEach
  void tearDown() {
    environment.close();
  }

  private static ArtifactRef ref(String path, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    return new ArtifactRef(path, Sha256.hex(bytes), bytes.length);
  }

  private static CheckpointRequest request(String project, String workspace, Map<String, ArtifactRef> artifacts) {
    ProjectSnapshot state = new ProjectSnapshot(project, "greenfield-fullstack", workspace, List.of("planning"), "planning",
        "prd", 0, 2, artifacts, Map.of(), List.of(), Map.of(), List.of(), List.of(), List.of(), null, null, null, null,
        false, 1, null, null, null, null);
    long now = System.currentTimeMillis();
    return new CheckpointRequest(CheckpointIds.of(now, UUID.randomUUID()), now, CheckpointType.MANUAL,
        CheckpointTrigger.PHASE_TRANSITION, CheckpointPriority.MEDIUM, "test", "test", "wf", "run", 1, state, null, null);
  }

  /** Every stored object of a project, as text. */
  private static List<String> objects(String project) {
    return s3.listObjectsV2Paginator(b -> b.bucket(DevStack.BUCKET).prefix(project + "/")).contents().stream()
        .map(o -> new String(s3.getObjectAsBytes(b -> b.bucket(DevStack.BUCKET).key(o.key())).asByteArray(),
            StandardCharsets.UTF_8))
        .toList();
  }

  @Test
  void aLinkToAFileOutsideIsNotCapturedEvenWhenTheStateHasItsHash() throws Exception {
    String project = "capture-link";
    Path mine = Files.createDirectories(root.resolve(project).resolve("docs"));
    Files.writeString(mine.resolve("prd.md"), "# PRD\n");
    Path secret = Files.writeString(temp.resolve("secret.txt"), "outside secret for capture");
    Files.createSymbolicLink(mine.resolve("link.md"), secret);
    Map<String, ArtifactRef> artifacts = new TreeMap<>(Map.of(
        "docs/prd.md", ref("docs/prd.md", "# PRD\n"),
        "docs/link.md", ref("docs/link.md", "outside secret for capture")));
    CheckpointRequest request = request(project, null, artifacts);

    activities.createCheckpoint(request);
    StoredCheckpoint stored = store.open(project, request.checkpointId());
    assertEquals(List.of("docs/prd.md"), List.copyOf(stored.workspaceFiles().keySet()));
    assertEquals("invalid", stored.metadata().integrityValidation().validationDetails().get("context_states"),
        "the link counts as a missing file");
    assertTrue(objects(project).stream().noneMatch(o -> o.contains("outside secret for capture")));
  }

  @Test
  void aWorkspaceOutsideTheRootIsRefusedWithoutRetries() {
    ActivityFailure failure = assertThrows(ActivityFailure.class,
        () -> activities.captureCheckpoint(request("capture-out", temp.toString(), Map.of())));
    ApplicationFailure cause = assertInstanceOf(ApplicationFailure.class, failure.getCause());
    assertEquals(Failures.INVALID_INPUT, cause.getType());
    assertTrue(cause.getOriginalMessage().contains("strictly under the workspace root " + root), cause.getOriginalMessage());
    assertTrue(objects("capture-out").isEmpty());
  }

  @Test
  void aFileAboveTheInMemoryLimitIsCapturedByStreaming() throws Exception {
    String project = "capture-large";
    Path mine = Files.createDirectories(root.resolve(project).resolve("docs"));
    String big = "a large requirement\n".repeat(10_000); // 200 KB, above the lowered limit
    Files.writeString(mine.resolve("prd.md"), big);
    long previous = Workspace.setInMemoryLimit(1024);
    try {
      CheckpointRequest request = request(project, null, new TreeMap<>(Map.of("docs/prd.md", ref("docs/prd.md", big))));
      activities.createCheckpoint(request);
      StoredCheckpoint stored = store.open(project, request.checkpointId());
      assertEquals(big, new String(stored.readFile(PackagePaths.WORKSPACE + "docs/prd.md"), StandardCharsets.UTF_8));
      assertEquals("passed", stored.metadata().integrityValidation().validationStatus());
      String business = new String(stored.readFile(PackagePaths.CONTEXT + "business-context.md"), StandardCharsets.UTF_8);
      assertTrue(business.contains("docs/prd.md: " + big.length() + " bytes, too large to inline"), business);
      assertFalse(business.contains("a large requirement"), "the context names the large file instead of inlining it");
      Path own = root.resolve(project).resolve(".bmadflow");
      try (var left = Files.list(own)) {
        assertEquals(List.of(), left.toList(), "the snapshot of the large file is deleted once stored");
      }
    } finally {
      Workspace.setInMemoryLimit(previous);
    }
  }
}
