package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * Reads checkpoint packages back: their metadata, read strictly, and their files, each checked
 * against the sizes and SHA-256s the metadata records before a caller sees it.
 *
 * <p>Files that fit in memory are read whole; larger ones stream through the checks with memory
 * bounded by buffers, and the check fails at the end of the stream. Encrypted files are decrypted
 * with the store's cipher, gzip files decompressed.
 */
final class PackageReader {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final S3Objects objects;
  private final S3Settings settings;
  private final StoreOptions options;

  PackageReader(S3Objects objects, StoreOptions options) {
    this.objects = objects;
    this.settings = objects.settings();
    this.options = options;
  }

  /** The metadata of a committed package, read strictly; throws NotFound when there is none. */
  CheckpointMetadata metadata(String projectId, String checkpointId) {
    CheckpointMetadata metadata = existingMetadata(projectId, checkpointId);
    if (metadata == null) {
      throw new CheckpointStoreException.NotFound(
          "checkpoint " + checkpointId + " of project " + projectId + " does not exist at "
              + location(projectId, checkpointId)
              + "; run `bmadflow checkpoint list --project " + projectId + "` to see the ones that do");
    }
    return metadata;
  }

  /** Checks the metadata, every file and the manifest of a committed package. */
  VerificationReport verify(String projectId, String checkpointId) {
    List<VerificationReport.FileCheck> checks = new ArrayList<>();
    CheckpointMetadata metadata;
    try {
      metadata = metadata(projectId, checkpointId);
      checks.add(new VerificationReport.FileCheck(PackagePaths.METADATA, true, null, MetadataSeal.note(metadata, options.signing())));
    } catch (CheckpointStoreException.Corrupt e) {
      checks.add(new VerificationReport.FileCheck(PackagePaths.METADATA, false, e.getMessage()));
      return new VerificationReport(projectId, checkpointId, checks);
    }
    for (PackageFile file : metadata.integrityValidation().files()) {
      try {
        copyChecked(projectId, checkpointId, file, OutputStream.nullOutputStream());
        checks.add(new VerificationReport.FileCheck(file.path(), true, null));
      } catch (CheckpointStoreException.Corrupt | CheckpointStoreException.NotFound e) {
        checks.add(new VerificationReport.FileCheck(file.path(), false, e.getMessage()));
      }
    }
    // The manifest ties the files to the metadata's checksum: check both agree.
    String check = "package checksum";
    try {
      PackageFile manifestFile = fileEntry(metadata, PackagePaths.MANIFEST, checkpointId);
      byte[] manifestBytes = readChecked(projectId, checkpointId, manifestFile);
      String actual = "sha256:" + Sha256.hex(manifestBytes);
      String expected = metadata.integrityValidation().checksum();
      List<String> problems = new ArrayList<>();
      if (!actual.equals(expected)) {
        problems.add("manifest.sha256 does not match the metadata checksum (expected " + expected + ", got " + actual + ")");
      } else {
        PackageManifest manifest = PackageManifest.parse(manifestBytes);
        Map<String, String> listed = new TreeMap<>();
        metadata.integrityValidation().files().stream()
            .filter(f -> !f.path().equals(PackagePaths.MANIFEST))
            .forEach(f -> listed.put(f.path(), f.sha256()));
        if (!listed.equals(manifest.entries())) {
          Set<String> differing = new TreeSet<>(listed.keySet());
          differing.addAll(manifest.entries().keySet());
          differing.removeIf(p -> java.util.Objects.equals(listed.get(p), manifest.entries().get(p)));
          problems.add("metadata and manifest.sha256 disagree on " + String.join(", ", differing));
        }
      }
      checks.add(new VerificationReport.FileCheck(check, problems.isEmpty(),
          problems.isEmpty() ? null : "checkpoint " + checkpointId + ": " + String.join("; ", problems)));
    } catch (CheckpointStoreException.Corrupt | CheckpointStoreException.NotFound | IllegalArgumentException e) {
      checks.add(new VerificationReport.FileCheck(check, false, e.getMessage()));
    }
    return new VerificationReport(projectId, checkpointId, checks);
  }

