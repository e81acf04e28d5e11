package io.bmadflow.activities.recovery;

import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.PackageFile;
import io.bmadflow.infra.checkpoint.PackageManifest;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.PackageSource;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/** Committed packages for recovery tests, and the rewrite an attacker with bucket access makes. */
final class TestPackages {
  private static final AtomicLong CLOCK = new AtomicLong(1_700_000_000_000L);

  private TestPackages() {}

  /** A fresh checkpoint id, later than the one before. */
  static String newId() {
    long t = CLOCK.addAndGet(60_000);
    return io.bmadflow.workflows.checkpoint.CheckpointIds.of(t, java.util.UUID.randomUUID());
  }

  /** A workflow state naming {@code workspace} and referencing these workspace files. */
  static ProjectSnapshot state(String project, String workspace, Map<String, String> files) {
    Map<String, ArtifactRef> artifacts = new TreeMap<>();
    files.forEach((path, content) -> {
      byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
      artifacts.put(path, new ArtifactRef(path, Sha256.hex(bytes), bytes.length));
    });
    return new ProjectSnapshot(project, "greenfield-fullstack", workspace, List.of("planning"), "planning", "prd", 1, 2,
        artifacts, Map.of(), List.of(), Map.of(), List.of(), List.of(), List.of(), null, null, null, null, false, 1,
        null, null, null, null);
  }

  /**
   * Commits a package: the state (and the project request, when {@code definition} is not null),
   * and the workspace files by path.
   */
  static String commit(CheckpointStore store, ProjectSnapshot state, WorkflowDefinition definition, Map<String, String> files) {
    String id = newId();
    List<PackageSource> sources = new ArrayList<>();
    sources.add(PackageSource.of(PackagePaths.WORKFLOW_STATE, PackageJson.write(state)));
    if (definition != null) {
      sources.add(PackageSource.of(PackagePaths.PROJECT_REQUEST,
          PackageJson.write(new ProjectRequest(state.projectId(), definition, state.workspace()))));
    }
    files.forEach((path, content) -> sources.add(PackageSource.of(PackagePaths.WORKSPACE + path, content)));
    String project = state.projectId();
    store.commit(new CheckpointStore.CommitRequest(project, id, null, null, sources, digest -> new CheckpointMetadata(
        new CheckpointMetadata.Info(id, java.time.Instant.ofEpochMilli(CLOCK.get()).toString(), "automatic",
            "phase_transition", "test", "medium", "system", project, "planning", "greenfield-fullstack", 1, null),
        new CheckpointMetadata.StateSummary(0.5, 0, 1, 1, 0, 0, files.size(), 0),
        new CheckpointMetadata.RecoveryMetadata("under 1 second", "simple", List.of(), List.of(), true),
        new CheckpointMetadata.IntegrityValidation(digest.checksum(), "2026-11-25T00:00:01Z", "passed",
            Map.of("workflow_state", "valid"), digest.files()),
        new CheckpointMetadata.StorageMetadata(0.01, 1.0, "cloud", "standard", null, digest.location(),
            digest.logicalBytes(), digest.storedBytes(), digest.bytesWritten(), digest.parentCheckpointId(),
            digest.incrementalDepth(), digest.references()),
        new CheckpointMetadata.TemporalReference("wf", "run", 7))));
    return id;
  }

  /**
   * Rewrites files of a committed package the way someone with write access to the bucket can:
   * each new file stored plain, its sizes and SHA-256s in the metadata, {@code manifest.sha256}
   * the metadata's checksum and its format-2 digest recomputed, so the (unsigned) package still verifies.
   */
  static void rewrite(S3Client s3, S3Settings settings, String project, String id, Map<String, byte[]> replacements) {
    String base = PackagePaths.packagePrefix(settings.prefix(), project, id);
    try {
      CheckpointMetadata m = PackageJson.read(get(s3, settings, base + PackagePaths.METADATA), CheckpointMetadata.class);
      Map<String, String> manifest = new TreeMap<>(PackageManifest.parse(get(s3, settings, base + PackagePaths.MANIFEST)).entries());
      Map<String, PackageFile> files = new LinkedHashMap<>();
      m.integrityValidation().files().forEach(f -> files.put(f.path(), f));
      replacements.forEach((path, bytes) -> {
        put(s3, settings, base + path, bytes);
        String sha = Sha256.hex(bytes);
        files.put(path, new PackageFile(path, bytes.length, sha, bytes.length, sha, PackageFile.IDENTITY,
            PackageFile.NO_ENCRYPTION, id));
        manifest.put(path, sha);
      });
      byte[] manifestBytes = PackageManifest.of(manifest).toBytes();
      put(s3, settings, base + PackagePaths.MANIFEST, manifestBytes);
      String manifestSha = Sha256.hex(manifestBytes);
      files.put(PackagePaths.MANIFEST, new PackageFile(PackagePaths.MANIFEST, manifestBytes.length, manifestSha,
          manifestBytes.length, manifestSha, PackageFile.IDENTITY, PackageFile.NO_ENCRYPTION, id));
      CheckpointMetadata.IntegrityValidation iv = m.integrityValidation();
      CheckpointMetadata fixed = new CheckpointMetadata(m.checkpointMetadata(), m.stateSummary(), m.recoveryMetadata(),
          new CheckpointMetadata.IntegrityValidation("sha256:" + manifestSha, iv.validationTimestamp(),
              iv.validationStatus(), iv.validationDetails(), List.copyOf(files.values())),
          m.storageMetadata(), m.temporal());
      put(s3, settings, base + PackagePaths.METADATA, sealUnsigned(fixed));
    } catch (Exception e) {
      throw new IllegalStateException("cannot rewrite checkpoint " + id + ": " + e, e);
    }
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

  /** Replaces one stored object with other bytes, without touching the metadata: a corrupt object. */
  static void corrupt(S3Client s3, S3Settings settings, String project, String id, String path) {
    put(s3, settings, PackagePaths.packagePrefix(settings.prefix(), project, id) + path,
        "corrupt".getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] get(S3Client s3, S3Settings settings, String key) {
    return s3.getObjectAsBytes(b -> b.bucket(settings.bucket()).key(key)).asByteArray();
  }

  private static void put(S3Client s3, S3Settings settings, String key, byte[] bytes) {
    s3.putObject(b -> b.bucket(settings.bucket()).key(key), RequestBody.fromBytes(bytes));
  }
}
