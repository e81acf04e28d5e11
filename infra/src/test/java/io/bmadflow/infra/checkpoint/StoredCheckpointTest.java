package io.bmadflow.infra.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.devstack.DevStack;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** A committed checkpoint read through one {@link StoredCheckpoint} handle. */
class StoredCheckpointTest {
  private static final String PROJECT = "store-handle";
  private static final String PRD = "# PRD\n" + "requirement\n".repeat(50);

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

  private static String commitWithWorkspace() {
    String id = S3CheckpointStoreTest.newId();
    List<PackageSource> files = S3CheckpointStoreTest.files("a");
    files.add(PackageSource.of(PackagePaths.WORKSPACE + "docs/prd.md", PRD));
    S3CheckpointStoreTest.commit(store, PROJECT, id, null, files);
    return id;
  }

  @Test
  void theHandleHoldsTheMetadataAndReadsFilesThroughIt() {
    String id = commitWithWorkspace();
    StoredCheckpoint checkpoint = store.open(PROJECT, id);

    assertEquals(PROJECT, checkpoint.projectId());
    assertEquals(id, checkpoint.checkpointId());
    assertEquals(store.metadata(PROJECT, id), checkpoint.metadata());
    assertEquals(Map.of("docs/prd.md", Sha256.hex(PRD.getBytes(StandardCharsets.UTF_8))), checkpoint.workspaceFiles());
    assertTrue(checkpoint.holds(PackagePaths.WORKFLOW_STATE));
    assertTrue(checkpoint.origin().isEmpty(), "a package without project-request.json records no origin");
    assertArrayEquals(PRD.getBytes(StandardCharsets.UTF_8), checkpoint.readFile(PackagePaths.WORKSPACE + "docs/prd.md"));
    ByteArrayOutputStream copied = new ByteArrayOutputStream();
    checkpoint.copyFile(PackagePaths.WORKSPACE + "docs/prd.md", copied);
    assertEquals(PRD, copied.toString(StandardCharsets.UTF_8));
  }

  @Test
  void everyReadIsStillCheckedAndAStateThatDoesNotParseIsCorrupt() {
    String id = commitWithWorkspace();
    StoredCheckpoint checkpoint = store.open(PROJECT, id);

    // This state is not a ProjectSnapshot: the handle reports it as a corrupt package.
    var notAState = assertThrows(CheckpointStoreException.Corrupt.class, checkpoint::state);
    assertTrue(notAState.getMessage().startsWith("checkpoint " + id + ": " + PackagePaths.WORKFLOW_STATE + " does not parse"),
        notAState.getMessage());

    String key = PackagePaths.packagePrefix("", PROJECT, id) + PackagePaths.WORKSPACE + "docs/prd.md";
    s3.putObject(b -> b.bucket(DevStack.BUCKET).key(key), RequestBody.fromString("tampered"));
    var tampered = assertThrows(CheckpointStoreException.Corrupt.class,
        () -> checkpoint.readFile(PackagePaths.WORKSPACE + "docs/prd.md"));
    assertTrue(tampered.getMessage().contains("docs/prd.md"), tampered.getMessage());
  }

  @Test
  void openingACheckpointThatDoesNotExistIsNotFound() {
    assertThrows(CheckpointStoreException.NotFound.class, () -> store.open(PROJECT, S3CheckpointStoreTest.newId()));
  }
}
