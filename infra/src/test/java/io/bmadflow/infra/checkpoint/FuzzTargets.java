package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The fuzz targets: every parser of bytes that come from the bucket or a user, each fed arbitrary
 * bytes and required to fail only with its documented exceptions, in bounded time and heap. Used
 * by the Jazzer fuzz tests ({@link ParserFuzzTest}) and the seeded mutation test
 * ({@link ParserMutationTest}); see docs/fuzzing.md.
 */
final class FuzzTargets {
  /** What one input may take: far more than any sane input needs, far less than a bomb would. */
  static final long MAX_MILLIS = 10_000;
  static final long MAX_ALLOCATED = 256L * 1024 * 1024;

  /** A fixed key, so the decode target reaches AES-GCM's tag check and beyond. */
  static final ContentCipher CIPHER;

  static {
    byte[] key = new byte[32];
    new Random(42).nextBytes(key);
    CIPHER = ContentCipher.fromBase64(Base64.getEncoder().encodeToString(key));
  }

  /** A reader that never talks to S3: the decode target hands it the stored bytes itself. */
  private static final PackageReader READER = new PackageReader(new S3Objects(null, new S3Settings(
      URI.create("http://127.0.0.1:1"), "fuzz", "", "us-east-1",
      StaticCredentialsProvider.create(AwsBasicCredentials.create("fuzz", "fuzz")))), StoreOptions.defaults().withCipher(CIPHER));

  private FuzzTargets() {}

  /** {@code checkpoint-metadata.json}: a Jackson {@link IOException} or a value. */
  static void metadata(byte[] input) {
    bounded("metadata", input, () -> {
      try {
        PackageJson.read(input, CheckpointMetadata.class);
      } catch (IOException expected) {
        // Documented: the parse names the field at fault.
      }
      // The reader's own path: format version, binding, then the digest and signature checks.
      try {
        MetadataSeal.check(MetadataSeal.parse(input, FuzzSamples.ID), FuzzSamples.ID, null);
      } catch (IOException | CheckpointStoreException.Corrupt expected) {
        // Documented: not one JSON document of a known format, or a seal that does not match.
      }
    });
  }

  /** {@code manifest.sha256}: an {@link IllegalArgumentException} or a manifest that writes back to the same bytes. */
  static void manifest(byte[] input) {
    bounded("manifest", input, () -> {
      PackageManifest manifest;
      try {
        manifest = PackageManifest.parse(input);
      } catch (IllegalArgumentException expected) {
        return;
      }
      // A manifest that parses is canonical: the checksum of the metadata depends on it.
      if (!Arrays.equals(manifest.toBytes(), input)) {
        throw new AssertionError("manifest.sha256 parsed but does not write back to the same bytes");
      }
    });
  }

  /** {@code workflow-state-snapshot.json} and {@code project-request.json}: a Jackson {@link IOException} or a value. */
  static void snapshot(byte[] input) {
    bounded("snapshot", input, () -> {
      for (Class<?> type : new Class<?>[] {ProjectSnapshot.class, ProjectRequest.class}) {
        try {
          PackageJson.read(input, type);
        } catch (IOException expected) {
          // Documented.
        }
      }
    });
  }

  /** The registry and the staging record: a Jackson {@link IOException} or a value. */
  static void registry(byte[] input) {
    bounded("registry", input, () -> {
      for (Class<?> type : new Class<?>[] {CheckpointRegistry.Document.class, StagedDigest.class}) {
        try {
          PackageJson.read(input, type);
        } catch (IOException expected) {
          // Documented.
        }
      }
    });
  }

  /**
   * The decode path (stored size and SHA-256, AES-GCM, gzip, logical size and SHA-256). The first
   * byte picks the entry's encoding, encryption and which sizes it records; the next two its
   * logical size (up to 64 KiB); the rest is the stored object. Only
   * {@link CheckpointStoreException.Corrupt} may come out, or success when the entry matches.
   */
  static void decode(byte[] input) {
    bounded("decode", input, () -> {
      if (input.length < 3) {
        return;
      }
      int flags = input[0] & 0xff;
      long size = ((input[1] & 0xff) << 8 | (input[2] & 0xff)) * ((flags & 0x40) != 0 ? 1024L : 1L);
      byte[] stored = Arrays.copyOfRange(input, 3, input.length);
      long storedSize = (flags & 0x04) != 0 ? -1 : (flags & 0x08) != 0 ? stored.length + 1 : stored.length;
      String storedSha = (flags & 0x10) != 0 ? null : Sha256.hex(stored);
      PackageFile file = new PackageFile("context-snapshot/fuzz.md", size, "0".repeat(64), storedSize, storedSha,
          (flags & 0x01) != 0 ? PackageFile.GZIP : PackageFile.IDENTITY,
          (flags & 0x02) != 0 ? PackageFile.AES_256_GCM : PackageFile.NO_ENCRYPTION, "cp-2026-01-01-00-00-00-00000000");
      Long length = (flags & 0x20) != 0 ? null : (long) stored.length;
      try {
        READER.decodeChecked(new ByteArrayInputStream(stored), length, "fuzz/key", file.storedIn(), file,
            OutputStream.nullOutputStream());
      } catch (CheckpointStoreException.Corrupt expected) {
        // Documented.
      }
    });
  }

  /** Workflow definitions (YAML): an {@link IllegalArgumentException} naming the problem, or a definition. */
  static void definition(byte[] input) {
    bounded("definition", input, () -> {
      try {
        DefinitionLoader.parse(input, "fuzz.yaml");
      } catch (IllegalArgumentException expected) {
        // Documented.
      }
    });
  }

  /**
   * Runs one input: anything it throws but the documented exceptions (caught by the target) fails,
   * and so do more than {@link #MAX_MILLIS} or {@link #MAX_ALLOCATED} bytes allocated.
   */
  private static void bounded(String target, byte[] input, Runnable run) {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long allocatedBefore = threads.getThreadAllocatedBytes(thread);
    long start = System.nanoTime();
    try {
      run.run();
    } catch (RuntimeException | StackOverflowError e) {
      throw new AssertionError(target + ": undocumented " + e + " on input " + describe(input), e);
    } catch (AssertionError e) {
      throw new AssertionError(target + ": " + e.getMessage() + " on input " + describe(input), e);
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    long allocated = threads.getThreadAllocatedBytes(thread) - allocatedBefore;
    if (millis > MAX_MILLIS || allocated > MAX_ALLOCATED) {
      throw new AssertionError(target + ": took " + millis + " ms and allocated " + allocated / (1024 * 1024)
          + " MiB on input " + describe(input));
    }
  }

  static String describe(byte[] input) {
    return input.length + " bytes, base64 " + Base64.getEncoder().encodeToString(
        input.length > 512 ? Arrays.copyOf(input, 512) : input) + (input.length > 512 ? "..." : "");
  }
}
