package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.workflows.ProjectIds;
import java.io.OutputStream;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@link CheckpointStore} on an S3 bucket. See the interface for the commit protocol; this class
 * adds gzip compression, client-side encryption, incremental packages that reference unchanged
 * objects of their ancestors, multipart streaming for large files, the registry, retention and
 * Object Lock legal holds for critical checkpoints.
 *
 * <p>It composes one part per role: {@link PackageWriter} (stage and commit),
 * {@link PackageReader} (metadata, verification and checked reads), {@link PackagePruner}
 * (retention and crashed writers' leftovers), {@link RecoveryRecords} (recovery and drill files)
 * and {@link CheckpointRegistry} (the per-project index).
 */
public final class S3CheckpointStore implements CheckpointStore {
  private final S3Objects objects;
  private final S3Settings settings;
  private final StoreOptions options;
  private final CheckpointRegistry registry;
  private final PackageReader reader;
  private final PackageWriter writer;
  private final PackagePruner pruner;
  private final RecoveryRecords records;

  public S3CheckpointStore(S3Client s3, S3Settings settings) {
    this(s3, settings, StoreOptions.defaults());
  }

  public S3CheckpointStore(S3Client s3, S3Settings settings, StoreOptions options) {
    this.objects = new S3Objects(s3, settings);
    this.settings = settings;
    this.options = options;
    this.reader = new PackageReader(objects, options);
    this.registry = new CheckpointRegistry(objects, reader::existingMetadata);
    this.writer = new PackageWriter(objects, options, reader, registry);
    this.pruner = new PackagePruner(objects, registry);
    this.records = new RecoveryRecords(objects, options);
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
   * Stores a package's content (claim, objects, manifest) and its staging record, without the
   * metadata: invisible to readers until {@link #publish}. Idempotent.
   */
  @Override
  public Staged stage(CommitRequest request) {
    return writer.stage(request);
  }

  /**
   * Commits a staged package: writes its metadata (create-only), asks for a legal hold when it is
   * critical, and registers it. Idempotent: a committed package with the same content or request
   * is returned as it is.
   */
  @Override
  public CommitResult publish(String projectId, String checkpointId, String requestSha256,
      Function<PackageDigest, CheckpointMetadata> metadata) {
    return writer.publish(projectId, checkpointId, requestSha256, metadata);
  }

  /**
   * Checks a staged package's objects against its staging record, before it is committed; the
   * same checks {@link #verify} makes of a committed one.
   */
  @Override
  public VerificationReport verifyStaged(String projectId, String checkpointId) {
    return reader.verifyStaged(projectId, checkpointId);
  }

  // ---- read -----------------------------------------------------------------------------------

  @Override
  public List<CheckpointSummary> list(String projectId) {
    return registry.list(ProjectIds.requireValid(projectId));
  }

  @Override
  public CheckpointMetadata metadata(String projectId, String checkpointId) {
    return reader.metadata(projectId, checkpointId);
  }

  @Override
  public StoredCheckpoint open(String projectId, String checkpointId) {
    return new StoredCheckpoint(reader, reader.metadataRead(projectId, checkpointId));
  }

  @Override
  public VerificationReport verify(String projectId, String checkpointId) {
    return reader.verify(projectId, checkpointId);
  }

  @Override
  public byte[] readFile(String projectId, String checkpointId, String path) {
    return reader.readFile(projectId, checkpointId, path);
  }

  @Override
  public void copyFile(String projectId, String checkpointId, String path, OutputStream sink) {
    reader.copyFile(projectId, checkpointId, path, sink);
  }

  @Override
  public String location(String projectId, String checkpointId) {
    return reader.location(projectId, checkpointId);
  }

  // ---- retention ------------------------------------------------------------------------------

  @Override
  public PrunePlan planPrune(String projectId, Instant now) {
    return pruner.planPrune(projectId, now);
  }

  @Override
  public PrunePlan prune(PrunePlan plan) {
    return pruner.prune(plan);
  }

  // ---- recoveries and drills ------------------------------------------------------------------

  @Override
  public void putRecoveryFile(String projectId, String recoveryId, String path, byte[] bytes, boolean sensitive) {
    records.putRecoveryFile(projectId, recoveryId, path, bytes, sensitive);
  }

  @Override
  public void putRecoveryFile(String projectId, String recoveryId, String path, java.nio.file.Path file, boolean sensitive) {
    records.putRecoveryFile(projectId, recoveryId, path, file, sensitive);
  }

  @Override
  public byte[] readRecoveryFile(String projectId, String recoveryId, String path) {
    return records.readRecoveryFile(projectId, recoveryId, path);
  }

  @Override
  public List<String> recoveries(String projectId) {
    return records.recoveries(projectId);
  }

  @Override
  public String projectOfRecovery(String recoveryId) {
    return records.projectOfRecovery(recoveryId, projects());
  }

  @Override
  public void putDrillFile(String drillRunId, String path, byte[] bytes) {
    records.putDrillFile(drillRunId, path, bytes);
  }

  @Override
  public byte[] readDrillFile(String drillRunId, String path) {
    return records.readDrillFile(drillRunId, path);
  }

  @Override
  public List<String> drillRuns() {
    return records.drillRuns();
  }

  @Override
  public String recoveryLocation(String projectId, String recoveryId) {
    return records.recoveryLocation(projectId, recoveryId);
  }

  // ---- the bucket -----------------------------------------------------------------------------

  @Override
  public List<String> projects() {
    return objects.childPrefixes(settings.prefix(), null).stream()
        .map(p -> p.substring(settings.prefix().length(), p.length() - 1))
        .filter(p -> ProjectIds.problem(p) == null)
        .sorted()
        .toList();
  }

  @Override
  public void checkAccess() {
    objects.checkAccess();
  }
}
