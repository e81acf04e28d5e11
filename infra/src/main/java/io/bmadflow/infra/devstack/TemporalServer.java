package io.bmadflow.infra.devstack;

import java.io.IOException;

/**
 * The Temporal server of the dev stack, on 127.0.0.1: the Java test server
 * ({@link JavaTestServer}) or the real dev server ({@link TemporalDevServer}).
 */
public interface TemporalServer extends AutoCloseable {
  /** The frontend port on 127.0.0.1. */
  int port();

  /** {@code 127.0.0.1:<port>}. */
  default String address() {
    return "127.0.0.1:" + port();
  }

  /** The Web UI's address ({@code http://127.0.0.1:<port>}), or null when the server has none. */
  String uiAddress();

  /**
   * One line for humans saying which server this is and where, e.g. {@code temporal: dev server
   * 1.9.1 (Server 1.32.0) at 127.0.0.1:7233, UI http://127.0.0.1:8233}.
   */
  String describe();

  /**
   * Whether this is the Java test server: its workers need a zero sticky-queue timeout (it never
   * times sticky queues out) and it has no visibility queries, no reset and no Web UI.
   */
  boolean isTestServer();

  /**
   * Loses every workflow history, as a lost cluster would, and comes back empty on the same port:
   * the dev server is stopped, its database deleted, and started again.
   *
   * @throws UnsupportedOperationException when the server cannot (the test server: callers
   *     terminate the run instead)
   */
  void loseAllHistory() throws IOException;

  /** Stops the server; it is never left running. */
  @Override
  void close();
}
