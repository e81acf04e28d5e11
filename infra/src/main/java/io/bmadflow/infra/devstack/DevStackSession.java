package io.bmadflow.infra.devstack;

import com.uber.m3.tally.Scope;
import io.bmadflow.infra.checkpoint.S3CheckpointStore;
import io.bmadflow.infra.temporal.TemporalConnection;
import java.io.IOException;
import java.nio.file.Path;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The dev stack with its clients: a Temporal connection and a checkpoint store on its S3. What
 * {@code bmadflow dev}, {@code bmadflow demo} and the tests open; it closes everything in reverse
 * order, and closes what it opened when a later part fails to start.
 */
public final class DevStackSession implements AutoCloseable {
  private final DevStack stack;
  private final TemporalConnection temporal;
  private final S3Client s3;
  private final S3CheckpointStore store;

  private DevStackSession(DevStack stack, TemporalConnection temporal, S3Client s3) {
    this.stack = stack;
    this.temporal = temporal;
    this.s3 = s3;
    this.store = new S3CheckpointStore(s3, stack.s3Settings());
  }

  /**
   * Starts the stack and connects to it.
   *
   * @param metricsScope where the Temporal client reports its metrics, or null
   */
  public static DevStackSession open(Path dataDir, int temporalPort, int s3Port, Scope metricsScope) throws IOException {
    DevStack stack = DevStack.start(dataDir, temporalPort, s3Port);
    TemporalConnection temporal = null;
    try {
      temporal = TemporalConnection.toDevStack(stack.temporalAddress(), DevStack.NAMESPACE, metricsScope);
      return new DevStackSession(stack, temporal, stack.s3Settings().newClient());
    } catch (RuntimeException e) {
      if (temporal != null) {
        temporal.close();
      }
      stack.close();
      throw e;
    }
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
