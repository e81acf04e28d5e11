package io.bmadflow.infra.devstack;

import io.bmadflow.infra.config.S3Settings;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
 * The embedded dev stack: Temporal's Java test server and S3Proxy, on 127.0.0.1 only.
 *
 * <p>S3 data lives under {@code <data-dir>/s3/<bucket>/} and survives restarts; the test server
 * keeps history in memory, so a restart of the stack is a real lost cluster. When a preferred
 * port is busy another free one is taken. Not for production: the servers are optional
 * dependencies that a production worker's classpath does not have.
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
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private final Path dataDir;
  private final TestServicesStarter temporalServices;
  private final Server temporalServer;
  private S3Proxy s3Proxy;
  private final int s3Port;

  private DevStack(Path dataDir, TestServicesStarter services, Server server, S3Proxy proxy, int s3Port) {
    this.dataDir = dataDir;
    this.temporalServices = services;
    this.temporalServer = server;
    this.s3Proxy = proxy;
    this.s3Port = s3Port;
  }

  /**
   * Starts both servers.
   *
   * @param dataDir where S3 data is kept (created when missing)
   * @param temporalPort the preferred Temporal port, or 0 for any free port
   * @param s3Port the preferred S3 port, or 0 for any free port
   */
  public static DevStack start(Path dataDir, int temporalPort, int s3Port) throws IOException {
    Path s3Dir = dataDir.resolve("s3").toAbsolutePath();
    Files.createDirectories(s3Dir);
    TestServicesStarter services = new TestServicesStarter(true, 0);
    Server server = null;
    S3Proxy proxy = null;
    try {
      server = startTemporal(services, temporalPort);
      int actualS3Port = usablePort(s3Port);
      proxy = startS3Proxy(s3Dir, actualS3Port);
      DevStack stack = new DevStack(dataDir.toAbsolutePath(), services, server, proxy, actualS3Port);
      stack.createBucket();
      log.info("dev stack: Temporal at {}, S3 at {}, data in {}", stack.temporalAddress(), stack.s3Endpoint(), stack.dataDir);
      return stack;
    } catch (Exception e) {
      stopQuietly(proxy);
      if (server != null) {
        server.shutdownNow();
      }
      services.close();
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

  private static Server startTemporal(TestServicesStarter services, int preferredPort) throws IOException {
    IOException last = null;
    int port = preferredPort;
    for (int attempt = 0; attempt < 5; attempt++) {
      ServerBuilder<?> builder = NettyServerBuilder.forAddress(new InetSocketAddress(LOOPBACK, port));
      GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
      try {
        return builder.build().start();
      } catch (IOException e) {
        last = e;
        log.info("Temporal port {} is busy, taking another", port);
        port = freePort();
      }
    }
    throw new IOException("no free port for the Temporal test server on 127.0.0.1", last);
  }

  /** The preferred port if it can be bound on loopback now, else a free one. */
  private static int usablePort(int preferred) throws IOException {
    if (preferred > 0) {
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new InetSocketAddress(LOOPBACK, preferred));
        return preferred;
      } catch (IOException busy) {
        log.info("S3 port {} is busy, taking another", preferred);
      }
    }
    return freePort();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 50, LOOPBACK)) {
      return socket.getLocalPort();
    }
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
    return "127.0.0.1:" + temporalServer.getPort();
  }

  public int temporalPort() {
    return temporalServer.getPort();
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
    env.put("BMADFLOW_DEV_STACK", "true");
    env.put("BMADFLOW_WORKSPACE_ROOT", dataDir.resolve("workspaces").toString());
    return env;
  }

  @Override
  public void close() {
    stopQuietly(s3Proxy);
    temporalServer.shutdownNow();
    try {
      temporalServer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    temporalServices.close();
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
