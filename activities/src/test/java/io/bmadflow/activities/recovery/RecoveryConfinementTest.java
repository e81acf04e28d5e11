package io.bmadflow.activities.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.ContentCipher;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.checkpoint.StoreOptions;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.devstack.DevStackSession;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.recovery.RecoveryReports;
import io.bmadflow.infra.temporal.ProjectLauncher;
import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.project.ComponentRestore;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.recovery.RecoveryActivities;
import io.bmadflow.workflows.recovery.RecoveryIds;
import io.bmadflow.workflows.recovery.RestorePlan;
import io.bmadflow.workflows.recovery.ValidationCheck;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestActivityEnvironment;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recoveries read and write only the project's configured workspace under the workspace root: a
 * package's recorded workspace is ignored (and reported), symbolic links are never followed,
 * restores are staged and then moved, large files stream, and a package repaired in the bucket is
 * read afresh. On the dev stack (S3Proxy and the Temporal test server on 127.0.0.1).
 */
class RecoveryConfinementTest {
  private static final WorkflowDefinition DEFINITION = DefinitionLoader.load(DefinitionLoader.DEFAULT).definition();

  @TempDir static Path temp;
  static DevStackSession session;
  static Path root;
  static Path outside;
  /** Runs the project workflows the tests start (their first tasks), so that their histories replay. */
  static io.temporal.worker.WorkerFactory workflows;

  private TestActivityEnvironment environment;
  private RecoveryActivities activities;

  @BeforeAll
  static void startStack() throws Exception {
    session = DevStackSession.open(temp.resolve("stack"), 0, 0, null);
    // As a worker does at its start: without them the test server refuses the project's start.
    session.temporal().registerSearchAttributes(List.copyOf(io.bmadflow.workflows.SearchAttributes.ALL));
    workflows = io.temporal.worker.WorkerFactory.newInstance(session.temporal().client());
    workflows.newWorker(io.bmadflow.workflows.TaskQueues.ORCHESTRATION).registerWorkflowImplementationTypes(
        io.bmadflow.workflows.project.ProjectWorkflowImpl.class, io.bmadflow.workflows.phase.PhaseWorkflowImpl.class);
    workflows.start();
    root = Files.createDirectories(temp.resolve("workspaces"));
    outside = Files.createDirectories(temp.resolve("outside"));
  }

  @AfterAll
  static void stopStack() {
    workflows.shutdownNow();
    session.close();
  }

  @BeforeEach
  void setUp() {
    environment = TestActivityEnvironment.newInstance();
    environment.registerActivitiesImplementations(new RecoveryActivitiesImpl(session.temporal().client(), session.store(),
        WorkspaceRoot.of(root), "test-worker", null));
    activities = environment.newActivityStub(RecoveryActivities.class, ActivityProfiles.recovery());
  }

  @AfterEach
  void tearDown() {
    environment.close();
  }

  private static String recoveryId() {
    return RecoveryIds.of(System.currentTimeMillis(), UUID.randomUUID());
  }

  private static void write(Path file, String content) throws Exception {
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
  }

  /** Every object of a recovery, as text. */
  private static Map<String, String> recoveryObjects(String project, String recoveryId) {
    String prefix = PackagePaths.recoveryPrefix(session.store().settings().prefix(), project, recoveryId);
    Map<String, String> objects = new LinkedHashMap<>();
    session.s3().listObjectsV2Paginator(b -> b.bucket(session.store().settings().bucket()).prefix(prefix)).contents()
        .forEach(o -> objects.put(o.key().substring(prefix.length()), new String(session.s3().getObjectAsBytes(
            b -> b.bucket(session.store().settings().bucket()).key(o.key())).asByteArray(), StandardCharsets.UTF_8)));
    return objects;
  }

