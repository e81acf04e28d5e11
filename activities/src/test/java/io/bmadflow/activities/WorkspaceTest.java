package io.bmadflow.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.agents.ArtifactRef;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceTest {

  @Test
  void writesInsideTheWorkspaceOnly(@TempDir Path root, @TempDir Path outside) throws Exception {
    Workspace workspace = Workspace.of(root, "proj", null);
    ArtifactRef ref = workspace.write("docs/prd.md", "# PRD\n");
    assertEquals(6, ref.size());
    assertTrue(Files.isRegularFile(root.resolve("proj/docs/prd.md")));
    for (String bad : List.of("../escape.md", "docs/../../escape.md", "/etc/passwd", "a\\b.md", "", "bad\u0000.md")) {
      assertThrows(IllegalArgumentException.class, () -> workspace.write(bad, "x"), bad);
    }
    // A symbolic link inside the workspace must not lead a write out of it.
    Files.createSymbolicLink(root.resolve("proj/linked"), outside);
    IllegalArgumentException link = assertThrows(IllegalArgumentException.class, () -> workspace.write("linked/evil.md", "x"));
    assertTrue(link.getMessage().contains("symbolic link"), link.getMessage());
    assertFalse(Files.exists(outside.resolve("evil.md")));
    // Nor create directories out there on the way.
    assertThrows(IllegalArgumentException.class, () -> workspace.write("linked/sub/evil.md", "x"));
    assertFalse(Files.exists(outside.resolve("sub")));
    try (Workspace.Staging staging = workspace.stage()) {
      staging.write("linked/deeper/evil.md", out -> out.write('x'));
      assertThrows(IllegalArgumentException.class, staging::commit);
    }
    assertFalse(Files.exists(outside.resolve("deeper")));
    assertThrows(IllegalArgumentException.class, () -> Workspace.of(root, "../x", null));
  }

  @Test
  void digestAndReadsNeverFollowALinkOutOfTheWorkspace(@TempDir Path root, @TempDir Path outside) throws Exception {
    Workspace workspace = Workspace.of(root, "proj", null);
    workspace.write("docs/prd.md", "# PRD\n");
    Path secret = Files.writeString(outside.resolve("secret.md"), "secret");
    Files.createSymbolicLink(root.resolve("proj/docs/link.md"), secret);
    Files.createSymbolicLink(root.resolve("proj/out"), outside);

    assertEquals(java.util.Map.of("docs/prd.md", io.bmadflow.infra.checkpoint.Sha256.hex("# PRD\n".getBytes())),
        Workspace.digest(root.resolve("proj")));
    assertEquals(List.of("docs/prd.md"), workspace.files());
    assertEquals(null, workspace.fileIfExists("docs/link.md"));
    assertEquals(null, workspace.sha256IfExists("docs/link.md"));
    assertEquals(null, workspace.readIfExists("docs/link.md"));
    assertEquals(null, workspace.sha256IfExists("out/secret.md"), "a file behind a linked directory counts as none");
    assertEquals(io.bmadflow.infra.checkpoint.Sha256.hex("# PRD\n".getBytes()), workspace.sha256IfExists("docs/prd.md"));
  }

  @Test
  void theWorkspacePolicyDecidesWhereAProjectWorks(@TempDir Path temp) throws Exception {
    Path root = temp.resolve("workspaces");
    Path shared = Files.createDirectories(temp.resolve("shared"));
    io.bmadflow.infra.config.WorkspaceRoot policy = io.bmadflow.infra.config.WorkspaceRoot.of(root, List.of(shared));
    assertEquals(root.resolve("proj"), Workspace.of(policy, "proj", null).root());
    assertEquals(shared.resolve("proj"), Workspace.of(policy, "proj", shared.resolve("proj").toString()).root());
    for (String bad : List.of("/etc", "/", root.toString(), temp.resolve("other").toString())) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workspace.of(policy, "proj", bad), bad);
      assertTrue(e.getMessage().contains("workspace " + bad + " is refused"), e.getMessage());
    }
  }
}
