package io.bmadflow.activities;

import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.agents.ArtifactRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A project's workspace directory: the files the agents write. Every path is checked to stay
 * inside the workspace, and every write is atomic (a temp file moved into place).
 */
public final class Workspace {
  private final Path root;

  private Workspace(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /**
   * The workspace of a project: the explicit directory when one is given, else
   * {@code <workspaceRoot>/<projectId>}.
   */
  public static Workspace of(Path workspaceRoot, String projectId, String explicitDirectory) {
    ProjectIds.requireValid(projectId);
    return new Workspace(
        explicitDirectory != null && !explicitDirectory.isBlank()
            ? Path.of(explicitDirectory)
            : workspaceRoot.resolve(projectId));
  }

  public Path root() {
    return root;
  }

  /** Resolves a relative path inside the workspace, refusing anything that escapes it. */
  public Path resolve(String relative) {
    if (relative == null || relative.isEmpty() || relative.startsWith("/") || relative.contains("\\")
        || relative.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException("workspace path '" + relative + "' is not a safe relative path");
    }
    Path resolved = root.resolve(relative).normalize();
    if (!resolved.startsWith(root) || resolved.equals(root)) {
      throw new IllegalArgumentException(
          "workspace path '" + relative + "' escapes the workspace " + root);
    }
    return resolved;
  }

  /** Writes a text file atomically and returns its reference. */
  public ArtifactRef write(String relative, String content) {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    replace(relative, out -> out.write(bytes));
    return new ArtifactRef(relative, Sha256.hex(bytes), bytes.length);
  }

  /** Writes a file's content. */
  @FunctionalInterface
  public interface Content {
    void writeTo(java.io.OutputStream out) throws IOException;
  }

  /**
   * Replaces a file atomically with what {@code content} writes: into a temp file beside it,
   * moved into place only when {@code content} returns. A failure leaves the old file as it was.
   */
  public void replace(String relative, Content content) {
    Path target = resolve(relative);
    Path temp = null;
    try {
      Files.createDirectories(target.getParent());
      // resolve() is lexical; a symlinked directory inside the workspace could still lead out.
      if (!target.getParent().toRealPath().startsWith(root.toRealPath())) {
        throw new IllegalArgumentException(
            "workspace path '" + relative + "' leads out of the workspace " + root + " through a symbolic link");
      }
      temp = Files.createTempFile(target.getParent(), ".bmadflow-", ".tmp");
      try (java.io.OutputStream out = Files.newOutputStream(temp)) {
        content.writeTo(out);
      }
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      temp = null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException ignored) {
          // Best effort: a stray temp file is harmless.
        }
      }
    }
  }

  /**
   * Every file under a workspace directory by relative path ({@code /}-separated), with its
   * SHA-256, leaving out bmadflow's own {@code .bmadflow/} folder (transcripts, probes): what
   * drills and tests compare between runs. Empty when the directory does not exist.
   */
  public static java.util.SortedMap<String, String> digest(Path root) {
    java.util.SortedMap<String, String> files = new java.util.TreeMap<>();
    if (!Files.isDirectory(root)) {
      return files;
    }
    try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        String rel = root.relativize(p).toString().replace('\\', '/');
        if (!rel.startsWith(".bmadflow/")) {
          files.put(rel, Sha256.hex(Files.readAllBytes(p)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the workspace " + root + ": " + e.getMessage(), e);
    }
    return files;
  }

  /** Reads a file's bytes, or returns null when it does not exist. */
  public byte[] readIfExists(String relative) {
    Path path = resolve(relative);
    try {
      return Files.isRegularFile(path) ? Files.readAllBytes(path) : null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }
}