  /** Terminates a project's run once its first workflow task completed (so that its history replays). */
  private static void terminate(String project) throws InterruptedException {
    String workflowId = ProjectIds.workflowId(project);
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (System.nanoTime() < deadline && session.temporal().client().fetchHistory(workflowId).getEvents().stream()
        .noneMatch(e -> e.getEventType() == io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) {
      Thread.sleep(20);
    }
    session.temporal().client().newUntypedWorkflowStub(workflowId).terminate("test over");
  }

  private static ApplicationFailure cause(ActivityFailure failure) {
    return assertInstanceOf(ApplicationFailure.class, failure.getCause());
  }

  @Test
  void aPackagesRecordedWorkspaceIsIgnoredWhenItStillVerifies() throws Exception {
    String project = "tampered";
    Path mine = root.resolve(project);
    write(mine.resolve("docs/prd.md"), "# PRD, edited since");
    write(outside.resolve("docs/prd.md"), "outside secret");
    Map<String, String> files = Map.of("docs/prd.md", "# PRD v1\n", "docs/brief.md", "# Brief\n");
    String id = TestPackages.commit(session.store(), TestPackages.state(project, null, files), DEFINITION, files);
    // The attacker points both recorded workspaces elsewhere and recomputes every checksum.
    TestPackages.rewrite(session.s3(), session.store().settings(), project, id, Map.of(
        PackagePaths.WORKFLOW_STATE, PackageJson.write(TestPackages.state(project, outside.toString(), files)),
        PackagePaths.PROJECT_REQUEST, PackageJson.write(new ProjectRequest(project, DEFINITION, outside.toString()))));
    assertTrue(session.store().verify(project, id).ok(), "the rewritten package must still verify");
    assertEquals(outside.toString(), session.store().open(project, id).state().workspace());

    RestorePlan plan = activities.planRestore(project, id, List.of(), null);
    assertEquals(List.of("docs/brief.md", "docs/prd.md"), plan.filesToWrite().stream().sorted().toList());
    assertFalse(plan.warnings().isEmpty(), "the plan must say the recorded workspace differs");
    assertTrue(plan.warnings().get(0).contains("records the workspace " + outside), plan.warnings().toString());
    assertTrue(plan.warnings().get(0).contains("configured workspace is " + mine), plan.warnings().toString());

    String recovery = recoveryId();
    activities.backup(recovery, project, id, plan.filesToWrite());
    Map<String, String> backedUp = recoveryObjects(project, recovery);
    assertEquals("# PRD, edited since", backedUp.get(RecoveryReports.BACKUP + PackagePaths.WORKSPACE + "docs/prd.md"));
    assertTrue(backedUp.values().stream().noneMatch(v -> v.contains("outside secret")), backedUp.toString());

    activities.restoreFiles(project, id, plan.filesToWrite());
    assertEquals("# PRD v1\n", Files.readString(mine.resolve("docs/prd.md")));
    assertEquals("# Brief\n", Files.readString(mine.resolve("docs/brief.md")));
    assertEquals("outside secret", Files.readString(outside.resolve("docs/prd.md")));
    assertFalse(Files.exists(outside.resolve("docs/brief.md")));
    assertTrue(activities.check(ValidationCheck.CONTEXT, project, id).passed());

    // A cold restart from the package's recorded request starts the run in the configured workspace.
    String run = activities.restart(recovery, project, id, true);
    try {
      var started = new ProjectExecutions(session.temporal().client()).startedWorkspace(project).orElseThrow();
      assertEquals(run, started.runId());
      assertNull(started.workspace(), "the new run must use the workers' default workspace, not " + started.workspace());
      assertNull(activities.chooseCheckpoint(project, id, null, null).workspace());
    } finally {
      terminate(project);
    }
  }

  @Test
  void theWorkspaceOfTheProjectsRunInTemporalIsTheOneRestored() throws Exception {
    String project = "configured";
    Path configured = root.resolve("team/" + project);
    Map<String, String> files = Map.of("docs/prd.md", "# PRD\n");
    String id = TestPackages.commit(session.store(), TestPackages.state(project, null, files), DEFINITION, files);
    ProjectLauncher.start(session.temporal().client(), new ProjectRequest(project, DEFINITION, configured.toString()), Map.of());
    try {
      RestorePlan plan = activities.planRestore(project, id, List.of(), null);
      assertTrue(plan.warnings().get(0).contains("configured workspace is " + configured), plan.warnings().toString());
      activities.restoreFiles(project, id, List.of("docs/prd.md"));
      assertEquals("# PRD\n", Files.readString(configured.resolve("docs/prd.md")));
      assertFalse(Files.exists(root.resolve(project)), "the default workspace is not the project's");
      assertEquals(configured.toString(), activities.chooseCheckpoint(project, id, null, null).workspace());
    } finally {
      terminate(project);
    }

    // A run whose workspace is outside the root (started before the policy, say) is refused.
    String stray = "stray";
    String strayId = TestPackages.commit(session.store(), TestPackages.state(stray, null, files), DEFINITION, files);
    ProjectLauncher.start(session.temporal().client(), new ProjectRequest(stray, DEFINITION, outside.toString()), Map.of());
    try {
      ApplicationFailure refused = cause(assertThrows(ActivityFailure.class,
          () -> activities.restoreFiles(stray, strayId, List.of("docs/prd.md"))));
      assertEquals(Failures.INVALID_INPUT, refused.getType());
      assertTrue(refused.isNonRetryable());
      assertTrue(refused.getOriginalMessage().contains("strictly under the workspace root " + root), refused.getOriginalMessage());
      assertTrue(refused.getOriginalMessage().contains(WorkspaceRoot.ROOT_VARIABLE), refused.getOriginalMessage());
      assertFalse(Files.exists(outside.resolve("docs/prd.md")) && Files.readString(outside.resolve("docs/prd.md")).equals("# PRD\n"));
    } finally {
      terminate(stray);
    }
  }

  @Test
  void symbolicLinksOutOfTheWorkspaceAreNeitherReadNorBackedUpNorWrittenThrough() throws Exception {
    String project = "linked";
    Path mine = root.resolve(project);
    Path secret = outside.resolve("linked-secret.md");
    write(secret, "linked secret");
    Files.createDirectories(mine.resolve("docs"));
    Files.createSymbolicLink(mine.resolve("docs/prd.md"), secret);
    Path linkedDir = Files.createDirectories(outside.resolve("linked-dir"));
    Files.createSymbolicLink(mine.resolve("notes"), linkedDir);
    Map<String, String> files = Map.of("docs/prd.md", "# PRD\n", "notes/n.md", "note\n");
    String id = TestPackages.commit(session.store(), TestPackages.state(project, null, files), DEFINITION, files);

    RestorePlan plan = activities.planRestore(project, id, List.of(), null);
    assertTrue(plan.filesToWrite().contains("docs/prd.md"), "a link counts as no file: " + plan);
    assertTrue(plan.filesNotInCheckpoint().isEmpty(), "links are not listed: " + plan.filesNotInCheckpoint());
    assertFalse(activities.check(ComponentRestore.FILE_PREFIX + "docs/prd.md", project, id).passed());

    String recovery = recoveryId();
    activities.backup(recovery, project, id, List.of("docs/prd.md", "notes/n.md"));
    Map<String, String> backedUp = recoveryObjects(project, recovery);
    assertTrue(backedUp.values().stream().noneMatch(v -> v.contains("linked secret")), backedUp.toString());
    assertFalse(backedUp.containsKey(RecoveryReports.BACKUP + PackagePaths.WORKSPACE + "docs/prd.md"), backedUp.keySet().toString());

    // Through a linked directory nothing is written, and the workspace stays as it was.
    assertThrows(ActivityFailure.class, () -> activities.restoreFiles(project, id, List.of("docs/prd.md", "notes/n.md")));
    assertFalse(Files.exists(linkedDir.resolve("n.md")));
    assertTrue(Files.isSymbolicLink(mine.resolve("docs/prd.md")));
    assertEquals("linked secret", Files.readString(secret));

    // A file restore replaces the link itself with the checkpoint's file; the link's target is untouched.
    activities.restoreFiles(project, id, List.of("docs/prd.md"));
    assertFalse(Files.isSymbolicLink(mine.resolve("docs/prd.md")));
    assertEquals("# PRD\n", Files.readString(mine.resolve("docs/prd.md")));
    assertEquals("linked secret", Files.readString(secret));
  }

  @Test
  void aCorruptThirdOfFiveFilesLeavesTheWorkspaceAsItWas() throws Exception {
    String project = "staged";
    Path mine = root.resolve(project);
    Map<String, String> files = new LinkedHashMap<>();
    for (int i = 1; i <= 5; i++) {
      files.put("docs/f" + i + ".md", "checkpoint content " + i + "\n" + "x".repeat(2000));
      write(mine.resolve("docs/f" + i + ".md"), "current content " + i);
    }
    String id = TestPackages.commit(session.store(), TestPackages.state(project, null, files), DEFINITION, files);
    TestPackages.corrupt(session.s3(), session.store().settings(), project, id, PackagePaths.WORKSPACE + "docs/f3.md");
    Map<String, String> before = Workspace.digest(mine);
    List<String> all = new ArrayList<>(files.keySet());

    ActivityFailure failure = assertThrows(ActivityFailure.class, () -> activities.restoreFiles(project, id, all));
    assertEquals(Failures.CHECKPOINT_CORRUPT, cause(failure).getType());
    assertEquals(before, Workspace.digest(mine), "no workspace file may change");
    assertEquals(List.of(), leftInOwnFolder(mine));

    // A failure while moving into place (a directory where the 3rd file goes) puts back the ones moved.
    String good = TestPackages.commit(session.store(), TestPackages.state(project, null, files), DEFINITION, files);
    Files.delete(mine.resolve("docs/f3.md"));
    write(mine.resolve("docs/f3.md/inside.md"), "a directory in the way");
    Map<String, String> beforeMove = Workspace.digest(mine);
    assertThrows(ActivityFailure.class, () -> activities.restoreFiles(project, good, all));
    assertEquals(beforeMove, Workspace.digest(mine), "the files moved before the failure must be put back");
    assertEquals(List.of(), leftInOwnFolder(mine));
  }

  private static List<Path> leftInOwnFolder(Path workspace) throws Exception {
    Path own = workspace.resolve(".bmadflow");
    if (!Files.exists(own)) {
      return List.of();
    }
    try (var list = Files.list(own)) {
      return list.toList();
    }
  }

  @Test
  void filesAboveTheInMemoryLimitArePlannedBackedUpRestoredAndCheckedByStreaming() throws Exception {
    String project = "large";
    Path mine = root.resolve(project);
    String big = "large file line\n".repeat(8 * 1024); // 128 KiB, above the lowered limit
    Map<String, String> files = Map.of("docs/big.md", big);
    String id = TestPackages.commit(session.store(), TestPackages.state(project, null, files), DEFINITION, files);
    write(mine.resolve("docs/big.md"), big.replace('l', 'L'));
    long previous = Workspace.setInMemoryLimit(1024);
    try {
      RestorePlan plan = activities.planRestore(project, id, List.of(), null);
      assertEquals(List.of("docs/big.md"), plan.filesToWrite());
      String recovery = recoveryId();
      activities.backup(recovery, project, id, plan.filesToWrite());
      assertEquals(big.replace('l', 'L'), new String(session.store().readRecoveryFile(project, recovery,
          RecoveryReports.BACKUP + PackagePaths.WORKSPACE + "docs/big.md"), StandardCharsets.UTF_8));
      activities.restoreFiles(project, id, plan.filesToWrite());
      assertEquals(big, Files.readString(mine.resolve("docs/big.md")));
      assertTrue(activities.check(ComponentRestore.FILE_PREFIX + "docs/big.md", project, id).passed());
      assertTrue(activities.check(ValidationCheck.CONTEXT, project, id).passed());
      assertThrows(IllegalArgumentException.class, () -> Workspace.of(root, project, null).readIfExists("docs/big.md"));
    } finally {
      Workspace.setInMemoryLimit(previous);
    }
  }

  @Test
  void anEncryptedBackupOfAFileTooLargeToSealInMemoryIsRefusedClearly() throws Exception {
    S3CheckpointStore encrypted = new S3CheckpointStore(session.s3(), session.store().settings(),
        StoreOptions.defaults().withCipher(ContentCipher.fromBase64(java.util.Base64.getEncoder().encodeToString(new byte[32]))));
    Path sparse = temp.resolve("sparse.bin");
    try (RandomAccessFile file = new RandomAccessFile(sparse.toFile(), "rw")) {
      file.setLength(64L * 1024 * 1024 + 1); // Sparse: no disk and no memory used.
    }
    String recovery = recoveryId();
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> encrypted.putRecoveryFile("huge", recovery, "backup/workspace/big.bin", sparse, true));
    assertTrue(refused.getMessage().contains(sparse + " is 67108865 bytes"), refused.getMessage());
    assertTrue(refused.getMessage().contains("BMADFLOW_ENCRYPTION_KEY"), refused.getMessage());
    assertTrue(recoveryObjects("huge", recovery).isEmpty());

    // Small sensitive files are still sealed, and read back through the cipher.
    Path small = temp.resolve("small.md");
    Files.writeString(small, "small and secret");
    encrypted.putRecoveryFile("huge", recovery, "backup/workspace/small.md", small, true);
    assertFalse(recoveryObjects("huge", recovery).get("backup/workspace/small.md").contains("small and secret"));
    assertEquals("small and secret", new String(encrypted.readRecoveryFile("huge", recovery, "backup/workspace/small.md"),
        StandardCharsets.UTF_8));
  }

