package io.bmadflow.infra.temporal;

/** Temporal cannot be reached or configured; the message says which address and what to check. */
public class TemporalUnavailableException extends RuntimeException {
  public TemporalUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
