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
    assertThrows(IllegalArgumentException.class, () -> Workspace.of(root, "../x", null));
  }
}
