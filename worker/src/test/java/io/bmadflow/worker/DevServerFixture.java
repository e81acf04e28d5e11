package io.bmadflow.worker;

import io.bmadflow.infra.devstack.DevStackSession;
import io.bmadflow.infra.devstack.TemporalChoice;
import io.bmadflow.infra.devstack.TemporalDevServer;
import io.bmadflow.workflows.testing.RequiredTool;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The real-server test tier's fixture: a dev stack on its own {@code temporal server start-dev}
 * (free loopback ports, its database in the test's temp dir) and S3Proxy, for one test class.
 *
 * <p>Without the {@code temporal} CLI (on the PATH or in {@code BMADFLOW_TEMPORAL_CLI}) the test
 * is skipped with one line saying how to get it, or fails under {@code CI=true}
 * ({@link RequiredTool}).
 */
final class DevServerFixture {
  static final String INSTALL = TemporalDevServer.INSTALL_HINT;

  private DevServerFixture() {}

  /** The {@code temporal} CLI, or the skip (failure under CI) that says how to get it. */
  static Path cli() {
    Map<String, String> env = System.getenv();
    return RequiredTool.require("temporal", TemporalDevServer.findCli(env), INSTALL, env);
  }

  /** Starts the stack on the dev server, with the data (and the server's database) under {@code dataDir}. */
  static StackFixture start(Path dataDir) throws IOException {
    return start(dataDir, Map.of());
  }

  /**
   * Starts the stack on the dev server with {@code overrides} on top of this process's environment
   * (lowered limits: {@code BMADFLOW_LIMIT_*}, see {@link io.bmadflow.infra.temporal.TemporalLimits}).
   */
  static StackFixture start(Path dataDir, Map<String, String> overrides) throws IOException {
    cli();
    Map<String, String> env = new java.util.HashMap<>(System.getenv());
    env.putAll(overrides);
    return new StackFixture(DevStackSession.open(dataDir, TemporalChoice.DEV_SERVER, 0, 0, null, env));
  }
}
