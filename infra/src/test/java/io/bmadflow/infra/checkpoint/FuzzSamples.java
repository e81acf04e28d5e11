package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Valid inputs of each fuzz target, built the way bmadflow writes them: the seeds mutations start from. */
final class FuzzSamples {
  static final String ID = "cp-2026-01-01-00-00-00-00000000";
  private static final String TEXT = "# Context\n" + "the project keeps its state in checkpoints\n".repeat(40);

  private FuzzSamples() {}

  static List<byte[]> metadata() {
    return List.of(PackageJson.write(metadataValue()));
  }

  static CheckpointMetadata metadataValue() {
    List<PackageFile> files = new ArrayList<>();
    files.add(new PackageFile("manifest.sha256", 150, "a".repeat(64), 150, "a".repeat(64), PackageFile.IDENTITY,
        PackageFile.NO_ENCRYPTION, ID));
    files.add(new PackageFile("workflow-state-snapshot.json", 4000, "b".repeat(64), 900, "c".repeat(64), PackageFile.GZIP,
        PackageFile.AES_256_GCM, ID));
    PackageDigest digest = new PackageDigest("sha256:" + "d".repeat(64), files, 4150, 1050, 1050,
        "s3://bmadflow/fuzz/" + ID + "/", null, 0, List.of(), RetentionPolicy.defaults());
    return S3CheckpointStoreTest.metadata("fuzz-project", ID, "medium").apply(digest);
  }

  static List<byte[]> manifest() {
    Map<String, String> hashes = new TreeMap<>();
    hashes.put("workflow-state-snapshot.json", "b".repeat(64));
    hashes.put("agent-states-snapshot/bmad-agents/pm.json", "e".repeat(64));
    hashes.put("workspace/docs/prd.md", "f".repeat(64));
    return List.of(PackageManifest.of(hashes).toBytes(), new byte[0]);
  }

  static List<byte[]> snapshot() {
    ProjectSnapshot snapshot = new ProjectSnapshot("fuzz-project", "greenfield-fullstack", "/work/fuzz",
        List.of("planning", "development"), "planning", "pm", 1, 5, Map.of(), Map.of(), List.of("1.1"), Map.of("prd", true),
        List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), null, false, 1, List.of(), List.of(), null, null);
    ProjectRequest request = new ProjectRequest("fuzz-project", DefinitionLoader.load("greenfield-service").definition(),
        "/work/fuzz", 0, snapshot, 0, 0, null);
    return List.of(PackageJson.write(snapshot), PackageJson.write(request));
  }

  static List<byte[]> registry() {
    List<CheckpointSummary> entries = List.of(CheckpointSummary.of(metadataValue()));
    return List.of(PackageJson.write(new CheckpointRegistry.Document(1, "fuzz-project", entries, "0".repeat(64))));
  }

  /** Stored objects with the header {@link FuzzTargets#decode} reads: identity, gzip, encrypted, both. */
  static List<byte[]> decode() {
    byte[] plain = TEXT.getBytes(StandardCharsets.UTF_8);
    List<byte[]> out = new ArrayList<>();
    try {
      byte[] gzip = FastGzipOutputStream.gzip(plain);
      String aad = PackageReader.objectAad("context-snapshot/fuzz.md");
      out.add(framed(0x00, plain.length, plain));
      out.add(framed(0x01, plain.length, gzip));
      out.add(framed(0x02, plain.length, FuzzTargets.CIPHER.encrypt(plain, aad)));
      out.add(framed(0x03, plain.length, FuzzTargets.CIPHER.encrypt(gzip, aad)));
      out.add(framed(0x05, plain.length, gzip)); // No stored size recorded, as when a retry adopts an object.
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static byte[] framed(int flags, int size, byte[] stored) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(flags);
    out.write(size >>> 8);
    out.write(size);
    out.writeBytes(stored);
    return out.toByteArray();
  }

  static List<byte[]> definition() {
    try (InputStream in = DefinitionLoader.class.getResourceAsStream("/io/bmadflow/definitions/greenfield-service.yaml")) {
      String small = "workflow:\n  id: fuzz\n  name: Fuzz\n  type: greenfield\n  sequence:\n    - agent: analyst\n"
          + "      creates: project-brief.md\n    - agent: pm\n      creates: prd.md\n      requires: project-brief.md\n";
      return List.of(in.readAllBytes(), small.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
