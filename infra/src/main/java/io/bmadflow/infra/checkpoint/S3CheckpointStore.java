package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** {@link CheckpointStore} on an S3 bucket; see the interface for the commit protocol. */
public final class S3CheckpointStore implements CheckpointStore {
  private static final Logger log = LoggerFactory.getLogger(S3CheckpointStore.class);
  private static final String JSON = "application/json";

  private final S3Client s3;
  private final S3Settings settings;

  public S3CheckpointStore(S3Client s3, S3Settings settings) {
    this.s3 = s3;
    this.settings = settings;
  }

  @Override
  public CheckpointMetadata commit(
      String projectId,
      String checkpointId,
      SortedMap<String, byte[]> files,
      Function<PackageDigest, CheckpointMetadata> metadata) {
    String base = PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId);
    Map<String, String> hashes = new HashMap<>();
    List<PackageFile> entries = new ArrayList<>();
    long logical = 0;
    for (var file : files.entrySet()) {
      String path = PackagePaths.requireSafe(file.getKey());
      if (path.equals(PackagePaths.METADATA) || path.equals(PackagePaths.MANIFEST)) {
        throw new IllegalArgumentException(
            "package path '" + path + "' is reserved; the store writes it itself");
      }
      String sha = Sha256.hex(file.getValue());
      hashes.put(path, sha);
      long size = file.getValue().length;
      entries.add(new PackageFile(path, size, sha, size, PackageFile.IDENTITY));
      logical += size;
    }
    PackageManifest manifest = PackageManifest.of(hashes);
    byte[] manifestBytes = manifest.toBytes();
    String checksum = "sha256:" + Sha256.hex(manifestBytes);

