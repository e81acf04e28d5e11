package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A project's checkpoint index, {@code <prefix><project>/docs/state/checkpoint-registry.json}: lists
 * checkpoints with one GET instead of a listing plus a read per package.
 *
 * <p>It is a cache of what the packages say, never the truth: a missing or corrupt registry is
 * rebuilt from an S3 listing, and every read also lists the ids newer than the newest registered
 * one (one cheap request), so a checkpoint committed by a writer that crashed before updating the
 * registry still shows up and is added. Updates are optimistic (If-Match on the ETag, retried).
 */
final class CheckpointRegistry {
  private static final Logger log = LoggerFactory.getLogger(CheckpointRegistry.class);
  private static final int FORMAT_VERSION = 1;

  /**
   * The largest registry read: 64 MiB (about 100,000 checkpoints). A larger one is treated as
   * damaged and rebuilt from the bucket.
   */
  static final long REGISTRY_LIMIT = 64L * 1024 * 1024;
  private static final DateTimeFormatter ID_STAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm-ss").withZone(ZoneOffset.UTC);

  /** The registry file. {@code entries_sha256} detects a damaged or hand-edited file. */
  record Document(int formatVersion, String projectId, List<CheckpointSummary> entries, String entriesSha256) {}

  private final S3Objects objects;
  private final BiFunction<String, String, CheckpointMetadata> readMetadata;

  /**
   * @param readMetadata reads a package's metadata (project, id), or returns null when there is
   *     none; throws {@link CheckpointStoreException.Corrupt} for a damaged one
   */
  CheckpointRegistry(S3Objects objects, BiFunction<String, String, CheckpointMetadata> readMetadata) {
    this.objects = objects;
    this.readMetadata = readMetadata;
  }

  static String key(String prefix, String projectId) {
    return prefix + ProjectIds.requireValid(projectId) + "/docs/state/checkpoint-registry.json";
  }

  /** The project's checkpoints, oldest first, repairing the registry when it is behind or damaged. */
  List<CheckpointSummary> list(String projectId) {
    String key = key(objects.settings().prefix(), projectId);
    S3Objects.Versioned stored = fetch(projectId, key);
    Map<String, CheckpointSummary> entries = parse(projectId, stored);
    boolean changed = false;
    if (entries == null) {
      entries = rebuild(projectId);
      changed = true;
    } else {
      changed = addNewer(projectId, entries);
    }
    List<CheckpointSummary> sorted = sorted(entries);
    if (changed) {
      try {
        write(projectId, sorted, stored == null ? null : stored.etag(), stored == null);
      } catch (S3Objects.PreconditionFailed | CheckpointStoreException e) {
        // Someone else updated it meanwhile, or S3 refused: the next read repairs it again.
        log.debug("checkpoint registry of {} not repaired this time: {}", projectId, e.getMessage());
      }
    }
    return sorted;
  }

  /** Adds a committed checkpoint. A failure here is logged, not thrown: the next read repairs it. */
  void add(String projectId, CheckpointSummary summary) {
    update(projectId, entries -> entries.put(summary.checkpointId(), summary));
  }

  /** Removes pruned checkpoints. */
  void remove(String projectId, Set<String> ids) {
    update(projectId, entries -> entries.keySet().removeAll(ids));
  }

  private void update(String projectId, java.util.function.Consumer<Map<String, CheckpointSummary>> change) {
    String key = key(objects.settings().prefix(), projectId);
    for (int attempt = 0; attempt < 8; attempt++) {
      try {
        S3Objects.Versioned stored = fetch(projectId, key);
        Map<String, CheckpointSummary> entries = parse(projectId, stored);
        if (entries == null) {
          entries = rebuild(projectId);
        }
        change.accept(entries);
        write(projectId, sorted(entries), stored == null ? null : stored.etag(), stored == null);
        return;
      } catch (S3Objects.PreconditionFailed raced) {
        // Another writer updated it between our read and write: read again.
      } catch (CheckpointStoreException e) {
        log.warn("checkpoint registry of {} not updated ({}); the next listing repairs it", projectId, e.getMessage());
        return;
      }
    }
    log.warn("checkpoint registry of {} not updated: too many concurrent writers; the next listing repairs it", projectId);
  }

