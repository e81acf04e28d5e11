package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * Reads checkpoint packages back: their metadata, read strictly, and their files, each checked
 * against the sizes and SHA-256s the metadata records before a caller sees it.
 *
 * <p>Everything read from the bucket is untrusted: every file streams through the checks with
 * memory bounded by buffers (and, for {@link #readFile}, by the file's recorded size, which must be
 * under an in-memory limit); an object whose length differs from the recorded one is refused
 * before its body is read, gzip is expanded no further than the recorded size plus one byte, and
 * no object is read past its recorded stored size. Encrypted files are decrypted as they stream
 * with the store's cipher, gzip files decompressed; a check that fails at the end of the stream
 * throws there.
 */
final class PackageReader {
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  /** The largest {@code checkpoint-metadata.json} read: 16 MiB (bmadflow writes a few KiB per hundred files). */
  static final long METADATA_LIMIT = 16L * 1024 * 1024;

  /** The largest {@code manifest.sha256} read: 16 MiB (about 150,000 files). */
  static final long MANIFEST_LIMIT = 16L * 1024 * 1024;

  /**
   * The largest file {@link #readFile} returns as bytes: 64 MiB. Larger files stream through
   * {@link #copyFile}, whatever their size.
   */
  static final long IN_MEMORY_LIMIT = 64L * 1024 * 1024;

  private final S3Objects objects;
  private final S3Settings settings;
  private final StoreOptions options;

  private final long inMemoryLimit;
  private final long metadataLimit;

  PackageReader(S3Objects objects, StoreOptions options) {
    this(objects, options, IN_MEMORY_LIMIT, METADATA_LIMIT);
  }

  /**
   * A reader with other limits, for tests.
   *
   * @param inMemoryLimit the largest file {@link #readFile} returns as bytes
   * @param metadataLimit the largest metadata object read
   */
  PackageReader(S3Objects objects, StoreOptions options, long inMemoryLimit, long metadataLimit) {
    this.objects = objects;
    this.settings = objects.settings();
    this.options = options;
    this.inMemoryLimit = inMemoryLimit;
    this.metadataLimit = metadataLimit;
  }

  /** The metadata of a committed package, read strictly; throws NotFound when there is none. */
  CheckpointMetadata metadata(String projectId, String checkpointId) {
    return metadataRead(projectId, checkpointId).metadata();
  }

  /** The metadata of a committed package and its bytes; throws NotFound when there is none. */
  MetadataRead metadataRead(String projectId, String checkpointId) {
    MetadataRead metadata = existingMetadataRead(projectId, checkpointId);
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
      if (manifestFile.size() > MANIFEST_LIMIT) {
        throw corrupt(checkpointId, manifestFile, "is " + manifestFile.size() + " bytes, more than the " + MANIFEST_LIMIT
            + " bytes a manifest may be");
      }
      byte[] manifestBytes = readChecked(projectId, checkpointId, manifestFile, MANIFEST_LIMIT);
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

  /**
   * Reads one file of a committed package after checking its sizes and SHA-256s.
   *
   * @throws CheckpointStoreException when the file is larger than the in-memory limit (64 MiB by
   *     default), naming it and its size, before anything is downloaded; use {@link #copyFile}
   */
  byte[] readFile(String projectId, String checkpointId, String path) {
    PackagePaths.requireSafe(path);
    return readFile(metadata(projectId, checkpointId), path);
  }

  /** Reads one file of the package this metadata describes, without reading the metadata again. */
  byte[] readFile(CheckpointMetadata metadata, String path) {
    PackagePaths.requireSafe(path);
    String projectId = metadata.checkpointMetadata().projectId();
    String checkpointId = metadata.checkpointMetadata().checkpointId();
    return readChecked(projectId, checkpointId, fileEntry(metadata, path, checkpointId), inMemoryLimit);
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

  /**
   * Reads a whole file and checks it, for files that fit in memory: one whose recorded size is
   * over {@code limit} is refused before anything is downloaded (see {@link #readFile}).
   */
  byte[] readChecked(String projectId, String checkpointId, PackageFile file, long limit) {
    if (file.size() > limit) {
      throw new TooLargeForMemory("checkpoint " + checkpointId + ": " + file.path() + " is " + file.size()
          + " bytes, more than the " + limit + " bytes read into memory at once; stream it with copyFile instead");
    }
    CappedBuffer out = new CappedBuffer((int) file.size());
    copyChecked(projectId, checkpointId, file, out);
    return out.bytes();
  }

  /** A file is larger than a caller may read into memory; nothing was downloaded. */
  static final class TooLargeForMemory extends CheckpointStoreException {
    TooLargeForMemory(String message) {
      super(message);
    }
  }

  /** What a streamed read found in storage: the stored object's size and SHA-256. */
  record Stored(long size, String sha256) {}

  /**
   * Streams an object through the checks to {@code sink}, with memory bounded by buffers whatever
   * the object or the metadata say; see {@link #stream}.
   */
  void copyChecked(String projectId, String checkpointId, PackageFile file, OutputStream sink) {
    stream(objectKey(projectId, file), checkpointId, file, sink);
  }

  /**
   * Checks that the object at {@code key} decodes to {@code expected}'s logical content, whatever
   * its stored size and SHA-256 (a crashed writer's object, with its own nonce); returns them.
   *
   * @throws CheckpointStoreException.Corrupt when it is missing, too large or other content
   */
  Stored checkExisting(String key, PackageFile expected, String checkpointId) {
    PackageFile unknown = new PackageFile(expected.path(), expected.size(), expected.sha256(), -1, null,
        expected.encoding(), expected.encryption(), expected.storedIn());
    return stream(key, checkpointId, unknown, OutputStream.nullOutputStream());
  }

  /**
   * The one read path: checks the entry's sizes for plausibility and the object's length (from
   * the GetObject response) against the recorded stored size before the body is read, then
   * streams it through decryption and gzip with the stored bytes capped at the recorded size and
   * the logical bytes at the recorded size plus one, and checks sizes and SHA-256s at the end. An
   * entry with no recorded stored size ({@code -1}) gets {@link #maxStoredSize} as its cap.
   */
  private Stored stream(String key, String checkpointId, PackageFile file, OutputStream sink) {
    precheck(key, checkpointId, file);
    ResponseInputStream<GetObjectResponse> response = objects.open(key);
    if (response == null) {
      throw missing(checkpointId, file);
    }
    boolean whole = false;
    try {
      Stored stored = decodeChecked(response, response.response().contentLength(), key, checkpointId, file, sink);
      whole = true;
      return stored;
    } finally {
      if (!whole) {
        response.abort(); // Refused or failed: drop the connection rather than drain the rest.
      }
      S3Objects.closeQuietly(response);
    }
  }

  /** The checks of an entry that need no download: a key for it, plausible sizes. */
  private void precheck(String key, String checkpointId, PackageFile file) {
    if (PackageFile.AES_256_GCM.equals(file.encryption()) && options.cipher() == null) {
      throw corrupt(checkpointId, file, "is encrypted and BMADFLOW_ENCRYPTION_KEY is not set");
    }
    String implausible = implausible(file);
    if (implausible != null) {
      throw corrupt(checkpointId, file, implausible + " (object " + key + ")");
    }
  }

  /**
   * Decodes a stored object read from {@code raw} ({@code length} as S3 announced it, or null)
   * through the checks of {@link #stream} into {@code sink}; the part of a read that does not
   * talk to S3, which the fuzz tests drive directly.
   *
   * @throws CheckpointStoreException.Corrupt for any content that does not match {@code file}
   * @throws CheckpointStoreException.Unavailable when reading {@code raw} fails
   */
  Stored decodeChecked(InputStream raw, Long length, String key, String checkpointId, PackageFile file, OutputStream sink) {
    precheck(key, checkpointId, file);
    boolean encrypted = PackageFile.AES_256_GCM.equals(file.encryption());
    boolean gzip = PackageFile.GZIP.equals(file.encoding());
    long storedLimit = file.storedSize() >= 0 ? file.storedSize() : maxStoredSize(file.size());
    if (length != null && (file.storedSize() >= 0 ? length != file.storedSize() : length > storedLimit)) {
      throw corrupt(checkpointId, file, "size mismatch (the metadata records " + describe(file.storedSize())
          + ", the stored object " + key + " is " + length + " bytes); refused before reading it");
    }
    MessageDigest storedDigest = Sha256.newDigest();
    MessageDigest logicalDigest = Sha256.newDigest();
    CountingInputStream counted = new CountingInputStream(new DigestInputStream(raw, storedDigest), storedLimit);
    long logicalSize;
    String decodeProblem = null;
    try {
      InputStream decrypted = null;
      try {
        decrypted = encrypted ? options.cipher().decrypting(counted, objectAad(file.path())) : counted;
        InputStream decoded = gzip ? new GZIPInputStream(decrypted, 64 * 1024) : decrypted;
        logicalSize = copyAtMost(new DigestInputStream(decoded, logicalDigest), sink, file.size() + 1);
      } catch (IOException e) {
        if (counted.overLimit) {
          throw e;
        }
        // Decoding failed: a size or hash mismatch of the stored object, found below, says more,
        // and so does a tag that does not match (a wrong key makes gzip fail first).
        logicalSize = -1;
        decodeProblem = (gzip ? "is not valid gzip (" : "cannot be decoded (") + e.getMessage() + ")";
        if (encrypted) {
          decodeProblem = decryptionProblem(decrypted, e, decodeProblem);
        }
      }
      counted.transferTo(OutputStream.nullOutputStream()); // Hash any trailing stored bytes too, up to the cap.
    } catch (IOException e) {
      if (counted.overLimit) {
        throw corrupt(checkpointId, file, "size mismatch (the metadata records " + describe(file.storedSize())
            + ", the stored object " + key + " is more than " + storedLimit + " bytes); refused after " + storedLimit + " bytes");
      }
      throw new CheckpointStoreException.Unavailable("S3 get " + key + " failed while reading checkpoint " + checkpointId
          + " (" + e.getMessage() + "); check the connection to S3 and try again", e);
    }
    if (file.storedSize() >= 0 && counted.count != file.storedSize()) {
      throw corrupt(checkpointId, file, "size mismatch (expected " + file.storedSize() + " bytes, got " + counted.count
          + " from object " + key + ")");
    }
    String storedSha = HexFormat.of().formatHex(storedDigest.digest());
    if (file.storedSha256() != null && !storedSha.equals(file.storedSha256())) {
      throw corrupt(checkpointId, file, "sha256 mismatch (expected " + abbreviate(file.storedSha256()) + ", got " + abbreviate(storedSha) + ")");
    }
    if (decodeProblem != null) {
      throw corrupt(checkpointId, file, decodeProblem);
    }
    checkLogical(checkpointId, file, key, logicalSize, HexFormat.of().formatHex(logicalDigest.digest()));
    return new Stored(counted.count, storedSha);
  }

  /** The tag check's verdict when decoding an encrypted object failed, read to its end; else {@code otherwise}. */
  private static String decryptionProblem(InputStream decrypted, IOException failure, String otherwise) throws IOException {
    if (String.valueOf(failure.getMessage()).startsWith("cannot be decrypted")) {
      return failure.getMessage();
    }
    if (decrypted == null) {
      return "cannot be decrypted (" + failure.getMessage() + ")";
    }
    try {
      decrypted.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      if (String.valueOf(e.getMessage()).startsWith("cannot be decrypted")) {
        return e.getMessage();
      }
      throw e;
    }
    return otherwise;
  }

  /**
   * Deflate expands at most 1032 to 1: a gzip entry that claims more content than its stored
   * bytes can hold is refused before it is read (a decompression bomb, or a forged size).
   */
  static final long MAX_GZIP_RATIO = 1032;

  /** Why an entry's sizes cannot describe a real object, or null when they can. */
  static String implausible(PackageFile file) {
    if (file.storedSize() < 0) {
      return null;
    }
    boolean encrypted = PackageFile.AES_256_GCM.equals(file.encryption());
    long encoded = encrypted ? file.storedSize() - ContentCipher.OVERHEAD : file.storedSize();
    if (encoded < 0) {
      return "is " + file.storedSize() + " bytes, too short to be AES-256-GCM content";
    }
    if (PackageFile.GZIP.equals(file.encoding())) {
      if (file.size() / MAX_GZIP_RATIO > encoded) {
        return "claims " + file.size() + " bytes of content from " + encoded + " bytes of gzip, more than gzip can expand ("
            + MAX_GZIP_RATIO + " to 1)";
      }
    } else if (file.size() != encoded) {
      return "claims " + file.size() + " bytes of content but stores " + encoded + " bytes without compression";
    }
    return null;
  }

  /** The cap on an object whose stored size is not recorded: its content plus what gzip and encryption may add. */
  static long maxStoredSize(long size) {
    return size + size / 256 + 64 * 1024 + ContentCipher.OVERHEAD;
  }

  private static String describe(long storedSize) {
    return storedSize >= 0 ? storedSize + " bytes" : "no stored size";
  }

  /** Copies up to {@code limit} bytes; the sink's own failures come out as {@link java.io.UncheckedIOException}. */
  private static long copyAtMost(InputStream in, OutputStream out, long limit) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    for (int n; total < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - total))) > 0; ) {
      try {
        out.write(buffer, 0, n);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e); // The sink's failure, not the object's.
      }
      total += n;
    }
    return total;
  }

  /** An in-memory sink that holds the expected size and refuses to grow past it plus one byte. */
  private static final class CappedBuffer extends OutputStream {
    private final byte[] bytes;
    private int count;

    CappedBuffer(int expected) {
      this.bytes = new byte[expected];
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      // The read stops at the expected size plus one byte; that byte is only counted.
      int n = Math.min(len, bytes.length - count);
      System.arraycopy(b, off, bytes, count, n);
      count += n;
    }

    byte[] bytes() {
      return count == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, count);
    }
  }

  private void checkLogical(String checkpointId, PackageFile file, String key, long size, String sha) {
    if (size != file.size()) {
      throw corrupt(checkpointId, file, "content size mismatch (expected " + file.size() + " bytes, got "
          + (size > file.size() ? "more; decoding object " + key + " stopped there" : size) + ")");
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
    MetadataRead read = existingMetadataRead(projectId, checkpointId);
    return read == null ? null : read.metadata();
  }

  /**
   * The metadata of a committed package with the exact bytes it was read from, which passed every
   * check (what an export writes, so its digest and signature still hold).
   */
  record MetadataRead(CheckpointMetadata metadata, byte[] bytes) {}

  /** The metadata of a committed package and its bytes, read strictly, or null when there is none. */
  MetadataRead existingMetadataRead(String projectId, String checkpointId) {
    String key = PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId) + PackagePaths.METADATA;
    byte[] bytes;
    try {
      bytes = objects.get(key, metadataLimit);
    } catch (S3Objects.TooLarge e) {
      throw new CheckpointStoreException.Corrupt("checkpoint " + checkpointId + ": " + PackagePaths.METADATA
          + " is not valid (" + e.getMessage() + "); the package is corrupt, use an earlier checkpoint", e);
    }
    if (bytes == null) {
      return null;
    }
    try {
      MetadataSeal.Parsed parsed = MetadataSeal.parse(bytes, checkpointId);
      checkMetadata(parsed.metadata(), projectId, checkpointId);
      MetadataSeal.check(parsed, checkpointId, options.signing());
      return new MetadataRead(parsed.metadata(), bytes);
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

  /** Counts what passes and fails with {@link IOException} once more than {@code limit} bytes arrive. */
  private static final class CountingInputStream extends java.io.FilterInputStream {
    private final long limit;
    long count;
    boolean overLimit;

    CountingInputStream(InputStream in, long limit) {
      super(in);
      this.limit = limit;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (count >= limit) {
        // At the cap: anything more is over it.
        if (in.read() < 0) {
          return -1;
        }
        overLimit = true;
        throw new IOException("the object is larger than " + limit + " bytes");
      }
      int n = in.read(b, off, (int) Math.min(len, limit - count));
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      byte[] skipped = new byte[(int) Math.max(0, Math.min(n, 8192))];
      return Math.max(0, read(skipped, 0, skipped.length));
    }

    @Override
    public boolean markSupported() {
      return false;
    }
  }
}
