package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackageFile;
import io.bmadflow.infra.checkpoint.PackageManifest;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.RecoveryReport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;

/**
 * Issue 12's attack end to end: a committed package whose recorded workspace (in its workflow
 * state and its project request) is pointed at a directory outside the workspace root, every
 * checksum recomputed so that it still verifies. A file restore and a cold recovery from it write
 * only the project's configured workspace, the backup uploads nothing from the other directory,
 * the new run works in the configured workspace, and the plan and report name the difference.
 * {@code start} refuses such a directory outright.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WorkspaceConfinementTest {
  private static final String PROJECT = "confined";
  private static final String PLANTED = "planted by the attacker";

  @TempDir static Path dataDir;
  static StackFixture fixture;
  static BmadflowWorker worker;
  static Path workspace;
  static Path outside;
  static String tampered;
  static Map<String, String> finished;

  @BeforeAll
  static void runAndTamper() throws Exception {
    fixture = new StackFixture(dataDir.resolve("stack"));
    worker = fixture.worker("confining", 0);
    fixture.start(PROJECT, null);
    fixture.await(PROJECT);
    workspace = fixture.workspaces.resolve(PROJECT);
    finished = Outcomes.workspace(workspace);
    assertTrue(finished.containsKey("docs/prd.md"), finished.keySet().toString());

    // Outside every workspace root (the test's allowed root is dataDir, so go one level up).
    outside = Files.createTempDirectory(dataDir.getParent(), "confinement-outside-");
    Files.createDirectories(outside.resolve("docs"));
    Files.writeString(outside.resolve("docs/prd.md"), PLANTED);

    List<CheckpointSummary> checkpoints = fixture.store.list(PROJECT);
    tampered = checkpoints.get(checkpoints.size() - 1).checkpointId();
    var checkpoint = fixture.store.open(PROJECT, tampered);
    ProjectSnapshot s = checkpoint.state();
    ProjectSnapshot moved = new ProjectSnapshot(s.projectId(), s.definitionId(), outside.toString(), s.phases(), s.phase(),
        s.step(), s.stepsCompleted(), s.stepsPlanned(), s.artifacts(), s.agents(), s.stories(), s.flags(), s.steps(),
        s.communicationLog(), s.checkpoints(), s.decisions(), s.risks(), s.gates(), s.pendingGate(), s.paused(), s.runs(),
        s.openGates(), s.fallbackAgents(), s.pauseReason(), s.triggerMemory());
    ProjectRequest o = checkpoint.origin().orElseThrow();
    ProjectRequest movedOrigin = new ProjectRequest(o.projectId(), o.definition(), outside.toString(), o.maxHistoryEvents(),
        o.carried(), o.nextPhase(), o.agentAttempts(), o.policy());
    rewrite(tampered, Map.of(PackagePaths.WORKFLOW_STATE, PackageJson.write(moved),
        PackagePaths.PROJECT_REQUEST, PackageJson.write(movedOrigin)));
  }

  @AfterAll
  static void stop() throws Exception {
    if (worker != null) {
      worker.close();
    }
    if (fixture != null) {
      fixture.close();
    }
    try (var walk = Files.walk(outside)) {
      walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /**
   * What someone with write access to the bucket does: new plain objects, their sizes and SHA-256s
   * in the metadata, {@code manifest.sha256}, the metadata's checksum and its format-2 digest
   * recomputed (the stack signs nothing: no BMADFLOW_SIGNING_KEY).
   */
  static void rewrite(String checkpointId, Map<String, byte[]> replacements) throws Exception {
    String base = PackagePaths.packagePrefix(fixture.store.settings().prefix(), PROJECT, checkpointId);
    CheckpointMetadata m = PackageJson.read(get(base + PackagePaths.METADATA), CheckpointMetadata.class);
    Map<String, String> manifest = new TreeMap<>(PackageManifest.parse(get(base + PackagePaths.MANIFEST)).entries());
    Map<String, PackageFile> files = new LinkedHashMap<>();
    m.integrityValidation().files().forEach(f -> files.put(f.path(), f));
    for (var r : replacements.entrySet()) {
      put(base + r.getKey(), r.getValue());
      String sha = Sha256.hex(r.getValue());
      files.put(r.getKey(), new PackageFile(r.getKey(), r.getValue().length, sha, r.getValue().length, sha,
          PackageFile.IDENTITY, PackageFile.NO_ENCRYPTION, checkpointId));
      manifest.put(r.getKey(), sha);
    }
    byte[] manifestBytes = PackageManifest.of(manifest).toBytes();
    put(base + PackagePaths.MANIFEST, manifestBytes);
    String manifestSha = Sha256.hex(manifestBytes);
    files.put(PackagePaths.MANIFEST, new PackageFile(PackagePaths.MANIFEST, manifestBytes.length, manifestSha,
        manifestBytes.length, manifestSha, PackageFile.IDENTITY, PackageFile.NO_ENCRYPTION, checkpointId));
    var iv = m.integrityValidation();
    put(base + PackagePaths.METADATA, sealUnsigned(new CheckpointMetadata(m.checkpointMetadata(), m.stateSummary(),
        m.recoveryMetadata(), new CheckpointMetadata.IntegrityValidation("sha256:" + manifestSha, iv.validationTimestamp(),
            iv.validationStatus(), iv.validationDetails(), List.copyOf(files.values())), m.storageMetadata(), m.temporal())));
  }

  /**
   * The metadata as the current package format writes it, unsigned: its format version and its
   * {@code metadata_sha256} digest, which anyone can recompute (the algorithm is public; only a
   * signature needs a key). Computed by the store's own code, as an attacker would with a copy.
   */
  static byte[] sealUnsigned(CheckpointMetadata metadata) throws Exception {
    Class<?> seal = Class.forName("io.bmadflow.infra.checkpoint.MetadataSeal");
    Class<?> keys = Class.forName("io.bmadflow.infra.checkpoint.SigningKeys");
    java.lang.reflect.Method sealMethod = seal.getDeclaredMethod("seal", CheckpointMetadata.class, keys);
    sealMethod.setAccessible(true);
    Object sealed = sealMethod.invoke(null, metadata, null);
    java.lang.reflect.Method bytes = sealed.getClass().getDeclaredMethod("bytes");
    bytes.setAccessible(true);
    return (byte[]) bytes.invoke(sealed);
  }

  private static byte[] get(String key) {
    return fixture.s3.getObjectAsBytes(b -> b.bucket(fixture.store.settings().bucket()).key(key)).asByteArray();
  }

  private static void put(String key, byte[] bytes) {
    fixture.s3.putObject(b -> b.bucket(fixture.store.settings().bucket()).key(key), RequestBody.fromBytes(bytes));
  }

  /** What is in the directory outside the root: only what the attacker planted. */
  private static void assertOutsideUntouched() throws Exception {
    assertEquals(Map.of("docs/prd.md", Sha256.hex(PLANTED.getBytes(StandardCharsets.UTF_8))), Outcomes.workspace(outside));
  }

  /** Every recovery object in the bucket, as text. */
  private static List<String> recoveryObjects() {
    String prefix = fixture.store.settings().prefix() + PROJECT + "/docs/state/recoveries/";
    return fixture.s3.listObjectsV2Paginator(b -> b.bucket(fixture.store.settings().bucket()).prefix(prefix)).contents()
        .stream().map(o -> new String(get(o.key()), StandardCharsets.UTF_8)).toList();
  }

  private static RecoveryReport report(StackFixture.CliResult result) throws Exception {
    assertEquals(0, result.code(), result.out() + result.err());
    return PackageJson.read(result.out().getBytes(StandardCharsets.UTF_8), RecoveryReport.class);
  }

  private static void assertNamesTheDifference(RecoveryReport report) {
    assertEquals(tampered, report.checkpoint().checkpointId());
    String warnings = String.join("\n", report.plan().warnings());
    assertTrue(warnings.contains("records the workspace " + outside), warnings);
    assertTrue(warnings.contains("configured workspace is " + workspace), warnings);
    assertNull(report.checkpoint().workspace(), "the choice names the configured workspace (the workers' default)");
  }

  @Test
  @Order(1)
  void theTamperedPackageStillVerifies() {
    StackFixture.CliResult verify = fixture.cli("checkpoint", "verify", "--project", PROJECT, tampered);
    assertEquals(0, verify.code(), verify.out() + verify.err());
    assertEquals(outside.toString(), fixture.store.open(PROJECT, tampered).state().workspace());
  }

  @Test
  @Order(2)
  void aFileRestoreWritesTheConfiguredWorkspaceOnly() throws Exception {
    Files.delete(workspace.resolve("docs/prd.md"));
    RecoveryReport report = report(fixture.cli("recover", "--project", PROJECT, "--checkpoint", tampered,
        "--components", "file:docs/prd.md", "--json"));
    assertNamesTheDifference(report);
    assertEquals(finished.get("docs/prd.md"), Outcomes.workspace(workspace).get("docs/prd.md"));
    assertOutsideUntouched();
    assertTrue(recoveryObjects().stream().noneMatch(o -> o.contains(PLANTED)));
  }

  @Test
  @Order(3)
  void aColdRecoveryRestoresAndRestartsInTheConfiguredWorkspaceOnly() throws Exception {
    Files.writeString(workspace.resolve("docs/prd.md"), "damaged");
    StackFixture.CliResult result = fixture.cli("recover", "--project", PROJECT, "--checkpoint", tampered,
        "--strategy", "cold", "--json");
    RecoveryReport report = report(result);
    assertNamesTheDifference(report);
    assertTrue(report.succeeded(), report.error());
    StackFixture.CliResult shown = fixture.cli("recovery", "show", report.recoveryId());
    assertTrue(shown.out().contains("Warning: checkpoint " + tampered + " records the workspace " + outside), shown.out());

    ProjectSnapshot end = fixture.await(PROJECT).finalState();
    assertNull(end.workspace(), "the new run works in the configured workspace, not " + end.workspace());
    assertEquals(finished, Outcomes.workspace(workspace));
    assertOutsideUntouched();
    List<String> backups = recoveryObjects();
    assertTrue(backups.stream().anyMatch(o -> o.equals("damaged")), "the damaged file of the configured workspace is backed up");
    assertTrue(backups.stream().noneMatch(o -> o.contains(PLANTED)));
  }

  @Test
  @Order(4)
  void startRefusesAWorkspaceOutsideTheRoot() {
    for (String bad : List.of("/etc", "/", outside.toString())) {
      StackFixture.CliResult result = fixture.cli("start", "--project", "elsewhere", "--workspace", bad);
      assertEquals(2, result.code(), result.out() + result.err());
      assertTrue(result.err().contains("workspace " + bad + " is refused"), result.err());
      assertTrue(result.err().contains(fixture.workspaces.toAbsolutePath().normalize().toString()), result.err());
      assertTrue(result.err().contains(WorkspaceRoot.ROOT_VARIABLE), result.err());
    }
    assertFalse(fixture.store.projects().contains("elsewhere"));
  }
}
