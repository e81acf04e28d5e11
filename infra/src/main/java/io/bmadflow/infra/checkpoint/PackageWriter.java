package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Writes checkpoint packages in the order the commit protocol of {@link CheckpointStore} needs:
 * a create-only claim on the id, the content objects (gzip, client-side encryption, multipart
 * streaming for large files, references to unchanged objects of the parent), the manifest, the
 * staging record, and last the metadata, create-only, which makes the package visible.
 *
 * <p>Every step is idempotent: a retry finds its own objects and goes on, a writer with other
 * content under the same id gets a {@link CheckpointStoreException.Conflict}.
 */
final class PackageWriter {
  private static final Logger log = LoggerFactory.getLogger(PackageWriter.class);
  private static final String JSON = "application/json";

  private final S3Objects objects;
  private final S3Settings settings;
  private final StoreOptions options;
  private final PackageReader reader;
  private final CheckpointRegistry registry;

  PackageWriter(S3Objects objects, StoreOptions options, PackageReader reader, CheckpointRegistry registry) {
    this.objects = objects;
    this.settings = objects.settings();
    this.options = options;
    this.reader = reader;
    this.registry = registry;
  }


  /**
   * Stores a package's content (claim, objects, manifest) and its staging record, without the
   * metadata: invisible to readers until {@link #publish}. Idempotent.
   */
  CheckpointStore.Staged stage(CheckpointStore.CommitRequest request) {
    String projectId = ProjectIds.requireValid(request.projectId());
    String checkpointId = CheckpointIds.requireValid(request.checkpointId());
    String base = PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId);
    Set<String> seen = new HashSet<>();
    for (PackageSource file : request.files()) {
      String path = PackagePaths.requireSafe(file.path());
      if (path.equals(PackagePaths.METADATA) || path.equals(PackagePaths.MANIFEST) || path.equals(PackagePaths.CLAIM)
          || path.equals(PackagePaths.STAGED)) {
        throw new IllegalArgumentException("package path '" + path + "' is reserved; the store writes it itself");
      }
      if (!seen.add(path)) {
        throw new IllegalArgumentException("package path '" + path + "' appears twice");
      }
    }

    // Pass 1: hash the logical content (streamed), which fixes the manifest and the checksum.
    Map<String, Sha256.Sum> sums = new TreeMap<>();
    for (PackageSource file : request.files()) {
      try (InputStream in = file.content().open()) {
        sums.put(file.path(), Sha256.of(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file.path() + " for checkpoint " + checkpointId + ": " + e.getMessage(), e);
      }
    }
    Map<String, String> hashes = new TreeMap<>();
    sums.forEach((path, sum) -> hashes.put(path, sum.hex()));
    byte[] manifestBytes = PackageManifest.of(hashes).toBytes();
    String checksum = "sha256:" + Sha256.hex(manifestBytes);

    CheckpointMetadata existing = reader.existingMetadata(projectId, checkpointId);
    if (existing != null) {
      return new CheckpointStore.Staged(checksum, sameOrConflict(checkpointId, existing, checksum, request.requestSha256()),
          existing.storageMetadata().storedBytes());
    }

    claim(base, checkpointId, checksum);

    // The parent decides what can be referenced instead of written.
    Lineage lineage = lineage(projectId, checkpointId, request.parentCheckpointId());
    Map<String, PackageFile> entries = new TreeMap<>();
    Map<String, Future<PackageFile>> uploads = new TreeMap<>();
    for (PackageSource file : request.files()) {
      Sha256.Sum sum = sums.get(file.path());
      PackageFile inherited = lineage.files().get(file.path());
      if (inherited != null && inherited.sha256().equals(sum.hex()) && inherited.size() == sum.size()) {
        entries.put(file.path(), inherited);
      } else if (sum.size() > options.multipartThreshold()) {
        entries.put(file.path(), store(base, file, sum, checkpointId)); // Large: streamed, one at a time.
      } else {
        uploads.put(file.path(), UPLOADS.submit(() -> store(base, file, sum, checkpointId)));
      }
    }
    uploads.put(PackagePaths.MANIFEST, UPLOADS.submit(() -> putPlain(base, PackagePaths.MANIFEST, manifestBytes, "text/plain", checkpointId)));
    long written = entries.values().stream().filter(f -> f.storedIn().equals(checkpointId)).mapToLong(PackageFile::storedSize).sum();
    for (var upload : uploads.entrySet()) {
      PackageFile stored = await(upload.getValue());
      entries.put(upload.getKey(), stored);
      written += stored.storedSize();
    }

    long logical = entries.values().stream().mapToLong(PackageFile::size).sum();
    long storedTotal = entries.values().stream().mapToLong(PackageFile::storedSize).sum();
    Set<String> references = new TreeSet<>();
    entries.values().stream().map(PackageFile::storedIn).filter(id -> !id.equals(checkpointId)).forEach(references::add);
    StagedDigest digest = new StagedDigest(checksum, List.copyOf(entries.values()), logical, storedTotal, written,
        lineage.parentId(), lineage.depth(), List.copyOf(references));
    objects.put(base + PackagePaths.STAGED, PackageJson.write(digest), JSON, null, null);
    return new CheckpointStore.Staged(checksum, null, storedTotal);
  }

