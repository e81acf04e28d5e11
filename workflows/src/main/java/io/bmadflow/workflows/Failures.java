package io.bmadflow.workflows;

/**
 * Failure types of bmadflow's non-retryable application failures.
 *
 * <p>Activities throw {@code ApplicationFailure.newNonRetryableFailure(message, TYPE)} with one of
 * these; the retry profiles in {@link ActivityProfiles} list them as do-not-retry too, so a bad
 * input fails fast instead of burning the retry budget.
 */
public final class Failures {
  /** The request itself is wrong (malformed id, unsafe path, unknown agent); retrying won't help. */
  public static final String INVALID_INPUT = "BmadflowInvalidInput";
  /** A checkpoint id already holds a committed package with different content. */
  public static final String CHECKPOINT_CONFLICT = "BmadflowCheckpointConflict";
  /** A stored package failed verification (size, checksum or schema). */
  public static final String CHECKPOINT_CORRUPT = "BmadflowCheckpointCorrupt";
  /**
   * Checkpoint storage could not be reached or refused a request. Retryable: the retry profiles
   * ride out an outage; the message says what failed and what to check.
   */
  public static final String STORAGE_UNAVAILABLE = "BmadflowStorageUnavailable";

  /** A phase failed (an agent step ran out of attempts); the message names the step and the cause. */
  public static final String PHASE_FAILED = "BmadflowPhaseFailed";
  /**
   * An agent's runner failed (retryable); the message starts {@code agent <name>, step <index>: }
   * so a recovery's failure assessment can name the agent.
   */
  public static final String AGENT_FAILED = "BmadflowAgentFailed";

  /**
   * An activity of a phase whose project run is no longer the project's current run (a reset or a
   * restart replaced it): it must not touch the workspace the new run owns. Not retried.
   */
  public static final String REPLACED_RUN = "BmadflowReplacedRun";

  /**
   * A payload over the Temporal server's blob size limit, refused by bmadflow's data converter
   * before the server could reject it and end the workflow; the message names the payload, its
   * size and the limit. Not retried: the same value is as large the next time.
   */
  public static final String PAYLOAD_TOO_LARGE = "PayloadTooLarge";

  private Failures() {}

  /**
   * The innermost cause's own message: what the agent, activity or server said, without the
   * wrappers Temporal adds around it (an {@code ApplicationFailure}'s original message).
   */
  public static String rootMessage(Throwable failure) {
    Throwable t = failure;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t instanceof io.temporal.failure.ApplicationFailure af ? af.getOriginalMessage() : String.valueOf(t.getMessage());
  }
}
