package io.bmadflow.infra.devstack;

import io.bmadflow.infra.config.S3Settings;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException;

/**
 * The embedded dev stack: a Temporal server and S3Proxy, on 127.0.0.1 only.
 *
 * <p>The Temporal server is the real dev server ({@code temporal server start-dev}, a child
 * process, history in {@code <data-dir>/temporal/temporal.db}, surviving restarts) or Temporal's
 * Java test server (in this process, history in memory, so a restart of the stack is a real lost
 * cluster); see {@link TemporalChoice}. S3 data lives under {@code <data-dir>/s3/<bucket>/} and
 * survives restarts. When a preferred port is busy another free one is taken. Not for production:
 * the servers are optional dependencies that a production worker's classpath does not have.
 */
public final class DevStack implements AutoCloseable {
  public static final int DEFAULT_TEMPORAL_PORT = 7233;
  public static final int DEFAULT_S3_PORT = 9000;
  public static final String ACCESS_KEY = "bmadflow-dev";
  public static final String SECRET_KEY = "bmadflow-dev-secret";
  public static final String BUCKET = S3Settings.DEFAULT_BUCKET;
  public static final String REGION = "us-east-1";
  public static final String NAMESPACE = "default";

  private static final Logger log = LoggerFactory.getLogger(DevStack.class);

  private final Path dataDir;
  private final TemporalServer temporalServer;
  private S3Proxy s3Proxy;
  private final int s3Port;

  private DevStack(Path dataDir, TemporalServer server, S3Proxy proxy, int s3Port) {
    this.dataDir = dataDir;
    this.temporalServer = server;
    this.s3Proxy = proxy;
    this.s3Port = s3Port;
  }

  /**
   * Starts the stack on the Java test server (the choice {@code test-server}).
   *
   * @param dataDir where S3 data is kept (created when missing)
   * @param temporalPort the preferred Temporal port, or 0 for any free port
   * @param s3Port the preferred S3 port, or 0 for any free port
   */
  public static DevStack start(Path dataDir, int temporalPort, int s3Port) throws IOException {
    return start(dataDir, TemporalChoice.TEST_SERVER, temporalPort, s3Port, Map.of());
  }