  /**
   * Commits a staged package: writes its metadata (create-only), asks for a legal hold when it is
   * critical, and registers it. Idempotent: a committed package with the same content or request
   * is returned as it is.
   */
  CheckpointStore.CommitResult publish(String projectId, String checkpointId, String requestSha256,
      Function<PackageDigest, CheckpointMetadata> metadata) {
    String base = PackagePaths.packagePrefix(settings.prefix(), ProjectIds.requireValid(projectId), CheckpointIds.requireValid(checkpointId));
    StagedDigest digest = StagedDigest.read(objects, projectId, checkpointId);
    CheckpointMetadata existing = reader.existingMetadata(projectId, checkpointId);
    if (existing != null) {
      return new CheckpointStore.CommitResult(sameOrConflict(checkpointId, existing, digest.checksum(), requestSha256), true, List.of());
    }
    MetadataSeal.Sealed sealed = MetadataSeal.seal(metadata.apply(new PackageDigest(
        digest.checksum(), digest.files(), digest.logicalBytes(), digest.storedBytes(), digest.bytesWritten(),
        reader.location(projectId, checkpointId), digest.parentCheckpointId(), digest.incrementalDepth(), digest.references(),
        options.retention())), options.signing());
    CheckpointMetadata built = sealed.metadata();
    byte[] metadataBytes = sealed.bytes();
    try {
      objects.put(base + PackagePaths.METADATA, metadataBytes, JSON, "*", null);
    } catch (S3Objects.PreconditionFailed raced) {
      // The key exists: our own put landed and the client retried it, or another writer won.
      byte[] stored = objects.get(base + PackagePaths.METADATA);
      if (!java.util.Arrays.equals(stored, metadataBytes)) {
        CheckpointMetadata winner = reader.existingMetadata(projectId, checkpointId);
        return new CheckpointStore.CommitResult(sameOrConflict(checkpointId, winner, digest.checksum(), requestSha256), true, List.of());
      }
    }
    List<String> warnings = new ArrayList<>();
    if ("critical".equals(built.checkpointMetadata().priority())) {
      legalHold(base, digest.files(), checkpointId, warnings);
    }
    registry.add(projectId, CheckpointSummary.of(built));
    log.info("checkpoint {} committed at {} ({} files, {} bytes written{})", checkpointId,
        reader.location(projectId, checkpointId), digest.files().size() + 1, digest.bytesWritten() + metadataBytes.length,
        digest.parentCheckpointId() == null ? ", full" : ", incremental to " + digest.parentCheckpointId());
    return new CheckpointStore.CommitResult(built, false, warnings);
  }

  /**
   * Checks a staged package's objects against its staging record, before it is committed; the
   * same checks {@link #verify} makes of a committed one.
   */

  /** Small objects upload in parallel: a commit costs round trips, not bandwidth. */
  private static final ExecutorService UPLOADS = Executors.newFixedThreadPool(4, runnable -> {
    Thread thread = new Thread(runnable, "bmadflow-checkpoint-upload");
    thread.setDaemon(true);
    return thread;
  });

  private static PackageFile await(Future<PackageFile> upload) {
    try {
      return upload.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CheckpointStoreException("interrupted while uploading a checkpoint");
    }
  }

