package io.bmadflow.client.cli;

import io.bmadflow.client.BmadflowClient;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.checkpoint.StoreOptions;
import io.bmadflow.infra.config.S3Settings;
import io.bmadflow.infra.temporal.TemporalConnection;
import java.util.Map;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The servers a command talks to, configured from the environment and opened on first use, so a
 * command that only needs S3 never dials Temporal.
 */
public final class Services implements AutoCloseable {
  private final Map<String, String> env;
  private TemporalConnection temporal;
  private S3Client s3;
  private CheckpointStore store;

  public Services(Map<String, String> env) {
    this.env = env;
  }

  public Map<String, String> env() {
    return env;
  }

  public TemporalConnection temporal() {
    if (temporal == null) {
      temporal = TemporalConnection.fromEnvironment(env);
    }
    return temporal;
  }

  /**
   * The connection, opened reporting the Temporal SDK's metrics to {@code metricsScope} (null:
   * none) when this is the first use; a worker calls it before anything else dials Temporal.
   */
  public TemporalConnection temporal(com.uber.m3.tally.Scope metricsScope) {
    if (temporal == null) {
      temporal = TemporalConnection.fromEnvironment(env, metricsScope);
    }
    return temporal;
  }

  public CheckpointStore store() {
    if (store == null) {
      S3Settings settings = S3Settings.fromEnvironment(env);
      s3 = settings.newClient();
      store = new S3CheckpointStore(s3, settings, StoreOptions.fromEnvironment(env));
    }
    return store;
  }

  /** A client over both servers. */
  public BmadflowClient client() {
    return new BmadflowClient(temporal().client(), store());
  }

  @Override
  public void close() {
    if (temporal != null) {
      temporal.close();
    }
    if (s3 != null) {
      s3.close();
    }
  }
}
