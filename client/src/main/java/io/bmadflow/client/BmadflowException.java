package io.bmadflow.client;

/**
 * An expected failure of a client operation; the message names the thing, the problem and what
 * to do, and the CLI prints it without a stack trace.
 */
public class BmadflowException extends RuntimeException {
  public BmadflowException(String message) {
    super(message);
  }

  public BmadflowException(String message, Throwable cause) {
    super(message, cause);
  }
}