  /**
   * Claims the checkpoint id for this content before anything is written: a create-only
   * {@code .claim} object holding the content's checksum. A retry of the same content finds its
   * own claim and goes on; a writer with other content is refused before it writes a byte, so
   * two racing writers never mix their objects: one wins, the other gets a Conflict.
   */
  private void claim(String base, String checkpointId, String checksum) {
    byte[] token = checksum.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      objects.put(base + PackagePaths.CLAIM, token, "text/plain", "*", null);
    } catch (S3Objects.PreconditionFailed taken) {
      byte[] holder = objects.get(base + PackagePaths.CLAIM);
      if (holder != null && !java.util.Arrays.equals(holder, token)) {
        throw new CheckpointStoreException.Conflict(
            "checkpoint " + checkpointId + " is being written by another writer with other content ("
                + new String(holder, java.nio.charset.StandardCharsets.UTF_8) + ", ours " + checksum
                + "); committed or not, a checkpoint id holds one content only: take a new checkpoint id");
      }
    }
  }

  /** The parent's files, resolved to the package that holds each object, and the chain depth. */
  private record Lineage(String parentId, int depth, Map<String, PackageFile> files) {}

  private Lineage lineage(String projectId, String checkpointId, String parentId) {
    if (parentId == null || options.fullEvery() == 0) {
      return new Lineage(null, 0, Map.of());
    }
    CheckpointIds.requireValid(parentId);
    CheckpointMetadata parent;
    try {
      parent = reader.existingMetadata(projectId, parentId);
    } catch (CheckpointStoreException.Corrupt e) {
      log.warn("checkpoint {}: parent {} is corrupt, writing a full checkpoint ({})", checkpointId, parentId, e.getMessage());
      return new Lineage(null, 0, Map.of());
    }
    if (parent == null) {
      log.warn("checkpoint {}: parent {} does not exist, writing a full checkpoint", checkpointId, parentId);
      return new Lineage(null, 0, Map.of());
    }
    int depth = parent.storageMetadata().incrementalDepth() + 1;
    if (depth > options.fullEvery()) {
      return new Lineage(null, 0, Map.of()); // A full checkpoint every N incrementals bounds chains.
    }
    Map<String, PackageFile> files = new HashMap<>();
    for (PackageFile file : parent.integrityValidation().files()) {
      if (!file.path().equals(PackagePaths.MANIFEST)) {
        files.put(file.path(), file);
      }
    }
    return new Lineage(parentId, depth, files);
  }

  /**
   * Encodes (gzip, encryption) and uploads one content file, create-only. A file over the multipart
   * threshold streams (encrypted or not), so its size is bounded by nothing but S3's; a smaller one
   * is encoded in memory. Either way the content read must be what pass 1 hashed.
   */
  private PackageFile store(String base, PackageSource file, Sha256.Sum sum, String checkpointId) {
    String key = base + file.path();
    try {
      if (sum.size() > options.multipartThreshold()) {
        return storeStreaming(key, file, sum, checkpointId);
      }
      byte[] logical;
      try (InputStream in = file.content().open()) {
        logical = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, sum.size() + 1)); // One byte more shows it grew.
      }
      if (logical.length != sum.size() || !Sha256.hex(logical).equals(sum.hex())) {
        throw changed(file, checkpointId);
      }
      String encoding = PackageFile.IDENTITY;
      byte[] encoded = logical;
      if (options.compress()) {
        byte[] gz = FastGzipOutputStream.gzip(logical);
        if (gz.length < logical.length) {
          encoding = PackageFile.GZIP;
          encoded = gz;
        }
      }
      String encryption = options.cipher() == null ? PackageFile.NO_ENCRYPTION : PackageFile.AES_256_GCM;
      byte[] stored = options.cipher() == null ? encoded : options.cipher().encrypt(encoded, PackageReader.objectAad(file.path()));
      PackageFile entry = new PackageFile(file.path(), sum.size(), sum.hex(), stored.length, Sha256.hex(stored),
          encoding, encryption, checkpointId);
      try {
        objects.put(key, stored, contentType(file.path()), "*", null);
        return entry;
      } catch (S3Objects.PreconditionFailed exists) {
        return adoptExisting(key, entry, checkpointId);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot store " + file.path() + " of checkpoint " + checkpointId + ": " + e.getMessage(), e);
    }
  }

  private static UncheckedIOException changed(PackageSource file, String checkpointId) {
    return new UncheckedIOException(new IOException("cannot store " + file.path() + " of checkpoint " + checkpointId
        + ": it changed while it was being captured (its size or SHA-256 differs from the first read); capture again"
        + " once nothing writes to it"));
  }

  /**
   * Streams one large file through gzip and encryption into a multipart upload: memory stays at a
   * part and a few buffers whatever the file's size.
   */
  private PackageFile storeStreaming(String key, PackageSource file, Sha256.Sum sum, String checkpointId) throws IOException {
    String encoding = options.compress() ? PackageFile.GZIP : PackageFile.IDENTITY;
    String encryption = options.cipher() == null ? PackageFile.NO_ENCRYPTION : PackageFile.AES_256_GCM;
    if (options.cipher() != null && sum.size() > ContentCipher.MAX_PLAINTEXT) {
      throw new IllegalArgumentException("cannot store " + file.path() + " of checkpoint " + checkpointId + ": it is "
          + sum.size() + " bytes and one AES-256-GCM object holds at most " + ContentCipher.MAX_PLAINTEXT
          + " bytes; leave it out of the workspace or unset BMADFLOW_ENCRYPTION_KEY");
    }
    S3Objects.MultipartOutput upload;
    try {
      upload = objects.startMultipart(key, contentType(file.path()), options.partSize());
    } catch (S3Objects.PreconditionFailed exists) {
      PackageFile expected = new PackageFile(file.path(), sum.size(), sum.hex(), -1, null, encoding,
          encryption, checkpointId);
      return adoptExisting(key, expected, checkpointId);
    }
    MessageDigest storedDigest = Sha256.newDigest();
    MessageDigest logicalDigest = Sha256.newDigest();
    CountingOutputStream counted = new CountingOutputStream(new DigestOutputStream(upload, storedDigest));
    long read;
    try (InputStream in = new java.security.DigestInputStream(file.content().open(), logicalDigest)) {
      OutputStream encrypted = options.cipher() == null ? counted
          : options.cipher().encrypting(counted, PackageReader.objectAad(file.path()));
      OutputStream encoder = options.compress() ? new FastGzipOutputStream(encrypted, 64 * 1024) : encrypted;
      read = in.transferTo(encoder);
      if (read != sum.size() || !HexFormat.of().formatHex(logicalDigest.digest()).equals(sum.hex())) {
        throw changed(file, checkpointId);
      }
      encoder.close(); // Finishes gzip and encryption and completes the upload.
    } catch (IOException | RuntimeException e) {
      upload.abort();
      throw e;
    }
    return new PackageFile(file.path(), sum.size(), sum.hex(), counted.count,
        HexFormat.of().formatHex(storedDigest.digest()), encoding, encryption, checkpointId);
  }

  /**
   * An object already exists at the key: a crashed or concurrent attempt wrote it. Keep it when it
   * decodes to our content (so retries are idempotent), else refuse: someone else owns the id. The
   * object streams through the reader's checks, so its size costs no memory.
   */
  private PackageFile adoptExisting(String key, PackageFile expected, String checkpointId) {
    try {
      PackageReader.Stored stored = reader.checkExisting(key, expected, checkpointId);
      return new PackageFile(expected.path(), expected.size(), expected.sha256(), stored.size(), stored.sha256(),
          expected.encoding(), expected.encryption(), checkpointId);
    } catch (CheckpointStoreException.Corrupt different) {
      throw new CheckpointStoreException.Conflict(
          "checkpoint " + checkpointId + ": " + expected.path() + " already exists in storage with other content;"
              + " another writer is writing this checkpoint id. Committed packages are never overwritten;"
              + " take a new checkpoint id");
    }
  }

  private PackageFile putPlain(String base, String path, byte[] bytes, String contentType, String checkpointId) {
    PackageFile entry = new PackageFile(path, bytes.length, Sha256.hex(bytes), bytes.length, Sha256.hex(bytes),
        PackageFile.IDENTITY, PackageFile.NO_ENCRYPTION, checkpointId);
    try {
      objects.put(base + path, bytes, contentType, "*", null);
      return entry;
    } catch (S3Objects.PreconditionFailed exists) {
      return adoptExisting(base + path, entry, checkpointId);
    }
  }

  private void legalHold(String base, java.util.Collection<PackageFile> files, String checkpointId, List<String> warnings) {
    List<String> keys = new ArrayList<>();
    files.stream().filter(f -> f.storedIn().equals(checkpointId)).forEach(f -> keys.add(base + f.path()));
    keys.add(base + PackagePaths.METADATA);
    try {
      for (String key : keys) {
        objects.legalHold(key);
      }
    } catch (S3Exception | UnsupportedOperationException e) {
      String warning = "checkpoint " + checkpointId + " is critical but bucket " + settings.bucket()
          + " does not support Object Lock legal holds (" + (e instanceof S3Exception s3e ? "S3 " + s3e.statusCode() : e.getMessage())
          + "); enable Object Lock on the bucket to protect critical checkpoints";
      log.warn(warning);
      warnings.add(warning);
    }
  }

  private static CheckpointMetadata sameOrConflict(
      String checkpointId, CheckpointMetadata existing, String checksum, String requestSha256) {
    if (existing != null && (checksum.equals(existing.integrityValidation().checksum())
        || (requestSha256 != null && requestSha256.equals(existing.checkpointMetadata().requestSha256())))) {
      return existing;
    }
    throw new CheckpointStoreException.Conflict(
        "checkpoint " + checkpointId + " is already committed with different content ("
            + (existing == null ? "unreadable" : existing.integrityValidation().checksum())
            + ", new " + checksum + "); committed packages are never overwritten, take a new checkpoint id");
  }

  private static String contentType(String path) {
    return path.endsWith(".json") ? JSON : path.endsWith(".md") ? "text/markdown" : "application/octet-stream";
  }

  private static final class CountingOutputStream extends java.io.FilterOutputStream {
    long count;

    CountingOutputStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
