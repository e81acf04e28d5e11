package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * {@link CheckpointStore} on an S3 bucket. See the interface for the commit protocol; this class
 * adds gzip compression, client-side encryption, incremental packages that reference unchanged
 * objects of their ancestors, multipart streaming for large files, the registry, retention and
 * Object Lock legal holds for critical checkpoints.
 */
public final class S3CheckpointStore implements CheckpointStore {
  private static final Logger log = LoggerFactory.getLogger(S3CheckpointStore.class);
  private static final String JSON = "application/json";
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  /** Uncommitted packages younger than this may still be in the middle of a commit. */
  static final Duration ORPHAN_GRACE = Duration.ofHours(1);

  private final S3Objects objects;
  private final S3Settings settings;
  private final StoreOptions options;
  private final CheckpointRegistry registry;

  public S3CheckpointStore(S3Client s3, S3Settings settings) {
    this(s3, settings, StoreOptions.defaults());
  }

  public S3CheckpointStore(S3Client s3, S3Settings settings, StoreOptions options) {
    this.objects = new S3Objects(s3, settings);
    this.settings = settings;
    this.options = options;
    this.registry = new CheckpointRegistry(objects, this::existingMetadata);
  }

  public S3Settings settings() {
    return settings;
  }

  public StoreOptions options() {
    return options;
  }

  // ---- commit ---------------------------------------------------------------------------------

  @Override
  public CommitResult commit(CommitRequest request) {
    Staged staged = stage(request);
    if (staged.committed() != null) {
      return new CommitResult(staged.committed(), true, List.of());
    }
    return publish(request.projectId(), request.checkpointId(), request.requestSha256(), request.metadata());
  }

  /**
   * The content of a package, stored but not committed: {@code committed} is the metadata when
   * the id was committed already (same content or request), else null; {@code storedBytes} the
   * package's stored size.
   */
  public record Staged(String checksum, CheckpointMetadata committed, long storedBytes) {}

  /**
   * What staging computed, kept beside the content as {@code .staged.json} so the commit step can
   * run as its own activity with only ids passing through workflow history.
   */
  record StagedDigest(String checksum, List<PackageFile> files, long logicalBytes, long storedBytes,
      long bytesWritten, String parentCheckpointId, int incrementalDepth, List<String> references) {}

