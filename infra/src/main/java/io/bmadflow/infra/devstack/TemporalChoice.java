package io.bmadflow.infra.devstack;

import java.util.Locale;
import java.util.Map;

/**
 * Which Temporal server the dev stack runs: {@code --temporal auto|dev-server|test-server}.
 *
 * <p>{@link #AUTO}, the default, takes the real dev server ({@code temporal server start-dev})
 * when a {@code temporal} CLI is found ({@link TemporalDevServer#findCli}), else the Java test
 * server.
 */
public enum TemporalChoice {
  /** The dev server when a {@code temporal} CLI is found, else the test server. */
  AUTO("auto"),
  /** The real Temporal dev server, as a child process; fails when no CLI is found. */
  DEV_SERVER("dev-server"),
  /** Temporal's in-process Java test server (history in memory). */
  TEST_SERVER("test-server");

  private final String wire;

  TemporalChoice(String wire) {
    this.wire = wire;
  }

  /** The option value: {@code auto}, {@code dev-server} or {@code test-server}. */
  public String wire() {
    return wire;
  }

  /** Parses an option value, naming the accepted ones when it is none of them. */
  public static TemporalChoice fromWire(String value) {
    String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
    for (TemporalChoice c : values()) {
      if (c.wire.equals(v)) {
        return c;
      }
    }
    throw new IllegalArgumentException("'" + value + "' is not a Temporal server choice; use auto, dev-server or test-server");
  }

  /** True when this choice, in {@code env}, means the dev server. */
  boolean wantsDevServer(Map<String, String> env) {
    return switch (this) {
      case DEV_SERVER -> true;
      case TEST_SERVER -> false;
      case AUTO -> TemporalDevServer.findCli(env) != null;
    };
  }
}
