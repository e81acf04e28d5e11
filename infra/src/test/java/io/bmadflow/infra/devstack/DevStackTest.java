package io.bmadflow.infra.devstack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.temporal.TemporalConnection;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

class DevStackTest {

  @Test
  void listensOnLoopbackOnlyAndCreatesTheBucket(@TempDir Path dataDir) throws Exception {
    try (DevStack stack = DevStack.start(dataDir, 0, 0)) {
      for (int port : new int[] {stack.temporalPort(), stack.s3Port()}) {
        try (Socket ok = new Socket()) {
          ok.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        }
        // A socket bound to 127.0.0.1 does not answer on 127.0.0.2; one bound to 0.0.0.0 would.
        assertThrows(ConnectException.class, () -> {
          try (Socket other = new Socket()) {
            other.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), port), 2000);
          }
        }, "port " + port + " answers on 127.0.0.2, so it is not bound to loopback only");
      }
      try (S3Client s3 = stack.s3Settings().newClient()) {
        s3.headBucket(b -> b.bucket(DevStack.BUCKET));
      }
      try (TemporalConnection temporal = TemporalConnection.toDevStack(stack.temporalAddress(), DevStack.NAMESPACE)) {
        assertTrue(temporal.isDevStack());
      }
      assertEquals("true", stack.environment().get("BMADFLOW_DEV_STACK"));
    }
  }

  @Test
  void takesAnotherPortWhenThePreferredOneIsBusyAndKeepsS3DataAcrossRestarts(@TempDir Path dataDir)
      throws IOException {
    try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int taken = busy.getLocalPort();
      try (DevStack stack = DevStack.start(dataDir, taken, taken)) {
        assertNotEquals(taken, stack.temporalPort());
        assertNotEquals(taken, stack.s3Port());
        try (S3Client s3 = stack.s3Settings().newClient()) {
          s3.putObject(b -> b.bucket(DevStack.BUCKET).key("kept.txt"), RequestBody.fromString("kept"));
        }
      }
    }
    assertTrue(Files.exists(dataDir.resolve("s3").resolve(DevStack.BUCKET)));
    try (DevStack again = DevStack.start(dataDir, 0, 0);
        S3Client s3 = again.s3Settings().newClient()) {
      assertEquals("kept", s3.getObjectAsBytes(b -> b.bucket(DevStack.BUCKET).key("kept.txt")).asUtf8String());
    }
  }
}
