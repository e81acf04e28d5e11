package io.bmadflow.infra.checkpoint;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One file of a package before it is stored: a path and content that can be read more than once
 * (once to hash it, once to store it), so large files stream instead of sitting in memory twice.
 *
 * @param path the path inside the package
 * @param content opens the content from its start
 */
public record PackageSource(String path, Content content) {

  /** Opens a fresh stream over the content. */
  @FunctionalInterface
  public interface Content {
    InputStream open() throws IOException;
  }

  /** Content held in memory. */
  public static PackageSource of(String path, byte[] bytes) {
    return new PackageSource(path, () -> new ByteArrayInputStream(bytes));
  }

  /** UTF-8 text. */
  public static PackageSource of(String path, String text) {
    return of(path, text.getBytes(StandardCharsets.UTF_8));
  }

  /** A file on disk, read when stored. */
  public static PackageSource of(String path, Path file) {
    return new PackageSource(path, () -> Files.newInputStream(file));
  }
}
