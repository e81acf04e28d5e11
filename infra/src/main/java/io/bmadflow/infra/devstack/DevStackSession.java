package io.bmadflow.infra.devstack;

import com.uber.m3.tally.Scope;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.checkpoint.StoreOptions;
import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.temporal.TemporalConnection;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The dev stack with its clients: a Temporal connection and a checkpoint store on its S3. What
 * {@code bmadflow dev}, {@code bmadflow demo} and the tests open; it closes everything in reverse
 * order, and closes what it opened when a later part fails to start.
 *
 * <p>The store is built the way {@code bmadflow worker} builds its own, through
 * {@link S3Settings#fromEnvironment} and {@link StoreOptions#fromEnvironment}, over the caller's
 * environment with the stack's connection settings on top ({@link #storeEnvironment}): so
 * {@code BMADFLOW_ENCRYPTION_KEY}, the compression, retention and prefix settings, and whatever
 * else those read, apply to the dev stack exactly as to a worker.
 */
public final class DevStackSession implements AutoCloseable {
  private final DevStack stack;
  private final TemporalConnection temporal;
  private final S3Client s3;
  private final S3CheckpointStore store;

  private final Map<String, String> storeEnvironment;
  private final StoreOptions storeOptions;

  private DevStackSession(DevStack stack, TemporalConnection temporal, S3Client s3, S3Settings settings,
      StoreOptions options, Map<String, String> storeEnvironment) {
    this.stack = stack;
    this.temporal = temporal;
    this.s3 = s3;
    this.storeOptions = options;
    this.storeEnvironment = storeEnvironment;
    this.store = new S3CheckpointStore(s3, settings, options);
  }

  /**
   * Starts the stack and connects to it, with the store settings of an empty environment
   * (compressed, unencrypted packages).
   *
   * @param metricsScope where the Temporal client reports its metrics, or null
   */
  public static DevStackSession open(Path dataDir, int temporalPort, int s3Port, Scope metricsScope) throws IOException {
    return open(dataDir, temporalPort, s3Port, metricsScope, Map.of());
  }

  /**
   * Starts the stack and connects to it, with the store settings {@code env} gives (see the class
   * comment); a bad setting fails before anything starts, with the variable's name.
   *
   * @param metricsScope where the Temporal client reports its metrics, or null
   * @param env the environment of the command, as {@code bmadflow worker} would read it
   */
  public static DevStackSession open(Path dataDir, int temporalPort, int s3Port, Scope metricsScope, Map<String, String> env)
      throws IOException {
    return open(dataDir, TemporalChoice.TEST_SERVER, temporalPort, s3Port, metricsScope, env);
  }

  /**
   * Starts the stack on the Temporal server {@code choice} says and connects to it, with the store
   * settings {@code env} gives (see the class comment); {@code PATH} and
   * {@code BMADFLOW_TEMPORAL_CLI} are read from {@code env} too.
   *
   * @param metricsScope where the Temporal client reports its metrics, or null
   */
  public static DevStackSession open(Path dataDir, TemporalChoice choice, int temporalPort, int s3Port, Scope metricsScope,
      Map<String, String> env) throws IOException {
    // Checked first, so a malformed key or setting starts no server.
    StoreOptions.fromEnvironment(env);
    DevStack stack = DevStack.start(dataDir, choice, temporalPort, s3Port, env);
    TemporalConnection temporal = null;
    S3Client s3 = null;
    try {
      Map<String, String> storeEnv = storeEnvironment(env, stack);
      S3Settings settings = S3Settings.fromEnvironment(storeEnv);
      StoreOptions options = StoreOptions.fromEnvironment(storeEnv);
      temporal = TemporalConnection.toDevStack(stack.temporalAddress(), DevStack.NAMESPACE, metricsScope,
          stack.temporal().isTestServer(), io.bmadflow.infra.temporal.TemporalLimits.fromEnvironment(env));
      s3 = settings.newClient();
      return new DevStackSession(stack, temporal, s3, settings, options, storeEnv);
    } catch (RuntimeException e) {
      if (s3 != null) {
        s3.close();
      }
      if (temporal != null) {
        temporal.close();
      }
      stack.close();
      throw e;
    }
  }

  /**
   * The environment the store is built from: {@code env} with the stack's own connection settings
   * (Temporal, S3 endpoint, bucket, region and credentials) on top, as a second terminal that
   * pasted the stack's export lines into this shell would have.
   */
  static Map<String, String> storeEnvironment(Map<String, String> env, DevStack stack) {
    Map<String, String> merged = new LinkedHashMap<>(env);
    merged.putAll(stack.environment());
    return Collections.unmodifiableMap(merged);
  }

  /** The environment the store was built from (see {@link #storeEnvironment(Map, DevStack)}). */
  public Map<String, String> storeEnvironment() {
    return storeEnvironment;
  }

  /** The options the store writes packages with. */
  public StoreOptions storeOptions() {
    return storeOptions;
  }

  public DevStack stack() {
    return stack;
  }

  public TemporalConnection temporal() {
    return temporal;
  }

  public S3Client s3() {
    return s3;
  }

  public S3CheckpointStore store() {
    return store;
  }

  @Override
  public void close() {
    s3.close();
    temporal.close();
    stack.close();
  }
}
