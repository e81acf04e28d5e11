package io.bmadflow.infra.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The workspace policy: the default, what an explicit directory may be, and the messages. */
class WorkspaceRootTest {
  @TempDir Path temp;

  @Test
  void theDefaultIsTheProjectsDirectoryUnderTheRoot() {
    WorkspaceRoot workspaces = WorkspaceRoot.of(temp.resolve("workspaces"));
    assertEquals(temp.resolve("workspaces/my-app"), workspaces.resolve("my-app", null));
    assertEquals(temp.resolve("workspaces/my-app"), workspaces.resolve("my-app", " "));
  }

  @Test
  void aDirectoryStrictlyUnderTheRootOrAnAllowedRootIsAccepted() throws Exception {
    Path allowed = Files.createDirectories(temp.resolve("shared"));
    WorkspaceRoot workspaces = WorkspaceRoot.of(temp.resolve("workspaces"), List.of(allowed));
    Path mine = temp.resolve("workspaces/team/my-app");
    assertEquals(mine, workspaces.resolve("my-app", mine.toString()));
    assertEquals(allowed.resolve("x"), workspaces.resolve("my-app", allowed.resolve("x").toString()));
    assertEquals(mine, workspaces.resolve("my-app", temp.resolve("workspaces/team/./other/../my-app").toString()));
  }

  @Test
  void everyDirectoryOutsideTheRootsIsRefusedNamingTheRootAndTheVariable() throws Exception {
    Path root = Files.createDirectories(temp.resolve("workspaces"));
    Path outside = Files.createDirectories(temp.resolve("outside"));
    Files.createSymbolicLink(root.resolve("escape"), outside);
    WorkspaceRoot workspaces = WorkspaceRoot.of(root);
    for (String bad : List.of("/", "/etc", root.toString(), root + "/", root + "/../outside", root + "/a/../../outside",
        "relative/dir", root + "/escape", root + "/escape/deeper/my-app", outside.toString())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> workspaces.resolve("my-app", bad), bad);
      assertTrue(e.getMessage().startsWith("workspace " + bad + " is refused: "), e.getMessage());
      assertTrue(e.getMessage().contains("strictly under the workspace root " + root), e.getMessage());
      assertTrue(e.getMessage().contains(WorkspaceRoot.ROOT_VARIABLE), e.getMessage());
      assertTrue(e.getMessage().contains(WorkspaceRoot.ALLOW_VARIABLE), e.getMessage());
    }
    String message = assertThrows(IllegalArgumentException.class,
        () -> workspaces.resolve("my-app", root + "/escape/my-app")).getMessage();
    assertTrue(message.contains("through a symbolic link"), message);
  }

  @Test
  void aProjectDirectoryThatIsALinkOutOfTheRootIsRefusedToo() throws Exception {
    Path root = Files.createDirectories(temp.resolve("workspaces"));
    Files.createSymbolicLink(root.resolve("my-app"), Files.createDirectories(temp.resolve("elsewhere")));
    Files.createSymbolicLink(root.resolve("dangling"), temp.resolve("nowhere"));
    WorkspaceRoot workspaces = WorkspaceRoot.of(root);
    assertThrows(IllegalArgumentException.class, () -> workspaces.resolve("my-app", null));
    assertThrows(IllegalArgumentException.class, () -> workspaces.resolve("dangling", null));
    assertThrows(IllegalArgumentException.class, () -> workspaces.resolve("../x", null));
  }

  @Test
  void theEnvironmentNamesTheRootAndTheAllowList() {
    WorkspaceRoot defaults = WorkspaceRoot.fromEnvironment(Map.of());
    assertEquals(Path.of(WorkspaceRoot.DEFAULT_ROOT).toAbsolutePath().normalize(), defaults.root());
    assertEquals(List.of(), defaults.allowed());
    WorkspaceRoot configured = WorkspaceRoot.fromEnvironment(Map.of(WorkspaceRoot.ROOT_VARIABLE, temp + "/r",
        WorkspaceRoot.ALLOW_VARIABLE, temp + "/a::" + temp + "/b/../c"));
    assertEquals(temp.resolve("r"), configured.root());
    assertEquals(List.of(temp.resolve("a"), temp.resolve("c")), configured.allowed());
    assertEquals(temp.resolve("x"), WorkspaceRoot.fromEnvironment(Map.of(WorkspaceRoot.ROOT_VARIABLE, "/ignored"),
        temp.resolve("x")).root());

    String slash = assertThrows(IllegalArgumentException.class,
        () -> WorkspaceRoot.fromEnvironment(Map.of(WorkspaceRoot.ROOT_VARIABLE, "/"))).getMessage();
    assertTrue(slash.contains("filesystem root") && slash.contains(WorkspaceRoot.ROOT_VARIABLE), slash);
    String relative = assertThrows(IllegalArgumentException.class,
        () -> WorkspaceRoot.fromEnvironment(Map.of(WorkspaceRoot.ALLOW_VARIABLE, "rel"))).getMessage();
    assertTrue(relative.contains(WorkspaceRoot.ALLOW_VARIABLE + " entry 'rel' is not an absolute directory"), relative);
    assertThrows(IllegalArgumentException.class, () -> WorkspaceRoot.fromEnvironment(Map.of(WorkspaceRoot.ALLOW_VARIABLE, "/")));
  }
}
