package io.bmadflow.workflows.testing;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * An external tool a test needs ({@code temporal}, {@code promtool}): found, or the test is skipped
 * with one line saying how to get it, except under {@code CI=true}, where a missing tool fails the
 * test (so CI cannot pass without having really run it).
 */
public final class RequiredTool {
  private RequiredTool() {}

  /**
   * The executable {@code name} on {@code PATH}, or the skip or failure described in the class
   * comment.
   *
   * @param howToGet the command that installs it, e.g. {@code apt-get install prometheus}
   */
  public static Path onPath(String name, String howToGet) {
    return require(name, find(name, System.getenv()), howToGet, System.getenv());
  }

  /**
   * {@code found} when it is not null, else the skip or failure described in the class comment,
   * {@code env} deciding whether this is CI.
   *
   * @param found where the caller found the tool, or null
   */
  public static Path require(String name, Path found, String howToGet, Map<String, String> env) {
    if (found != null) {
      return found;
    }
    String line = name + " is not on the PATH; install it with " + howToGet;
    if ("true".equalsIgnoreCase(env.getOrDefault("CI", "").trim())) {
      Assertions.fail(line + " (CI=true: a missing tool fails the test instead of skipping it)");
    }
    System.err.println("skipped: " + line);
    Assumptions.assumeTrue(false, line);
    throw new AssertionError("unreachable");
  }

  /** The executable {@code name} on {@code env}'s {@code PATH}, or null. */
  public static Path find(String name, Map<String, String> env) {
    String path = env.getOrDefault("PATH", "");
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }
}