  @Test
  void aPackageRepairedInTheBucketIsReadAfreshAndAnUnchangedOneIsReused() {
    String project = "repaired";
    Map<String, String> files = Map.of("docs/prd.md", "# PRD\n");
    String id = TestPackages.commit(session.store(), TestPackages.state(project, null, files), DEFINITION, files);
    OpenCheckpoints checkpoints = new OpenCheckpoints(session.store());
    var first = checkpoints.open(project, id);
    assertEquals("prd", first.state().step());
    assertSame(first, checkpoints.open(project, id), "an unchanged package reuses its handle");

    var fixed = TestPackages.state(project, null, files);
    fixed = new io.bmadflow.workflows.project.ProjectSnapshot(fixed.projectId(), fixed.definitionId(), fixed.workspace(),
        fixed.phases(), fixed.phase(), "fixed-step", fixed.stepsCompleted(), fixed.stepsPlanned(), fixed.artifacts(),
        fixed.agents(), fixed.stories(), fixed.flags(), fixed.steps(), fixed.communicationLog(), fixed.checkpoints(),
        fixed.decisions(), fixed.risks(), fixed.gates(), fixed.pendingGate(), fixed.paused(), fixed.runs(),
        fixed.openGates(), fixed.fallbackAgents(), fixed.pauseReason(), fixed.triggerMemory());
    TestPackages.rewrite(session.s3(), session.store().settings(), project, id,
        Map.of(PackagePaths.WORKFLOW_STATE, PackageJson.write(fixed)));
    assertEquals("fixed-step", checkpoints.open(project, id).state().step());
  }
}