  /**
   * Stores a package's content (claim, objects, manifest) and its staging record, without the
   * metadata: invisible to readers until {@link #publish}. Idempotent.
   */
  @Override
  public Staged stage(CommitRequest request) {
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

    CheckpointMetadata existing = existingMetadata(projectId, checkpointId);
    if (existing != null) {
      return new Staged(checksum, sameOrConflict(checkpointId, existing, checksum, request.requestSha256()),
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
    return new Staged(checksum, null, storedTotal);
  }

  /**
   * Commits a staged package: writes its metadata (create-only), asks for a legal hold when it is
   * critical, and registers it. Idempotent: a committed package with the same content or request
   * is returned as it is.
   */
  @Override
  public CommitResult publish(String projectId, String checkpointId, String requestSha256,
      java.util.function.Function<PackageDigest, CheckpointMetadata> metadata) {
    String base = PackagePaths.packagePrefix(settings.prefix(), ProjectIds.requireValid(projectId), CheckpointIds.requireValid(checkpointId));
    StagedDigest digest = stagedDigest(projectId, checkpointId);
    CheckpointMetadata existing = existingMetadata(projectId, checkpointId);
    if (existing != null) {
      return new CommitResult(sameOrConflict(checkpointId, existing, digest.checksum(), requestSha256), true, List.of());
    }
    CheckpointMetadata built = metadata.apply(new PackageDigest(
        digest.checksum(), digest.files(), digest.logicalBytes(), digest.storedBytes(), digest.bytesWritten(),
        location(projectId, checkpointId), digest.parentCheckpointId(), digest.incrementalDepth(), digest.references(),
        options.retention()));
    byte[] metadataBytes = PackageJson.write(built);
    try {
      objects.put(base + PackagePaths.METADATA, metadataBytes, JSON, "*", null);
    } catch (S3Objects.PreconditionFailed raced) {
      // The key exists: our own put landed and the client retried it, or another writer won.
      byte[] stored = objects.get(base + PackagePaths.METADATA);
      if (!java.util.Arrays.equals(stored, metadataBytes)) {
        CheckpointMetadata winner = existingMetadata(projectId, checkpointId);
        return new CommitResult(sameOrConflict(checkpointId, winner, digest.checksum(), requestSha256), true, List.of());
      }
    }
    List<String> warnings = new ArrayList<>();
    if ("critical".equals(built.checkpointMetadata().priority())) {
      legalHold(base, digest.files(), checkpointId, warnings);
    }
    registry.add(projectId, CheckpointSummary.of(built));
    log.info("checkpoint {} committed at {} ({} files, {} bytes written{})", checkpointId,
        location(projectId, checkpointId), digest.files().size() + 1, digest.bytesWritten() + metadataBytes.length,
        digest.parentCheckpointId() == null ? ", full" : ", incremental to " + digest.parentCheckpointId());
    return new CommitResult(built, false, warnings);
  }

  /**
   * Checks a staged package's objects against its staging record, before it is committed; the
   * same checks {@link #verify} makes of a committed one.
   */
  @Override
  public VerificationReport verifyStaged(String projectId, String checkpointId) {
    StagedDigest digest = stagedDigest(projectId, checkpointId);
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

  private StagedDigest stagedDigest(String projectId, String checkpointId) {
    String key = PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId) + PackagePaths.STAGED;
    byte[] bytes = objects.get(key);
    if (bytes == null) {
      throw new CheckpointStoreException.NotFound("checkpoint " + checkpointId + " of " + projectId
          + " was never staged (no " + PackagePaths.STAGED + "); capture it first");
    }
    try {
      return PackageJson.read(bytes, StagedDigest.class);
    } catch (IOException e) {
      throw new CheckpointStoreException.Corrupt("checkpoint " + checkpointId + ": " + PackagePaths.STAGED + " is not valid ("
          + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + "); capture it again under a new id", e);
    }
  }

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
      parent = existingMetadata(projectId, parentId);
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

  /** Encodes (gzip, encryption) and uploads one content file, create-only. */
  private PackageFile store(String base, PackageSource file, Sha256.Sum sum, String checkpointId) {
    String key = base + file.path();
    boolean stream = sum.size() > options.multipartThreshold() && options.cipher() == null;
    try {
      if (stream) {
        return storeStreaming(key, file, sum, checkpointId);
      }
      byte[] logical;
      try (InputStream in = file.content().open()) {
        logical = in.readAllBytes();
      }
      String encoding = PackageFile.IDENTITY;
      byte[] encoded = logical;
      if (options.compress()) {
        byte[] gz = gzip(logical);
        if (gz.length < logical.length) {
          encoding = PackageFile.GZIP;
          encoded = gz;
        }
      }
      String encryption = options.cipher() == null ? PackageFile.NO_ENCRYPTION : PackageFile.AES_256_GCM;
      byte[] stored = options.cipher() == null ? encoded : options.cipher().encrypt(encoded, objectAad(file.path()));
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

  private PackageFile storeStreaming(String key, PackageSource file, Sha256.Sum sum, String checkpointId) throws IOException {
    String encoding = options.compress() ? PackageFile.GZIP : PackageFile.IDENTITY;
    S3Objects.MultipartOutput upload;
    try {
      upload = objects.startMultipart(key, contentType(file.path()), options.partSize());
    } catch (S3Objects.PreconditionFailed exists) {
      PackageFile expected = new PackageFile(file.path(), sum.size(), sum.hex(), -1, null, encoding,
          PackageFile.NO_ENCRYPTION, checkpointId);
      return adoptExisting(key, expected, checkpointId);
    }
    MessageDigest storedDigest = Sha256.newDigest();
    CountingOutputStream counted = new CountingOutputStream(new DigestOutputStream(upload, storedDigest));
    try (InputStream in = file.content().open()) {
      OutputStream encoder = options.compress() ? new FastGzipOutputStream(counted, 64 * 1024) : counted;
      in.transferTo(encoder);
      encoder.close(); // Finishes gzip and completes the upload.
    } catch (IOException | RuntimeException e) {
      upload.abort();
      throw e;
    }
    return new PackageFile(file.path(), sum.size(), sum.hex(), counted.count,
        HexFormat.of().formatHex(storedDigest.digest()), encoding, PackageFile.NO_ENCRYPTION, checkpointId);
  }

  /**
   * An object already exists at the key: a crashed or concurrent attempt wrote it. Keep it when it
   * decodes to our content (so retries are idempotent), else refuse: someone else owns the id.
   */
  private PackageFile adoptExisting(String key, PackageFile expected, String checkpointId) {
    byte[] stored = objects.get(key);
    if (stored != null) {
      PackageFile actual = new PackageFile(expected.path(), expected.size(), expected.sha256(), stored.length,
          Sha256.hex(stored), expected.encoding(), expected.encryption(), checkpointId);
      try {
        decode(actual, stored, checkpointId);
        return actual;
      } catch (CheckpointStoreException.Corrupt different) {
        // Falls through to the conflict below.
      }
    }
    throw new CheckpointStoreException.Conflict(
        "checkpoint " + checkpointId + ": " + expected.path() + " already exists in storage with other content;"
            + " another writer is writing this checkpoint id. Committed packages are never overwritten;"
            + " take a new checkpoint id");
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

  // ---- read -----------------------------------------------------------------------------------

  @Override
  public List<CheckpointSummary> list(String projectId) {
    return registry.list(ProjectIds.requireValid(projectId));
  }

  @Override
  public CheckpointMetadata metadata(String projectId, String checkpointId) {
    CheckpointMetadata metadata = existingMetadata(projectId, checkpointId);
    if (metadata == null) {
      throw new CheckpointStoreException.NotFound(
          "checkpoint " + checkpointId + " of project " + projectId + " does not exist at "
              + location(projectId, checkpointId)
              + "; run `bmadflow checkpoint list --project " + projectId + "` to see the ones that do");
    }
    return metadata;
  }

  @Override
  public VerificationReport verify(String projectId, String checkpointId) {
    List<VerificationReport.FileCheck> checks = new ArrayList<>();
    CheckpointMetadata metadata;
    try {
      metadata = metadata(projectId, checkpointId);
      checks.add(new VerificationReport.FileCheck(PackagePaths.METADATA, true, null));
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

  @Override
  public byte[] readFile(String projectId, String checkpointId, String path) {
    PackagePaths.requireSafe(path);
    CheckpointMetadata metadata = metadata(projectId, checkpointId);
    return readChecked(projectId, checkpointId, fileEntry(metadata, path, checkpointId));
  }

  @Override
  public void copyFile(String projectId, String checkpointId, String path, OutputStream sink) {
    PackagePaths.requireSafe(path);
    CheckpointMetadata metadata = metadata(projectId, checkpointId);
    copyChecked(projectId, checkpointId, fileEntry(metadata, path, checkpointId), sink);
  }

  @Override
  public String location(String projectId, String checkpointId) {
    return "s3://" + settings.bucket() + "/" + PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId);
  }

  // ---- recoveries ------------------------------------------------------------------------------

  /** Marks a recovery file stored encrypted: its first bytes. */
  private static final byte[] ENCRYPTED_MARK = "BMADFLOW-AES-GCM\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  @Override
  public void putRecoveryFile(String projectId, String recoveryId, String path, byte[] bytes, boolean sensitive) {
    PackagePaths.requireSafe(path);
    String key = PackagePaths.recoveryPrefix(settings.prefix(), projectId, recoveryId) + path;
    byte[] stored = bytes;
    if (sensitive && options.cipher() != null) {
      byte[] sealed = options.cipher().encrypt(bytes, "recoveries/" + recoveryId + "/" + path);
      stored = new byte[ENCRYPTED_MARK.length + sealed.length];
      System.arraycopy(ENCRYPTED_MARK, 0, stored, 0, ENCRYPTED_MARK.length);
      System.arraycopy(sealed, 0, stored, ENCRYPTED_MARK.length, sealed.length);
    }
    objects.put(key, stored, path.endsWith(".json") ? "application/json" : path.endsWith(".md") ? "text/markdown"
        : "application/octet-stream", null, null);
  }

  @Override
  public byte[] readRecoveryFile(String projectId, String recoveryId, String path) {
    PackagePaths.requireSafe(path);
    byte[] stored = objects.get(PackagePaths.recoveryPrefix(settings.prefix(), projectId, recoveryId) + path);
    if (stored == null || stored.length < ENCRYPTED_MARK.length
        || !java.util.Arrays.equals(stored, 0, ENCRYPTED_MARK.length, ENCRYPTED_MARK, 0, ENCRYPTED_MARK.length)) {
      return stored;
    }
    if (options.cipher() == null) {
      throw new CheckpointStoreException.Corrupt("recovery " + recoveryId + " file " + path
          + " is encrypted; set the same BMADFLOW_ENCRYPTION_KEY to read it");
    }
    return options.cipher().decrypt(java.util.Arrays.copyOfRange(stored, ENCRYPTED_MARK.length, stored.length),
        "recoveries/" + recoveryId + "/" + path);
  }

  @Override
  public List<String> recoveries(String projectId) {
    String prefix = settings.prefix() + ProjectIds.requireValid(projectId) + "/docs/state/recoveries/";
    return objects.childPrefixes(prefix, null).stream()
        .map(p -> p.substring(prefix.length(), p.length() - 1))
        .filter(io.bmadflow.workflows.recovery.RecoveryIds::isValid)
        .sorted()
        .toList();
  }

  @Override
  public String projectOfRecovery(String recoveryId) {
    io.bmadflow.workflows.recovery.RecoveryIds.requireValid(recoveryId);
    for (String project : projects()) {
      if (objects.head(PackagePaths.recoveryPrefix(settings.prefix(), project, recoveryId) + "recovery-report.json")) {
        return project;
      }
    }
    return null;
  }

  @Override
  public List<String> projects() {
    return objects.childPrefixes(settings.prefix(), null).stream()
        .map(p -> p.substring(settings.prefix().length(), p.length() - 1))
        .filter(p -> ProjectIds.problem(p) == null)
        .sorted()
        .toList();
  }

  /** Drill run ids: {@code drill-YYYYMMDD-HHMMSS-<scenario>-<n>}. */
  private static final java.util.regex.Pattern DRILL_RUN = java.util.regex.Pattern.compile("drill-\\d{8}-\\d{6}-[a-z-]{1,40}-\\d{1,6}");

  private String drillKey(String drillRunId, String path) {
    if (drillRunId == null || !DRILL_RUN.matcher(drillRunId).matches()) {
      throw new IllegalArgumentException("drill run id '" + drillRunId + "' is not valid (drill-YYYYMMDD-HHMMSS-<scenario>-<n>)");
    }
    return settings.prefix() + "_drills/" + drillRunId + "/" + PackagePaths.requireSafe(path);
  }

  @Override
  public void putDrillFile(String drillRunId, String path, byte[] bytes) {
    objects.put(drillKey(drillRunId, path), bytes, path.endsWith(".json") ? "application/json" : "text/markdown", null, null);
  }

  @Override
  public byte[] readDrillFile(String drillRunId, String path) {
    return objects.get(drillKey(drillRunId, path));
  }

  @Override
  public List<String> drillRuns() {
    String prefix = settings.prefix() + "_drills/";
    return objects.childPrefixes(prefix, null).stream()
        .map(p -> p.substring(prefix.length(), p.length() - 1))
        .filter(id -> DRILL_RUN.matcher(id).matches())
        .sorted()
        .toList();
  }

  @Override
  public String recoveryLocation(String projectId, String recoveryId) {
    return "s3://" + settings.bucket() + "/" + PackagePaths.recoveryPrefix(settings.prefix(), projectId, recoveryId);
  }

  @Override
  public void checkAccess() {
    objects.checkAccess();
  }

  private PackageFile fileEntry(CheckpointMetadata metadata, String path, String checkpointId) {
    return metadata.integrityValidation().files().stream()
        .filter(f -> f.path().equals(path))
        .findFirst()
        .orElseThrow(() -> new CheckpointStoreException.NotFound("checkpoint " + checkpointId + " has no file " + path));
  }

  private String objectKey(String projectId, PackageFile file) {
    return PackagePaths.packagePrefix(settings.prefix(), projectId, file.storedIn()) + file.path();
  }

  /** The object's path as the cipher binds it: the file's path inside its package. */
  private static String objectAad(String path) {
    return path;
  }

  /** Reads a whole object and checks it; for files that fit in memory. */
  private byte[] readChecked(String projectId, String checkpointId, PackageFile file) {
    byte[] stored = objects.get(objectKey(projectId, file));
    if (stored == null) {
      throw missing(checkpointId, file);
    }
    return decode(file, stored, checkpointId);
  }

  /** Checks the stored bytes, then decrypts, decompresses and checks the logical content. */
  private byte[] decode(PackageFile file, byte[] stored, String checkpointId) {
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
  private void copyChecked(String projectId, String checkpointId, PackageFile file, OutputStream sink) {
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

  /** Reads and strictly checks a package's metadata, or returns null when there is none. */
  private CheckpointMetadata existingMetadata(String projectId, String checkpointId) {
    String key = PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId) + PackagePaths.METADATA;
    byte[] bytes = objects.get(key);
    if (bytes == null) {
      return null;
    }
    try {
      CheckpointMetadata metadata = PackageJson.read(bytes, CheckpointMetadata.class);
      checkMetadata(metadata, projectId, checkpointId);
      return metadata;
    } catch (IOException | RuntimeException e) {
      if (e instanceof CheckpointStoreException.Unavailable u) {
        throw u;
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

  // ---- retention ------------------------------------------------------------------------------

  @Override
  public PrunePlan planPrune(String projectId, Instant now) {
    List<CheckpointSummary> all = list(projectId);
    Map<String, PrunePlan.Decision> decisions = new LinkedHashMap<>();
    Set<String> kept = new HashSet<>();
    for (int i = 0; i < all.size(); i++) {
      CheckpointSummary c = all.get(i);
      String reason;
      boolean expired = c.expiresAt() != null && Instant.parse(c.expiresAt()).isBefore(now);
      if (i == all.size() - 1) {
        reason = "the newest checkpoint is always kept";
      } else if (c.expiresAt() == null) {
        reason = "kept permanently (" + c.retentionPolicy() + ")";
      } else if (!expired) {
        reason = "kept until " + c.expiresAt() + " (" + c.retentionPolicy() + ")";
      } else {
        decisions.put(c.checkpointId(), new PrunePlan.Decision(c.checkpointId(), true, "expired " + c.expiresAt() + " (" + c.retentionPolicy() + ")"));
        continue;
      }
      kept.add(c.checkpointId());
      decisions.put(c.checkpointId(), new PrunePlan.Decision(c.checkpointId(), false, reason));
    }
    // Anything a kept checkpoint references stays, whatever its age.
    for (CheckpointSummary c : all) {
      if (!kept.contains(c.checkpointId())) {
        continue;
      }
      for (String ref : c.references()) {
        PrunePlan.Decision d = decisions.get(ref);
        if (d != null && d.delete()) {
          decisions.put(ref, new PrunePlan.Decision(ref, false, "expired, but referenced by " + c.checkpointId()));
        }
      }
    }
    // Packages without metadata that are old enough are leftovers of crashed writers.
    String prefix = PackagePaths.projectCheckpointsPrefix(settings.prefix(), projectId);
    Set<String> committed = new HashSet<>(decisions.keySet());
    List<String> orphans = new ArrayList<>();
    for (String child : objects.childPrefixes(prefix, null)) {
      String id = child.substring(prefix.length(), child.length() - 1);
      if (committed.contains(id) || objects.head(child + PackagePaths.METADATA)) {
        continue;
      }
      List<S3Object> contents = objects.objects(child);
      boolean old = contents.stream().allMatch(o -> o.lastModified().isBefore(now.minus(ORPHAN_GRACE)));
      if (old) {
        orphans.add(child);
      }
    }
    return new PrunePlan(projectId, List.copyOf(decisions.values()), orphans);
  }

  @Override
  public PrunePlan prune(PrunePlan plan) {
    String projectId = plan.projectId();
    Set<String> deleted = new TreeSet<>();
    for (String id : plan.toDelete()) {
      String base = PackagePaths.packagePrefix(settings.prefix(), projectId, id);
      objects.delete(base + PackagePaths.METADATA); // Invisible first, then the rest.
      for (S3Object object : objects.objects(base)) {
        objects.delete(object.key());
      }
      deleted.add(id);
    }
    for (String orphan : plan.orphans()) {
      for (S3Object object : objects.objects(orphan)) {
        objects.delete(object.key());
      }
    }
    if (!deleted.isEmpty()) {
      registry.remove(projectId, deleted);
    }
    return plan;
  }

  // ---- helpers --------------------------------------------------------------------------------

  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, bytes.length / 3));
    try (GZIPOutputStream gz = new FastGzipOutputStream(out, 8192)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }

  private static String contentType(String path) {
    return path.endsWith(".json") ? JSON : path.endsWith(".md") ? "text/markdown" : "application/octet-stream";
  }

  /**
   * gzip at level 1: on package content it is several times faster than the default level for a
   * few percent more bytes (see docs/benchmarks.md), and a commit's cost is dominated by CPU at
   * the default level. Any gzip reader reads it.
   */
  private static final class FastGzipOutputStream extends GZIPOutputStream {
    FastGzipOutputStream(OutputStream out, int size) throws IOException {
      super(out, size);
      def.setLevel(java.util.zip.Deflater.BEST_SPEED);
    }
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
