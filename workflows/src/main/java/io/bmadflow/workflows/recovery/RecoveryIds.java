package io.bmadflow.workflows.recovery;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import java.util.regex.Pattern;

/** Recovery ids: {@code rcv-YYYYMMDD-HHMMSS-<8 hex>}, UTC. */
public final class RecoveryIds {
  public static final Pattern PATTERN = Pattern.compile("rcv-\\d{8}-\\d{6}-[0-9a-f]{8}");
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final String WORKFLOW_ID_PREFIX = "bmadflow-recovery-";

  public static String of(long epochMillis, UUID uuid) {
    return "rcv-" + STAMP.format(Instant.ofEpochMilli(epochMillis)) + "-" + uuid.toString().substring(0, 8);
  }

  public static boolean isValid(String id) {
    return id != null && PATTERN.matcher(id).matches();
  }

  public static String requireValid(String id) {
    if (!isValid(id)) {
      String shown = id == null ? "null" : "'" + (id.length() > 80 ? id.substring(0, 77) + "..." : id) + "'";
      throw new IllegalArgumentException("recovery id " + shown
          + " is not valid; recovery ids look like rcv-20260115-143000-1a2b3c4d (see the output of `bmadflow recover`)");
    }
    return id;
  }

  /** The recovery workflow's id. */
  public static String workflowId(String recoveryId) {
    return WORKFLOW_ID_PREFIX + requireValid(recoveryId);
  }

  private RecoveryIds() {}
}
