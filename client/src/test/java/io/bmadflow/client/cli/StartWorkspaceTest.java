package io.bmadflow.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.client.BmadflowClient;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.workflows.project.ProjectRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code start} and {@link BmadflowClient#start} refuse a workspace outside the workspace root
 * before anything is started, naming the root and the variables; nothing here dials Temporal (an
 * unreachable address would make the test hang if it did).
 */
class StartWorkspaceTest {
  @TempDir Path temp;

  private String[] run(Map<String, String> env, String... args) {
    CommandLine cli = BmadflowCommand.commandLine(env);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }

  @Test
  void startRefusesAWorkspaceOutsideTheRootNamingIt() throws Exception {
    Path root = temp.resolve("workspaces");
    Path outside = Files.createDirectories(temp.resolve("outside"));
    Files.createDirectories(root);
    Files.createSymbolicLink(root.resolve("escape"), outside);
    // Port 9 (discard) on loopback: a start that got past the check would fail differently, or hang.
    Map<String, String> env = Map.of(WorkspaceRoot.ROOT_VARIABLE, root.toString(), "TEMPORAL_ADDRESS", "127.0.0.1:9");
    for (String bad : List.of("/etc", "/", root.toString(), root + "/../outside", outside.toString(), root + "/escape/app")) {
      String[] result = run(env, "start", "--project", "my-app", "--workspace", bad);
      assertEquals("2", result[0], bad + ": " + result[1] + result[2]);
      assertTrue(result[2].contains("is refused"), result[2]);
      assertTrue(result[2].contains("strictly under the workspace root " + root), result[2]);
      assertTrue(result[2].contains(WorkspaceRoot.ROOT_VARIABLE) && result[2].contains(WorkspaceRoot.ALLOW_VARIABLE), result[2]);
    }
  }

  @Test
  void theClientRefusesBeforeItTalksToTemporal() {
    Path root = temp.resolve("workspaces");
    // No Temporal client at all: a start that got past the check would throw a NullPointerException.
    BmadflowClient client = new BmadflowClient(null, null).withWorkspaceRoot(WorkspaceRoot.of(root));
    var definition = DefinitionLoader.load(DefinitionLoader.DEFAULT).definition();
    for (String bad : List.of("/etc", "/", temp.toString())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.start("my-app", definition, bad));
      assertTrue(e.getMessage().contains("workspace " + bad + " is refused"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> client.start(new ProjectRequest("my-app", definition, bad)));
    }
    // By default the client checks against this process's environment, as a worker on this machine would.
    assertEquals(WorkspaceRoot.fromEnvironment(System.getenv()).root(), new BmadflowClient(null, null).workspaceRoot().root());
  }
}