    CheckpointMetadata existing = existingMetadata(projectId, checkpointId);
    if (existing != null) {
      return sameOrConflict(checkpointId, existing, checksum);
    }
    for (var file : files.entrySet()) {
      put(base + file.getKey(), file.getValue(), contentType(file.getKey()), false);
    }
    put(base + PackagePaths.MANIFEST, manifestBytes, "text/plain", false);
    long stored = logical + manifestBytes.length;
    entries.add(
        new PackageFile(
            PackagePaths.MANIFEST,
            manifestBytes.length,
            Sha256.hex(manifestBytes),
            manifestBytes.length,
            PackageFile.IDENTITY));
    entries.sort((a, b) -> a.path().compareTo(b.path()));
    CheckpointMetadata built =
        metadata.apply(
            new PackageDigest(
                checksum,
                List.copyOf(entries),
                logical + manifestBytes.length,
                stored,
                location(projectId, checkpointId)));
    byte[] metadataBytes = PackageJson.write(built);
    try {
      put(base + PackagePaths.METADATA, metadataBytes, JSON, true);
    } catch (S3Exception e) {
      if (e.statusCode() == 412) {
        // Someone committed this id between our check and our put: same content is fine.
        return sameOrConflict(checkpointId, existingMetadata(projectId, checkpointId), checksum);
      }
      throw e;
    }
    log.info("checkpoint {} committed at {} ({} files)", checkpointId, location(projectId, checkpointId), entries.size() + 1);
    return built;
  }

  @Override
  public List<CheckpointMetadata> list(String projectId) {
    String prefix = PackagePaths.projectCheckpointsPrefix(settings.prefix(), projectId);
    List<CheckpointMetadata> found = new ArrayList<>();
    String token = null;
    do {
      ListObjectsV2Request.Builder request =
          ListObjectsV2Request.builder().bucket(settings.bucket()).prefix(prefix).delimiter("/");
      if (token != null) {
        request.continuationToken(token);
      }
      ListObjectsV2Response response = call("list " + prefix, () -> s3.listObjectsV2(request.build()));
      for (CommonPrefix common : response.commonPrefixes()) {
        String id = common.prefix().substring(prefix.length(), common.prefix().length() - 1);
        if (!CheckpointIds.isValid(id)) {
          log.warn("ignoring {}: not a checkpoint id", common.prefix());
          continue;
        }
        try {
          CheckpointMetadata metadata = existingMetadata(projectId, id);
          if (metadata != null) {
            found.add(metadata); // Packages without metadata are uncommitted and stay invisible.
          }
        } catch (CheckpointStoreException.Corrupt e) {
          // One damaged package must not hide the others; `checkpoint verify` reports it in full.
          log.warn("skipping a corrupt checkpoint: {}", e.getMessage());
        }
      }
      token = Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null;
    } while (token != null);
    // Oldest first: ids carry only whole seconds, so order by the creation time, then the id.
    found.sort(Comparator.comparing((CheckpointMetadata m) -> Instant.parse(m.checkpointMetadata().creationTimestamp()))
        .thenComparing(m -> m.checkpointMetadata().checkpointId()));
    return found;
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
        readChecked(projectId, checkpointId, file);
        checks.add(new VerificationReport.FileCheck(file.path(), true, null));
      } catch (CheckpointStoreException.Corrupt | CheckpointStoreException.NotFound e) {
        checks.add(new VerificationReport.FileCheck(file.path(), false, e.getMessage()));
      }
    }
    // The manifest ties the files to the metadata's checksum: check it agrees with the file list.
    try {
      PackageFile manifestFile = fileEntry(metadata, PackagePaths.MANIFEST, checkpointId);
      byte[] manifestBytes = readChecked(projectId, checkpointId, manifestFile);
      String actual = "sha256:" + Sha256.hex(manifestBytes);
      String expected = metadata.integrityValidation().checksum();
      if (!actual.equals(expected)) {
        checks.add(fail("package checksum", checkpointId, "manifest checksum mismatch (expected "
            + expected + ", got " + actual + ")"));
      } else {
        PackageManifest manifest = PackageManifest.parse(manifestBytes);
        for (PackageFile file : metadata.integrityValidation().files()) {
          if (file.path().equals(PackagePaths.MANIFEST)) {
            continue;
          }
          String listed = manifest.entries().get(file.path());
          if (!file.sha256().equals(listed)) {
            checks.add(fail(file.path(), checkpointId, "metadata and manifest.sha256 disagree on its hash"));
          }
        }
        if (manifest.entries().size() != metadata.integrityValidation().files().size() - 1) {
          checks.add(fail("manifest.sha256", checkpointId, "lists "
              + manifest.entries().size() + " files, the metadata "
              + (metadata.integrityValidation().files().size() - 1)));
        }
        checks.add(new VerificationReport.FileCheck("package checksum", true, null));
      }
    } catch (CheckpointStoreException.Corrupt | CheckpointStoreException.NotFound | IllegalArgumentException e) {
      checks.add(fail("package checksum", checkpointId, e.getMessage()));
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
  public void checkAccess() {
    call("head bucket " + settings.bucket(), () -> s3.headBucket(b -> b.bucket(settings.bucket())));
  }

  @Override
  public String location(String projectId, String checkpointId) {
    return "s3://" + settings.bucket() + "/" + PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId);
  }

  private static VerificationReport.FileCheck fail(String path, String checkpointId, String problem) {
    return new VerificationReport.FileCheck(path, false, problem);
  }

  private PackageFile fileEntry(CheckpointMetadata metadata, String path, String checkpointId) {
    return metadata.integrityValidation().files().stream()
        .filter(f -> f.path().equals(path))
        .findFirst()
        .orElseThrow(() -> new CheckpointStoreException.NotFound(
            "checkpoint " + checkpointId + " has no file " + path));
  }

  private byte[] readChecked(String projectId, String checkpointId, PackageFile file) {
    PackagePaths.requireSafe(file.path());
    String key = PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId) + file.path();
    byte[] bytes = get(key);
    if (bytes == null) {
      throw new CheckpointStoreException.Corrupt(
          "checkpoint " + checkpointId + ": " + file.path() + " is missing from storage; the package is"
              + " corrupt, use an earlier checkpoint");
    }
    if (bytes.length != file.storedSize()) {
      throw new CheckpointStoreException.Corrupt(
          "checkpoint " + checkpointId + ": " + file.path() + " size mismatch (expected "
              + file.storedSize() + " bytes, got " + bytes.length + "); the package is corrupt, use an"
              + " earlier checkpoint");
    }
    String sha = Sha256.hex(bytes);
    if (!sha.equals(file.sha256())) {
      throw new CheckpointStoreException.Corrupt(
          "checkpoint " + checkpointId + ": " + file.path() + " sha256 mismatch (expected "
              + abbreviate(file.sha256()) + ", got " + abbreviate(sha)
              + "); the package is corrupt, use an earlier checkpoint");
    }
    return bytes;
  }

  private static String abbreviate(String sha) {
    return sha.substring(0, 12) + "...";
  }

  private CheckpointMetadata existingMetadata(String projectId, String checkpointId) {
    String key = PackagePaths.packagePrefix(settings.prefix(), projectId, checkpointId) + PackagePaths.METADATA;
    byte[] bytes = get(key);
    if (bytes == null) {
      return null;
    }
    try {
      CheckpointMetadata metadata = PackageJson.read(bytes, CheckpointMetadata.class);
      if (metadata.checkpointMetadata() == null || metadata.integrityValidation() == null
          || metadata.integrityValidation().files() == null
          || !checkpointId.equals(metadata.checkpointMetadata().checkpointId())
          || !projectId.equals(metadata.checkpointMetadata().projectId())) {
        throw new IOException("its sections or ids do not match the key it is stored under");
      }
      try {
        Instant.parse(metadata.checkpointMetadata().creationTimestamp());
      } catch (RuntimeException e) {
        throw new IOException("creation_timestamp is not an ISO-8601 instant");
      }
      for (PackageFile file : metadata.integrityValidation().files()) {
        PackagePaths.requireSafe(file.path());
      }
      return metadata;
    } catch (IOException | IllegalArgumentException e) {
      throw new CheckpointStoreException.Corrupt(
          "checkpoint " + checkpointId + ": " + PackagePaths.METADATA + " is not valid ("
              + e.getMessage().lines().findFirst().orElse("") + "); the package is corrupt, use an"
              + " earlier checkpoint", e);
    }
  }

  private static CheckpointMetadata sameOrConflict(
      String checkpointId, CheckpointMetadata existing, String checksum) {
    if (existing != null && checksum.equals(existing.integrityValidation().checksum())) {
      return existing;
    }
    throw new CheckpointStoreException.Conflict(
        "checkpoint " + checkpointId + " is already committed with different content ("
            + (existing == null ? "unreadable" : existing.integrityValidation().checksum())
            + ", new " + checksum + "); committed packages are never overwritten, take a new checkpoint id");
  }

  private void put(String key, byte[] bytes, String contentType, boolean createOnly) {
    PutObjectRequest.Builder request =
        PutObjectRequest.builder()
            .bucket(settings.bucket())
            .key(key)
            .contentType(contentType)
            .contentLength((long) bytes.length)
            .checksumSHA256(Sha256.base64(bytes));
    if (createOnly) {
      request.ifNoneMatch("*");
    }
    call("put " + key, () -> s3.putObject(request.build(), RequestBody.fromBytes(bytes)), createOnly);
  }

  private byte[] get(String key) {
    try {
      return call("get " + key, () -> s3.getObjectAsBytes(
          GetObjectRequest.builder().bucket(settings.bucket()).key(key).build()).asByteArray());
    } catch (CheckpointStoreException.NotFound e) {
      if (e.getCause() instanceof NoSuchKeyException) {
        return null;
      }
      throw e;
    }
  }

  private <T> T call(String what, Supplier<T> operation) {
    return call(what, operation, false);
  }

  private <T> T call(String what, Supplier<T> operation, boolean passPreconditionFailures) {
    try {
      return operation.get();
    } catch (NoSuchKeyException e) {
      var notFound = new CheckpointStoreException.NotFound("S3 object s3://" + settings.bucket() + "/" + what + " does not exist");
      notFound.initCause(e);
      throw notFound;
    } catch (S3Exception e) {
      if (passPreconditionFailures && e.statusCode() == 412) {
        throw e;
      }
      String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
      String hint =
          "NoSuchBucket".equals(code) || (e.statusCode() == 404 && what.startsWith("head bucket"))
              ? "bucket " + settings.bucket() + " does not exist at " + settings.describeEndpoint()
                  + "; create it or set BMADFLOW_S3_BUCKET"
              : e.statusCode() == 403
                  ? "access denied; check the AWS credentials and the bucket policy"
                  : "S3 answered " + e.statusCode() + (code != null ? " " + code : "");
      throw new CheckpointStoreException.Unavailable("S3 " + what + " failed: " + hint, e);
    } catch (SdkClientException e) {
      String message = String.valueOf(e.getMessage());
      if (message.startsWith("Unable to load credentials")) {
        throw new CheckpointStoreException.Unavailable(
            "S3 " + what + ": no AWS credentials found; set AWS_ACCESS_KEY_ID and"
                + " AWS_SECRET_ACCESS_KEY, or configure a profile or role (for the dev stack, paste"
                + " the export lines `bmadflow dev` prints)", e);
      }
      throw new CheckpointStoreException.Unavailable(
          "S3 at " + settings.describeEndpoint() + " cannot be reached ("
              + (message.length() > 200 ? message.substring(0, 200) + "..." : message)
              + "); check BMADFLOW_S3_ENDPOINT and that the server is running", e);
    }
  }

  private static String contentType(String path) {
    return path.endsWith(".json") ? JSON : path.endsWith(".md") ? "text/markdown" : "application/octet-stream";
  }

  /** The settings this store writes with. */
  public S3Settings settings() {
    return settings;
  }

}
