package io.bmadflow.infra.devstack;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback ports for the dev stack's servers. */
final class Ports {
  private Ports() {}

  /** A port free on 127.0.0.1 now. */
  static int free() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The preferred port if it can be bound on 127.0.0.1 now, else a free one; 0 means any. */
  static int usable(int preferred) throws IOException {
    if (preferred > 0) {
      try (ServerSocket probe = new ServerSocket()) {
        probe.setReuseAddress(true);
        probe.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), preferred));
        return preferred;
      } catch (IOException busy) {
        // Taken: any free one instead.
      }
    }
    return free();
  }
}
