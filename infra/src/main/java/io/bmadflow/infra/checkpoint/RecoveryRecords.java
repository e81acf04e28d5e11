package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.recovery.RecoveryIds;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The files recoveries and recovery drills leave in the bucket: a recovery's report and backup
 * under {@code <prefix><project>/docs/state/recoveries/<recovery-id>/}, a drill run's report under
 * {@code <prefix>_drills/<drill-run-id>/}. Unlike packages they may be rewritten.
 */
final class RecoveryRecords {
  /** The largest recovery file read (reports and backups): 64 MiB. */
  static final long RECOVERY_FILE_LIMIT = 64L * 1024 * 1024;

  /** The largest drill-run file read (reports): 16 MiB. */
  static final long DRILL_FILE_LIMIT = 16L * 1024 * 1024;

  private final S3Objects objects;
  private final S3Settings settings;
  private final StoreOptions options;

  RecoveryRecords(S3Objects objects, StoreOptions options) {
    this.objects = objects;
    this.settings = objects.settings();
    this.options = options;
  }

  /**
   * The largest file {@link #putRecoveryFile(String, String, String, java.nio.file.Path, boolean)}
   * encrypts: client-side encryption seals a file whole in memory, so a larger sensitive file is
   * refused instead: 64 MiB.
   */
  static final long MAX_ENCRYPTED_FILE_BYTES = 64L * 1024 * 1024;
  /** The largest file one PUT carries: 5 GiB, S3's limit. */
  static final long MAX_STREAMED_FILE_BYTES = 5L * 1024 * 1024 * 1024;