  /**
   * Reads the registry, at most {@link #REGISTRY_LIMIT} bytes; an oversized one comes back with
   * null bytes and its ETag, so it is rebuilt and replaced.
   */
  private S3Objects.Versioned fetch(String projectId, String key) {
    try {
      return objects.getVersioned(key, REGISTRY_LIMIT);
    } catch (S3Objects.TooLarge e) {
      log.warn("checkpoint registry of {} is corrupt ({}); rebuilding it from the bucket", projectId, e.getMessage());
      return new S3Objects.Versioned(null, e.etag());
    }
  }

  private Map<String, CheckpointSummary> parse(String projectId, S3Objects.Versioned stored) {
    if (stored == null || stored.bytes() == null) {
      return null;
    }
    try {
      Document document = PackageJson.read(stored.bytes(), Document.class);
      if (document.formatVersion() != FORMAT_VERSION || !projectId.equals(document.projectId())
          || document.entries() == null
          || !entriesSha256(document.entries()).equals(document.entriesSha256())) {
        throw new IOException("its version, project or entries checksum does not match");
      }
      Map<String, CheckpointSummary> entries = new LinkedHashMap<>();
      for (CheckpointSummary entry : document.entries()) {
        entries.put(CheckpointIds.requireValid(entry.checkpointId()), entry);
      }
      return entries;
    } catch (IOException | IllegalArgumentException e) {
      log.warn("checkpoint registry of {} is corrupt ({}); rebuilding it from the bucket", projectId,
          String.valueOf(e.getMessage()).lines().findFirst().orElse(""));
      return null;
    }
  }

  /** Lists every package of the project and reads its metadata: the slow path. */
  private Map<String, CheckpointSummary> rebuild(String projectId) {
    Map<String, CheckpointSummary> entries = new LinkedHashMap<>();
    addFromListing(projectId, null, entries);
    return entries;
  }

  /** Adds packages newer than the newest registered one; returns whether any were found. */
  private boolean addNewer(String projectId, Map<String, CheckpointSummary> entries) {
    Instant newest = entries.values().stream()
        .map(e -> Instant.parse(e.creationTimestamp()))
        .max(Comparator.naturalOrder())
        .orElse(null);
    // Ids carry whole seconds in UTC: list from a minute before the newest to be safe.
    String startAfter = newest == null ? null
        : PackagePaths.projectCheckpointsPrefix(objects.settings().prefix(), projectId)
            + "cp-" + ID_STAMP.format(newest.minusSeconds(60));
    return addFromListing(projectId, startAfter, entries);
  }

  private boolean addFromListing(String projectId, String startAfter, Map<String, CheckpointSummary> entries) {
    String prefix = PackagePaths.projectCheckpointsPrefix(objects.settings().prefix(), projectId);
    boolean added = false;
    for (String child : objects.childPrefixes(prefix, startAfter)) {
      String id = child.substring(prefix.length(), child.length() - 1);
      if (!CheckpointIds.isValid(id) || entries.containsKey(id)) {
        continue;
      }
      try {
        CheckpointMetadata metadata = readMetadata.apply(projectId, id);
        if (metadata != null) {
          entries.put(id, CheckpointSummary.of(metadata));
          added = true;
        }
      } catch (CheckpointStoreException.Corrupt e) {
        // One damaged package must not hide the others; `checkpoint verify` reports it in full.
        log.warn("skipping a corrupt checkpoint: {}", e.getMessage());
      }
    }
    return added;
  }

  private void write(String projectId, List<CheckpointSummary> entries, String etag, boolean absent) {
    Document document = new Document(FORMAT_VERSION, projectId, entries, entriesSha256(entries));
    objects.put(key(objects.settings().prefix(), projectId), PackageJson.write(document), "application/json",
        absent ? "*" : null, absent ? null : etag);
  }

  private static List<CheckpointSummary> sorted(Map<String, CheckpointSummary> entries) {
    List<CheckpointSummary> list = new ArrayList<>(entries.values());
    list.sort(Comparator.comparing((CheckpointSummary e) -> Instant.parse(e.creationTimestamp()))
        .thenComparing(CheckpointSummary::checkpointId));
    return list;
  }

  private static String entriesSha256(List<CheckpointSummary> entries) {
    return Sha256.hex(PackageJson.write(entries));
  }
}
