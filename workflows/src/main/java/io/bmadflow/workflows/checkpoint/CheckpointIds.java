package io.bmadflow.workflows.checkpoint;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Checkpoint ids: {@code cp-YYYY-MM-DD-HH-MM-SS-<uuid>}, UTC, lower-case uuid.
 *
 * <p>The workflow makes them from {@code Workflow.currentTimeMillis()} and
 * {@code Workflow.randomUUID()}, so a retried activity writes the same package again. Every id
 * that enters from outside (CLI, S3 listing, request) is checked against {@link #PATTERN}.
 */
public final class CheckpointIds {
  public static final Pattern PATTERN =
      Pattern.compile(
          "cp-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-"
              + "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm-ss").withZone(ZoneOffset.UTC);

  /** Builds the id of a checkpoint taken at the given time. */
  public static String of(long epochMillis, UUID uuid) {
    return "cp-" + STAMP.format(Instant.ofEpochMilli(epochMillis)) + "-" + uuid;
  }

  /** Whether the string is a well-formed checkpoint id. */
  public static boolean isValid(String id) {
    return id != null && PATTERN.matcher(id).matches();
  }

  /** Returns the id if it is well formed, or throws naming the problem. */
  public static String requireValid(String id) {
    if (!isValid(id)) {
      String shown = id == null ? "null" : "'" + (id.length() > 80 ? id.substring(0, 77) + "..." : id) + "'";
      throw new IllegalArgumentException(
          "checkpoint id " + shown
              + " is not valid; checkpoint ids look like cp-2026-01-15-14-30-00-<uuid>"
              + " (see `bmadflow checkpoint list`)");
    }
    return id;
  }

  private CheckpointIds() {}
}
