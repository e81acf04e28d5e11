package io.bmadflow.infra.devstack;

import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.temporal.internal.testservice.GRPCServerHelper;
import io.temporal.internal.testservice.TestServicesStarter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's Java test server, in this process, on 127.0.0.1: history in memory, so a restart of
 * the stack is a real lost cluster.
 */
final class JavaTestServer implements TemporalServer {
  private static final Logger log = LoggerFactory.getLogger(JavaTestServer.class);

  private final TestServicesStarter services;
  private final Server server;
  private final String why;

  private JavaTestServer(TestServicesStarter services, Server server, String why) {
    this.services = services;
    this.server = server;
    this.why = why;
  }

  /**
   * Starts the test server on the preferred port, or another free one when it is busy.
   *
   * @param why why the test server was chosen, for {@link #describe()}
   */
  static JavaTestServer start(int preferredPort, String why) throws IOException {
    TestServicesStarter services = new TestServicesStarter(true, 0);
    IOException last = null;
    int port = preferredPort;
    for (int attempt = 0; attempt < 5; attempt++) {
      ServerBuilder<?> builder = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      GRPCServerHelper.registerServicesAndHealthChecks(services.getServices(), builder);
      try {
        return new JavaTestServer(services, builder.build().start(), why);
      } catch (IOException e) {
        last = e;
        log.info("Temporal port {} is busy, taking another", port);
        port = Ports.free();
      }
    }
    services.close();
    throw new IOException("no free port for the Temporal test server on 127.0.0.1", last);
  }

  @Override
  public int port() {
    return server.getPort();
  }

  @Override
  public String uiAddress() {
    return null;
  }

  @Override
  public String describe() {
    return "temporal: Java test server at " + address() + " (" + why + ")";
  }

  @Override
  public boolean isTestServer() {
    return true;
  }

  @Override
  public void loseAllHistory() {
    throw new UnsupportedOperationException("the Java test server cannot lose its history in place; terminate the run instead");
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    services.close();
  }
}
