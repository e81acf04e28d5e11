package io.bmadflow.infra.checkpoint;

/**
 * A checkpoint store operation failed. The message names the checkpoint or key, the problem and
 * what to do.
 */
public class CheckpointStoreException extends RuntimeException {
  public CheckpointStoreException(String message) {
    super(message);
  }

  public CheckpointStoreException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The checkpoint or project does not exist in the store. */
  public static class NotFound extends CheckpointStoreException {
    public NotFound(String message) {
      super(message);
    }
  }

  /** A committed package already holds this id with different content. */
  public static class Conflict extends CheckpointStoreException {
    public Conflict(String message) {
      super(message);
    }
  }

  /** A stored package is corrupt: a size, checksum or schema check failed. */
  public static class Corrupt extends CheckpointStoreException {
    public Corrupt(String message) {
      super(message);
    }

    public Corrupt(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The storage service could not be reached or refused the request. */
  public static class Unavailable extends CheckpointStoreException {
    public Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