  /**
   * Starts both servers, the Temporal one as {@code choice} says.
   *
   * @param dataDir where S3 data (and the dev server's database) is kept (created when missing)
   * @param choice which Temporal server; {@link TemporalChoice#AUTO} looks for the CLI in {@code env}
   * @param temporalPort the preferred Temporal port, or 0 for any free port
   * @param s3Port the preferred S3 port, or 0 for any free port
   * @param env where {@code PATH} and {@value TemporalDevServer#CLI_VARIABLE} are read
   * @throws IOException when a server cannot start, or {@code dev-server} was asked for and no CLI is found
   */
  public static DevStack start(Path dataDir, TemporalChoice choice, int temporalPort, int s3Port, Map<String, String> env)
      throws IOException {
    Path s3Dir = dataDir.resolve("s3").toAbsolutePath();
    Files.createDirectories(s3Dir);
    TemporalServer server = null;
    S3Proxy proxy = null;
    try {
      server = startTemporal(dataDir.toAbsolutePath(), choice, temporalPort, env);
      int actualS3Port = Ports.usable(s3Port);
      if (s3Port > 0 && actualS3Port != s3Port) {
        log.info("S3 port {} is busy, taking another", s3Port);
      }
      proxy = startS3Proxy(s3Dir, actualS3Port);
      DevStack stack = new DevStack(dataDir.toAbsolutePath(), server, proxy, actualS3Port);
      stack.createBucket();
      log.info("dev stack: Temporal at {}, S3 at {}, data in {}", stack.temporalAddress(), stack.s3Endpoint(), stack.dataDir);
      return stack;
    } catch (Exception e) {
      stopQuietly(proxy);
      if (server != null) {
        server.close();
      }
      if (e instanceof IOException io) {
        throw io;
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("the dev stack could not start: " + e.getMessage(), e);
    }
  }

  private static S3Proxy startS3Proxy(Path s3Dir, int port) throws Exception {
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(s3Dir.toString()))
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V4, ACCESS_KEY, SECRET_KEY)
            .build();
    proxy.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!"STARTED".equals(proxy.getState())) {
      if (System.nanoTime() > deadline) {
        stopQuietly(proxy);
        throw new IOException("S3Proxy on 127.0.0.1:" + port + " did not start within 20 s (state " + proxy.getState() + ")");
      }
      Thread.sleep(10);
    }
    return proxy;
  }

  /** Stops the S3 server, keeping its data: an S3 outage, for tests and drills. */
  public synchronized void stopS3() {
    stopQuietly(s3Proxy);
  }

  /** Starts the S3 server again on the same port and data after {@link #stopS3()}. */
  public synchronized void startS3() throws Exception {
    s3Proxy = startS3Proxy(dataDir.resolve("s3"), s3Port);
  }

  private static TemporalServer startTemporal(Path dataDir, TemporalChoice choice, int port, Map<String, String> env)
      throws IOException {
    Path cli;
    try {
      cli = choice == TemporalChoice.TEST_SERVER ? null : TemporalDevServer.findCli(env);
    } catch (IllegalArgumentException e) {
      throw new IOException(e.getMessage(), e);
    }
    if (cli != null) {
      List<String> dynamicConfig;
      try {
        dynamicConfig = io.bmadflow.infra.temporal.TemporalLimits.devServerDynamicConfig(env);
      } catch (IllegalArgumentException e) {
        throw new IOException(e.getMessage(), e);
      }
      return TemporalDevServer.start(cli, dataDir, port, dynamicConfig);
    }
    if (choice == TemporalChoice.DEV_SERVER) {
      throw new IOException("--temporal dev-server: no temporal CLI on the PATH and " + TemporalDevServer.CLI_VARIABLE
          + " is not set; install it with " + TemporalDevServer.INSTALL_HINT + ", or use --temporal test-server");
    }
    return JavaTestServer.start(port, choice == TemporalChoice.TEST_SERVER ? "--temporal test-server"
        : "no temporal CLI on the PATH; install it with " + TemporalDevServer.INSTALL_HINT);
  }

  private void createBucket() {
    try (S3Client s3 = s3Settings().newClient()) {
      s3.createBucket(b -> b.bucket(BUCKET));
    } catch (BucketAlreadyOwnedByYouException exists) {
      // Kept from an earlier run: S3 data survives restarts.
    } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
      if (e.statusCode() != 409) {
        throw e;
      }
    }
  }

  /** {@code 127.0.0.1:<port>}. */
  public String temporalAddress() {
    return temporalServer.address();
  }

  public int temporalPort() {
    return temporalServer.port();
  }

  /** The Temporal server: which one, where, and its Web UI. */
  public TemporalServer temporal() {
    return temporalServer;
  }

  /**
   * The Web UI's page of a project's workflow, e.g.
   * {@code http://127.0.0.1:8233/namespaces/default/workflows/bmadflow-project-my-app}, or null
   * when the server has no UI (the test server).
   */
  public String workflowLink(String projectId) {
    String ui = temporalServer.uiAddress();
    return ui == null ? null
        : ui + "/namespaces/" + NAMESPACE + "/workflows/" + io.bmadflow.workflows.ProjectIds.workflowId(projectId);
  }

  public URI s3Endpoint() {
    return URI.create("http://127.0.0.1:" + s3Port);
  }

  public int s3Port() {
    return s3Port;
  }

  public Path dataDir() {
    return dataDir;
  }

  /** The S3 settings of the stack's bucket. */
  public S3Settings s3Settings() {
    return new S3Settings(
        s3Endpoint(), BUCKET, "", REGION,
        StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)));
  }

  /**
   * The environment a second terminal needs to use this stack, in order: the variables that
   * {@code bmadflow worker} and the client commands read.
   */
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TEMPORAL_ADDRESS", temporalAddress());
    env.put("TEMPORAL_NAMESPACE", NAMESPACE);
    env.put("BMADFLOW_S3_ENDPOINT", s3Endpoint().toString());
    env.put("BMADFLOW_S3_BUCKET", BUCKET);
    env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    env.put("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    env.put("AWS_REGION", REGION);
    if (temporalServer.isTestServer()) {
      // Marks the Java test server, whose workers need a zero sticky-queue timeout; a worker of
      // the dev server keeps Temporal's production defaults.
      env.put("BMADFLOW_DEV_STACK", "true");
    }
    env.put("BMADFLOW_WORKSPACE_ROOT", dataDir.resolve("workspaces").toString());
    if (temporalServer.uiAddress() != null) {
      env.put("BMADFLOW_TEMPORAL_UI", temporalServer.uiAddress()); // For `bmadflow status`'s link.
    }
    return env;
  }

  @Override
  public void close() {
    stopQuietly(s3Proxy);
    temporalServer.close();
  }

  private static void stopQuietly(S3Proxy proxy) {
    if (proxy == null) {
      return;
    }
    try {
      proxy.stop();
    } catch (Exception e) {
      log.warn("S3Proxy did not stop cleanly: {}", e.toString());
    }
  }
}