  /**
   * Stores one file of a recovery from a file on disk: streamed (hashed, then uploaded, never held
   * in memory whole) unless it is {@code sensitive} and a cipher is configured, when it is read and
   * encrypted like {@link #putRecoveryFile(String, String, String, byte[], boolean)}. The file is
   * opened without following a symbolic link.
   *
   * @throws IllegalArgumentException when an encrypted file is over {@link #MAX_ENCRYPTED_FILE_BYTES},
   *     or any file over {@link #MAX_STREAMED_FILE_BYTES}, naming the file, its size and the limit
   */
  void putRecoveryFile(String projectId, String recoveryId, String path, java.nio.file.Path file, boolean sensitive) {
    PackagePaths.requireSafe(path);
    String key = PackagePaths.recoveryPrefix(settings.prefix(), projectId, recoveryId) + path;
    try {
      long size = java.nio.file.Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class,
          java.nio.file.LinkOption.NOFOLLOW_LINKS).size();
      if (sensitive && options.cipher() != null) {
        if (size > MAX_ENCRYPTED_FILE_BYTES) {
          throw new IllegalArgumentException("recovery " + recoveryId + ": " + file + " is " + size + " bytes, more than the "
              + MAX_ENCRYPTED_FILE_BYTES + " bytes bmadflow encrypts in memory (BMADFLOW_ENCRYPTION_KEY is set); back it up"
              + " yourself before the recovery, or recover without client-side encryption (the bucket's server-side"
              + " encryption, BMADFLOW_S3_SSE, still applies)");
        }
        byte[] bytes;
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          bytes = in.readNBytes((int) MAX_ENCRYPTED_FILE_BYTES + 1);
        }
        if (bytes.length > MAX_ENCRYPTED_FILE_BYTES) {
          throw new IllegalArgumentException("recovery " + recoveryId + ": " + file + " grew past the "
              + MAX_ENCRYPTED_FILE_BYTES + " bytes bmadflow encrypts in memory while it was backed up");
        }
        putRecoveryFile(projectId, recoveryId, path, bytes, true);
        return;
      }
      if (size > MAX_STREAMED_FILE_BYTES) {
        throw new IllegalArgumentException("recovery " + recoveryId + ": " + file + " is " + size + " bytes, more than the "
            + MAX_STREAMED_FILE_BYTES + " bytes one upload carries; back it up yourself before the recovery");
      }
      software.amazon.awssdk.http.ContentStreamProvider content = () -> {
        try {
          return java.nio.file.Files.newInputStream(file, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException("cannot read " + file + " for recovery " + recoveryId + ": " + e.getMessage(), e);
        }
      };
      java.security.MessageDigest digest = Sha256.newDigest();
      long hashed = 0;
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        byte[] buffer = new byte[64 * 1024];
        for (int n; (n = in.read(buffer)) > 0; ) {
          digest.update(buffer, 0, n);
          hashed += n;
        }
      }
      if (hashed != size) {
        throw new java.io.IOException(file + " changed size while it was backed up (" + size + " then " + hashed + " bytes)");
      }
      objects.putStreamed(key, size, java.util.Base64.getEncoder().encodeToString(digest.digest()),
          path.endsWith(".json") ? "application/json" : path.endsWith(".md") ? "text/markdown" : "application/octet-stream",
          content);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot back up " + file + " for recovery " + recoveryId + ": " + e.getMessage(), e);
    }
  }

  /** Marks a recovery file stored encrypted: its first bytes. */
  private static final byte[] ENCRYPTED_MARK = "BMADFLOW-AES-GCM\n".getBytes(StandardCharsets.US_ASCII);

  /** Stores one file of a recovery; {@code sensitive} ones are encrypted when a cipher is configured. */
  void putRecoveryFile(String projectId, String recoveryId, String path, byte[] bytes, boolean sensitive) {
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

  /** Reads one file of a recovery, decrypting it if needed; null when it does not exist. */
  byte[] readRecoveryFile(String projectId, String recoveryId, String path) {
    PackagePaths.requireSafe(path);
    byte[] stored;
    try {
      stored = objects.get(PackagePaths.recoveryPrefix(settings.prefix(), projectId, recoveryId) + path, RECOVERY_FILE_LIMIT);
    } catch (S3Objects.TooLarge e) {
      throw new CheckpointStoreException.Corrupt("recovery " + recoveryId + " file " + path + " cannot be read: "
          + e.getMessage() + "; delete it or restore it from a backup", e);
    }
    if (stored == null || stored.length < ENCRYPTED_MARK.length
        || !Arrays.equals(stored, 0, ENCRYPTED_MARK.length, ENCRYPTED_MARK, 0, ENCRYPTED_MARK.length)) {
      return stored;
    }
    if (options.cipher() == null) {
      throw new CheckpointStoreException.Corrupt("recovery " + recoveryId + " file " + path
          + " is encrypted; set the same BMADFLOW_ENCRYPTION_KEY to read it");
    }
    return options.cipher().decrypt(Arrays.copyOfRange(stored, ENCRYPTED_MARK.length, stored.length),
        "recoveries/" + recoveryId + "/" + path);
  }

  /** The ids of a project's recoveries, oldest first. */
  List<String> recoveries(String projectId) {
    String prefix = settings.prefix() + ProjectIds.requireValid(projectId) + "/docs/state/recoveries/";
    return objects.childPrefixes(prefix, null).stream()
        .map(p -> p.substring(prefix.length(), p.length() - 1))
        .filter(RecoveryIds::isValid)
        .sorted()
        .toList();
  }

  /** The one of {@code projects} that has a recovery with this id, or null. */
  String projectOfRecovery(String recoveryId, List<String> projects) {
    RecoveryIds.requireValid(recoveryId);
    for (String project : projects) {
      if (objects.head(PackagePaths.recoveryPrefix(settings.prefix(), project, recoveryId) + "recovery-report.json")) {
        return project;
      }
    }
    return null;
  }

  /** Drill run ids: {@code drill-YYYYMMDD-HHMMSS-<scenario>-<n>}. */
  private static final Pattern DRILL_RUN = Pattern.compile("drill-\\d{8}-\\d{6}-[a-z-]{1,40}-\\d{1,6}");

  private String drillKey(String drillRunId, String path) {
    if (drillRunId == null || !DRILL_RUN.matcher(drillRunId).matches()) {
      throw new IllegalArgumentException("drill run id '" + drillRunId + "' is not valid (drill-YYYYMMDD-HHMMSS-<scenario>-<n>)");
    }
    return settings.prefix() + "_drills/" + drillRunId + "/" + PackagePaths.requireSafe(path);
  }

  /** Stores one file of a drill run. */
  void putDrillFile(String drillRunId, String path, byte[] bytes) {
    objects.put(drillKey(drillRunId, path), bytes, path.endsWith(".json") ? "application/json" : "text/markdown", null, null);
  }

  /** Reads one file of a drill run, or null; refuses one over {@link #DRILL_FILE_LIMIT}. */
  byte[] readDrillFile(String drillRunId, String path) {
    try {
      return objects.get(drillKey(drillRunId, path), DRILL_FILE_LIMIT);
    } catch (S3Objects.TooLarge e) {
      throw new CheckpointStoreException.Corrupt("drill run " + drillRunId + " file " + path + " cannot be read: "
          + e.getMessage() + "; delete it or run the drill again", e);
    }
  }

  /** The ids of the stored drill runs, oldest first. */
  List<String> drillRuns() {
    String prefix = settings.prefix() + "_drills/";
    return objects.childPrefixes(prefix, null).stream()
        .map(p -> p.substring(prefix.length(), p.length() - 1))
        .filter(id -> DRILL_RUN.matcher(id).matches())
        .sorted()
        .toList();
  }

  /** Where a recovery's files are, for humans. */
  String recoveryLocation(String projectId, String recoveryId) {
    return "s3://" + settings.bucket() + "/" + PackagePaths.recoveryPrefix(settings.prefix(), projectId, recoveryId);
  }
}
