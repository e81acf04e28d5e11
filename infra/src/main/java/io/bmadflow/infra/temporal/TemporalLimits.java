package io.bmadflow.infra.temporal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The Temporal server limits bmadflow acts on before the server does: the largest payload (blob)
 * a request may carry, and the history size and event count at which the server stops a workflow
 * run.
 *
 * <p>The defaults are those of Temporal Server 1.32 (the dev server of CLI 1.9.1 and a default
 * self-hosted cluster): {@code limit.blobSize.error} 2 MiB, {@code limit.historySize.error} 50 MiB,
 * {@code limit.historyCount.error} 51,200 events. A cluster configured otherwise is described with
 * {@code BMADFLOW_LIMIT_BLOB_BYTES}, {@code BMADFLOW_LIMIT_HISTORY_BYTES} and
 * {@code BMADFLOW_LIMIT_HISTORY_EVENTS}; the embedded dev server is started with the same values as
 * dynamic config ({@link #devServerDynamicConfig}), so a test lowers a limit with one variable and
 * the server and bmadflow agree on it.
 *
 * @param blobBytes the largest payload the server accepts, in bytes: bmadflow refuses a larger one
 *     itself ({@link PayloadLimitDataConverter})
 * @param historyBytes the history size at which the server terminates a run: bmadflow warns at half
 * @param historyEvents the history length at which the server terminates a run: bmadflow warns at half
 */
public record TemporalLimits(long blobBytes, long historyBytes, long historyEvents) {
  public static final String BLOB_VARIABLE = "BMADFLOW_LIMIT_BLOB_BYTES";
  public static final String HISTORY_BYTES_VARIABLE = "BMADFLOW_LIMIT_HISTORY_BYTES";
  public static final String HISTORY_EVENTS_VARIABLE = "BMADFLOW_LIMIT_HISTORY_EVENTS";
  /**
   * Further {@code KEY=VALUE} dynamic config for the embedded dev server, separated by commas (for
   * example {@code limit.historyCount.suggestContinueAsNew=400}); ignored by a real cluster.
   */
  public static final String DYNAMIC_CONFIG_VARIABLE = "BMADFLOW_TEMPORAL_DYNAMIC_CONFIG";

  /** Temporal Server 1.32's defaults. */
  public static final TemporalLimits DEFAULTS = new TemporalLimits(2L * 1024 * 1024, 50L * 1024 * 1024, 50L * 1024);

  public TemporalLimits {
    if (blobBytes <= 0 || historyBytes <= 0 || historyEvents <= 0) {
      throw new IllegalArgumentException("Temporal limits must be positive, got blob " + blobBytes + " bytes, history "
          + historyBytes + " bytes and " + historyEvents + " events");
    }
  }

  /** The limits {@code env} describes (see the class comment); a malformed value fails naming its variable. */
  public static TemporalLimits fromEnvironment(Map<String, String> env) {
    return new TemporalLimits(
        read(env, BLOB_VARIABLE, DEFAULTS.blobBytes),
        read(env, HISTORY_BYTES_VARIABLE, DEFAULTS.historyBytes),
        read(env, HISTORY_EVENTS_VARIABLE, DEFAULTS.historyEvents));
  }

  private static long read(Map<String, String> env, String name, long fallback) {
    String value = env.getOrDefault(name, "").trim();
    if (value.isEmpty()) {
      return fallback;
    }
    try {
      long parsed = Long.parseLong(value.replace("_", ""));
      if (parsed > 0) {
        return parsed;
      }
    } catch (NumberFormatException e) {
      // Reported below.
    }
    throw new IllegalArgumentException(name + "=" + value + " is not a positive whole number of "
        + (name.equals(HISTORY_EVENTS_VARIABLE) ? "events" : "bytes") + "; unset it for Temporal's default ("
        + (name.equals(BLOB_VARIABLE) ? DEFAULTS.blobBytes : name.equals(HISTORY_BYTES_VARIABLE)
            ? DEFAULTS.historyBytes : DEFAULTS.historyEvents) + ")");
  }

  /** The history size at which bmadflow warns: half the limit. */
  public long historyBytesWarning() {
    return historyBytes / 2;
  }

  /** The history length at which bmadflow warns: half the limit. */
  public long historyEventsWarning() {
    return historyEvents / 2;
  }

  /**
   * The dev server's {@code --dynamic-config-value KEY=VALUE} settings for these limits (only those
   * that differ from the defaults) and for {@value #DYNAMIC_CONFIG_VARIABLE}; values are JSON, so a
   * number stands as it is.
   */
  public static List<String> devServerDynamicConfig(Map<String, String> env) {
    TemporalLimits limits = fromEnvironment(env);
    Map<String, String> values = new LinkedHashMap<>();
    if (limits.blobBytes != DEFAULTS.blobBytes) {
      values.put("limit.blobSize.error", Long.toString(limits.blobBytes));
      // The warning must stay below the error, or the server warns about nothing.
      values.put("limit.blobSize.warn", Long.toString(Math.min(limits.blobBytes / 4, 512L * 1024)));
    }
    if (limits.historyBytes != DEFAULTS.historyBytes) {
      values.put("limit.historySize.error", Long.toString(limits.historyBytes));
      values.put("limit.historySize.warn", Long.toString(Math.min(limits.historyBytes / 5, 10L * 1024 * 1024)));
    }
    if (limits.historyEvents != DEFAULTS.historyEvents) {
      values.put("limit.historyCount.error", Long.toString(limits.historyEvents));
      values.put("limit.historyCount.warn", Long.toString(Math.min(limits.historyEvents / 5, 10L * 1024)));
    }
    for (String entry : env.getOrDefault(DYNAMIC_CONFIG_VARIABLE, "").split(",")) {
      String e = entry.trim();
      if (e.isEmpty()) {
        continue;
      }
      int eq = e.indexOf('=');
      if (eq <= 0 || eq == e.length() - 1) {
        throw new IllegalArgumentException(DYNAMIC_CONFIG_VARIABLE + ": '" + e + "' is not KEY=VALUE (for example"
            + " limit.historyCount.suggestContinueAsNew=400)");
      }
      values.put(e.substring(0, eq).trim(), e.substring(eq + 1).trim());
    }
    List<String> out = new ArrayList<>();
    values.forEach((k, v) -> out.add(k + "=" + v));
    return out;
  }

  /** The variables that describe these limits, for a second terminal (empty for the defaults). */
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    if (blobBytes != DEFAULTS.blobBytes) {
      env.put(BLOB_VARIABLE, Long.toString(blobBytes));
    }
    if (historyBytes != DEFAULTS.historyBytes) {
      env.put(HISTORY_BYTES_VARIABLE, Long.toString(historyBytes));
    }
    if (historyEvents != DEFAULTS.historyEvents) {
      env.put(HISTORY_EVENTS_VARIABLE, Long.toString(historyEvents));
    }
    return env;
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "blob %,d bytes, history %,d bytes / %,d events", blobBytes, historyBytes,
        historyEvents);
  }
}
