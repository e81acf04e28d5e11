package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.workflows.ProjectIds;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Prunes a project's packages: the committed ones whose retention expired (unless the newest, or
 * referenced by a kept incremental package) and the uncommitted leftovers of crashed writers once
 * they are older than {@link #ORPHAN_GRACE}.
 */
final class PackagePruner {
  /** Uncommitted packages younger than this may still be in the middle of a commit. */
  static final Duration ORPHAN_GRACE = Duration.ofHours(1);

  private final S3Objects objects;
  private final S3Settings settings;
  private final CheckpointRegistry registry;

  PackagePruner(S3Objects objects, CheckpointRegistry registry) {
    this.objects = objects;
    this.settings = objects.settings();
    this.registry = registry;
  }

  /** What pruning would delete at {@code now}, and why everything else is kept. */
  PrunePlan planPrune(String projectId, Instant now) {
    List<CheckpointSummary> all = registry.list(ProjectIds.requireValid(projectId));
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

  /** Deletes what the plan says: each package's metadata first, so none is ever half visible. */
  PrunePlan prune(PrunePlan plan) {
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
}
