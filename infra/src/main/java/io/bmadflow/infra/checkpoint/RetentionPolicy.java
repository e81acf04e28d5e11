package io.bmadflow.infra.checkpoint;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The seed's retention classes and how long each keeps a checkpoint.
 *
 * <p>A checkpoint's class follows from its priority and trigger: {@code critical} priority is
 * kept for good; time-based and user-requested checkpoints are {@code frequent}; everything else
 * (phase transitions, gates, decisions, milestones...) is a {@code milestone}. Defaults are 7 and
 * 30 days, configurable with {@code BMADFLOW_RETENTION_FREQUENT_DAYS} and
 * {@code BMADFLOW_RETENTION_MILESTONE_DAYS}.
 *
 * @param frequent how long frequent checkpoints are kept
 * @param milestone how long milestone checkpoints are kept
 */
public record RetentionPolicy(Duration frequent, Duration milestone) {
  public static final String FREQUENT = "7-days-frequent";
  public static final String MILESTONE = "30-days-milestone";
  public static final String CRITICAL = "permanent-critical";

  public static RetentionPolicy defaults() {
    return new RetentionPolicy(Duration.ofDays(7), Duration.ofDays(30));
  }

  /** From {@code BMADFLOW_RETENTION_FREQUENT_DAYS} and {@code BMADFLOW_RETENTION_MILESTONE_DAYS}. */
  public static RetentionPolicy fromEnvironment(Map<String, String> env) {
    return new RetentionPolicy(
        Duration.ofDays(days(env, "BMADFLOW_RETENTION_FREQUENT_DAYS", 7)),
        Duration.ofDays(days(env, "BMADFLOW_RETENTION_MILESTONE_DAYS", 30)));
  }

  /** The class of a checkpoint, by the seed's names. */
  public static String classOf(String priority, String trigger) {
    if ("critical".equals(priority)) {
      return CRITICAL;
    }
    return "time_based".equals(trigger) || "user_request".equals(trigger) ? FREQUENT : MILESTONE;
  }

  /** When a checkpoint of this class expires, or null when it never does. */
  public Instant expiresAt(String retentionClass, Instant created) {
    return switch (retentionClass) {
      case CRITICAL -> null;
      case FREQUENT -> created.plus(frequent);
      default -> created.plus(milestone);
    };
  }

  private static long days(Map<String, String> env, String name, long fallback) {
    String value = env.get(name);
    if (value == null || value.isBlank()) {
      return fallback;
    }
    try {
      long days = Long.parseLong(value.trim());
      if (days < 1) {
        throw new NumberFormatException();
      }
      return days;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " '" + value + "' must be a whole number of days, 1 or more");
    }
  }
}