  /** Reads one file of a committed package after checking its sizes and SHA-256s. */
  byte[] readFile(String projectId, String checkpointId, String path) {
    PackagePaths.requireSafe(path);
    return readFile(metadata(projectId, checkpointId), path);
  }

  /** Reads one file of the package this metadata describes, without reading the metadata again. */
  byte[] readFile(CheckpointMetadata metadata, String path) {
    PackagePaths.requireSafe(path);
    String projectId = metadata.checkpointMetadata().projectId();
    String checkpointId = metadata.checkpointMetadata().checkpointId();
    return readChecked(projectId, checkpointId, fileEntry(metadata, path, checkpointId));
  }

  /** Streams one file of a committed package through the checks to {@code sink}. */
  void copyFile(String projectId, String checkpointId, String path, OutputStream sink) {
    PackagePaths.requireSafe(path);
    copyFile(metadata(projectId, checkpointId), path, sink);
  }

  /** Streams one file of the package this metadata describes, without reading the metadata again. */
  void copyFile(CheckpointMetadata metadata, String path, OutputStream sink) {
    PackagePaths.requireSafe(path);
    String projectId = metadata.checkpointMetadata().projectId();
    String checkpointId = metadata.checkpointMetadata().checkpointId();
    copyChecked(projectId, checkpointId, fileEntry(metadata, path, checkpointId), sink);
  }

  /**
   * Checks a staged package's objects against its staging record, before it is committed; the
   * same file checks {@link #verify} makes of a committed one.
   */
  VerificationReport verifyStaged(String projectId, String checkpointId) {
    StagedDigest digest = StagedDigest.read(objects, projectId, checkpointId);
    List<VerificationReport.FileCheck> checks = new ArrayList<>();
    for (PackageFile file : digest.files()) {
      try {
        copyChecked(projectId, checkpointId, file, OutputStream.nullOutputStream());
        checks.add(new VerificationReport.FileCheck(file.path(), true, null));
      } catch (CheckpointStoreException.Corrupt | CheckpointStoreException.NotFound e) {
        checks.add(new VerificationReport.FileCheck(file.path(), false, e.getMessage()));
      }
    }
    return new VerificationReport(projectId, checkpointId, checks);
  }

  /** Where a package is, for humans ({@code s3://bucket/key-prefix/}). */
  String location(String projectId, String checkpointId) {
    return "s3://" + settings.bucket() + "/" + PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId);
  }

  static PackageFile fileEntry(CheckpointMetadata metadata, String path, String checkpointId) {
    return metadata.integrityValidation().files().stream()
        .filter(f -> f.path().equals(path))
        .findFirst()
        .orElseThrow(() -> new CheckpointStoreException.NotFound("checkpoint " + checkpointId + " has no file " + path));
  }

  String objectKey(String projectId, PackageFile file) {
    return PackagePaths.packagePrefix(settings.prefix(), projectId, file.storedIn()) + file.path();
  }

  /** The object's path as the cipher binds it: the file's path inside its package. */
  static String objectAad(String path) {
    return path;
  }

  /** Reads a whole object and checks it; for files that fit in memory. */
  byte[] readChecked(String projectId, String checkpointId, PackageFile file) {
    byte[] stored = objects.get(objectKey(projectId, file));
    if (stored == null) {
      throw missing(checkpointId, file);
    }
    return decode(file, stored, checkpointId);
  }

  /** Checks the stored bytes, then decrypts, decompresses and checks the logical content. */
  byte[] decode(PackageFile file, byte[] stored, String checkpointId) {
    if (file.storedSize() >= 0 && stored.length != file.storedSize()) {
      throw corrupt(checkpointId, file, "size mismatch (expected " + file.storedSize() + " bytes, got " + stored.length + ")");
    }
    if (file.storedSha256() != null) {
      String sha = Sha256.hex(stored);
      if (!sha.equals(file.storedSha256())) {
        throw corrupt(checkpointId, file, "sha256 mismatch (expected " + abbreviate(file.storedSha256()) + ", got " + abbreviate(sha) + ")");
      }
    }
    byte[] encoded = stored;
    if (PackageFile.AES_256_GCM.equals(file.encryption())) {
      if (options.cipher() == null) {
        throw corrupt(checkpointId, file, "is encrypted and BMADFLOW_ENCRYPTION_KEY is not set");
      }
      try {
        encoded = options.cipher().decrypt(stored, objectAad(file.path()));
      } catch (IllegalArgumentException e) {
        throw corrupt(checkpointId, file, e.getMessage());
      }
    }
    byte[] logical;
    if (PackageFile.GZIP.equals(file.encoding())) {
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(encoded))) {
        logical = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, file.size() + 1));
      } catch (IOException e) {
        throw corrupt(checkpointId, file, "is not valid gzip (" + e.getMessage() + ")");
      }
    } else {
      logical = encoded;
    }
    checkLogical(checkpointId, file, logical.length, Sha256.hex(logical));
    return logical;
  }

  /** Streams an object through the checks to {@code sink}, with memory bounded by buffers. */
  void copyChecked(String projectId, String checkpointId, PackageFile file, OutputStream sink) {
    if (PackageFile.AES_256_GCM.equals(file.encryption()) || file.size() <= options.multipartThreshold()) {
      try {
        sink.write(readChecked(projectId, checkpointId, file));
        return;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    var response = objects.open(objectKey(projectId, file));
    if (response == null) {
      throw missing(checkpointId, file);
    }
    MessageDigest storedDigest = Sha256.newDigest();
    MessageDigest logicalDigest = Sha256.newDigest();
    long logicalSize;
    try (InputStream raw = response;
        CountingInputStream counted = new CountingInputStream(new DigestInputStream(raw, storedDigest))) {
      InputStream decoded = PackageFile.GZIP.equals(file.encoding()) ? new GZIPInputStream(counted, 64 * 1024) : counted;
      DigestInputStream logical = new DigestInputStream(decoded, logicalDigest);
      logicalSize = copyAtMost(logical, sink, file.size() + 1);
      counted.transferTo(OutputStream.nullOutputStream()); // Hash any trailing stored bytes too.
      if (counted.count != file.storedSize()) {
        throw corrupt(checkpointId, file, "size mismatch (expected " + file.storedSize() + " bytes, got " + counted.count + ")");
      }
      String storedSha = HexFormat.of().formatHex(storedDigest.digest());
      if (file.storedSha256() != null && !storedSha.equals(file.storedSha256())) {
        throw corrupt(checkpointId, file, "sha256 mismatch (expected " + abbreviate(file.storedSha256()) + ", got " + abbreviate(storedSha) + ")");
      }
    } catch (IOException e) {
      throw corrupt(checkpointId, file, "cannot be read or decompressed (" + e.getMessage() + ")");
    }
    checkLogical(checkpointId, file, logicalSize, HexFormat.of().formatHex(logicalDigest.digest()));
  }

  private static long copyAtMost(InputStream in, OutputStream out, long limit) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    for (int n; total < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total))) > 0; ) {
      out.write(buffer, 0, n);
      total += n;
    }
    return total;
  }

  private void checkLogical(String checkpointId, PackageFile file, long size, String sha) {
    if (size != file.size()) {
      throw corrupt(checkpointId, file, "content size mismatch (expected " + file.size() + " bytes, got "
          + (size > file.size() ? "more" : size) + ")");
    }
    if (!sha.equals(file.sha256())) {
      throw corrupt(checkpointId, file, "sha256 mismatch (expected " + abbreviate(file.sha256()) + ", got " + abbreviate(sha) + ")");
    }
  }

  private static CheckpointStoreException.Corrupt corrupt(String checkpointId, PackageFile file, String problem) {
    String where = file.storedIn().equals(checkpointId) ? "" : " (stored in " + file.storedIn() + ")";
    return new CheckpointStoreException.Corrupt("checkpoint " + checkpointId + ": " + file.path() + where + " " + problem
        + "; the package is corrupt, use an earlier checkpoint");
  }

  private static CheckpointStoreException.Corrupt missing(String checkpointId, PackageFile file) {
    return corrupt(checkpointId, file, "is missing from storage");
  }

  private static String abbreviate(String sha) {
    return sha.length() > 12 ? sha.substring(0, 12) + "..." : sha;
  }

  /**
   * Reads and strictly checks a package's metadata, or returns null when there is none: its
   * format version, its schema and structure, then its seal (digest, and signature when the store
   * has signing keys; see {@link MetadataSeal}).
   */
  CheckpointMetadata existingMetadata(String projectId, String checkpointId) {
    String key = PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId) + PackagePaths.METADATA;
    byte[] bytes = objects.get(key);
    if (bytes == null) {
      return null;
    }
    try {
      MetadataSeal.Parsed parsed = MetadataSeal.parse(bytes, checkpointId);
      checkMetadata(parsed.metadata(), projectId, checkpointId);
      MetadataSeal.check(parsed, checkpointId, options.signing());
      return parsed.metadata();
    } catch (IOException | RuntimeException e) {
      if (e instanceof CheckpointStoreException.Unavailable u) {
        throw u;
      }
      if (e instanceof CheckpointStoreException.Corrupt sealProblem) {
        throw sealProblem; // Already names the checkpoint, the problem and the fix.
      }
      throw new CheckpointStoreException.Corrupt(
          "checkpoint " + checkpointId + ": " + PackagePaths.METADATA + " is not valid ("
              + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + "); the package is corrupt, use an"
              + " earlier checkpoint", e);
    }
  }

  /** Everything a reader relies on, checked before the metadata is used. */
  private static void checkMetadata(CheckpointMetadata m, String projectId, String checkpointId) throws IOException {
    if (m.checkpointMetadata() == null || m.stateSummary() == null || m.recoveryMetadata() == null
        || m.integrityValidation() == null || m.storageMetadata() == null || m.integrityValidation().files() == null) {
      throw new IOException("a section is missing");
    }
    if (!checkpointId.equals(m.checkpointMetadata().checkpointId()) || !projectId.equals(m.checkpointMetadata().projectId())) {
      throw new IOException("its ids do not match the key it is stored under");
    }
    Instant.parse(m.checkpointMetadata().creationTimestamp());
    if (m.integrityValidation().checksum() == null || !m.integrityValidation().checksum().startsWith("sha256:")
        || !SHA256.matcher(m.integrityValidation().checksum().substring(7)).matches()) {
      throw new IOException("integrity_validation.checksum is not sha256:<64 hex digits>");
    }
    Set<String> paths = new HashSet<>();
    for (PackageFile file : m.integrityValidation().files()) {
      PackagePaths.requireSafe(file.path());
      if (!paths.add(file.path()) || file.sha256() == null || !SHA256.matcher(file.sha256()).matches()
          || (file.storedSha256() != null && !SHA256.matcher(file.storedSha256()).matches())
          || file.size() < 0 || file.storedSize() < 0 || !CheckpointIds.isValid(file.storedIn())
          || !(PackageFile.GZIP.equals(file.encoding()) || PackageFile.IDENTITY.equals(file.encoding()))
          || !(PackageFile.AES_256_GCM.equals(file.encryption()) || PackageFile.NO_ENCRYPTION.equals(file.encryption()))) {
        throw new IOException("the entry of " + file.path() + " is malformed");
      }
    }
    if (!paths.contains(PackagePaths.MANIFEST)) {
      throw new IOException("it lists no manifest.sha256");
    }
    // The checksum is the manifest's hash: the entry a reader checks the manifest against must agree.
    if (!fileEntry(m, PackagePaths.MANIFEST, checkpointId).sha256().equals(m.integrityValidation().checksum().substring(7))) {
      throw new IOException("the manifest.sha256 entry and integrity_validation.checksum disagree");
    }
  }

  private static final class CountingInputStream extends java.io.FilterInputStream {
    long count;

    CountingInputStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
