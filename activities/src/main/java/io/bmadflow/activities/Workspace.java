package io.bmadflow.activities;

import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.workflows.agents.ArtifactRef;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A project's workspace directory: the files the agents write. Every path is checked to stay
 * inside the workspace, and every write is atomic (a temp file moved into place).
 *
 * <p>Symbolic links are never followed out of the workspace: a read, hash or backup of a path
 * that is a link, or whose directory leads out of the workspace through one, treats the path as
 * holding no file (and {@link #digest} skips links with a logged warning); a write through such a
 * directory is refused. Files are hashed and copied by streaming, never read whole into memory,
 * except by {@link #readIfExists}, which is bounded by {@link #inMemoryLimit()}.
 */
public final class Workspace {
  private static final Logger log = LoggerFactory.getLogger(Workspace.class);
  /** The largest file {@link #readIfExists} reads into memory by default: 16 MiB. */
  public static final long DEFAULT_IN_MEMORY_LIMIT = 16L * 1024 * 1024;
  /** bmadflow's own folder in a workspace (transcripts, probes, restore staging), left out of checkpoints. */
  public static final String OWN_FOLDER = ".bmadflow/";

  private static volatile long inMemoryLimit = DEFAULT_IN_MEMORY_LIMIT;

  private final Path root;

  private Workspace(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /**
   * The workspace of a project under the workspace policy: the explicit directory when one is
   * given and {@code workspaces} allows it, else {@code <root>/<projectId>}.
   *
   * @throws IllegalArgumentException naming the directory, the root and the variable to change
   *     when the project id is invalid or the directory is outside every workspace root
   */
  public static Workspace of(WorkspaceRoot workspaces, String projectId, String explicitDirectory) {
    return new Workspace(workspaces.resolve(projectId, explicitDirectory));
  }

  /** {@link #of(WorkspaceRoot, String, String)} with {@code workspaceRoot} as the only root. */
  public static Workspace of(Path workspaceRoot, String projectId, String explicitDirectory) {
    return of(WorkspaceRoot.of(workspaceRoot), projectId, explicitDirectory);
  }

  public Path root() {
    return root;
  }

  /**
   * The largest file {@link #readIfExists} reads into memory; everything else streams. Default
   * {@link #DEFAULT_IN_MEMORY_LIMIT}.
   */
  public static long inMemoryLimit() {
    return inMemoryLimit;
  }

  /** Sets {@link #inMemoryLimit()} for this JVM (tests lower it); returns the previous value. */
  public static long setInMemoryLimit(long bytes) {
    long previous = inMemoryLimit;
    inMemoryLimit = bytes;
    return previous;
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
      createDirectoriesInside(target.getParent(), relative);
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
   * Starts a staged change of several files: each is written into a staging directory under
   * {@code .bmadflow/} (which checkpoints leave out) and only {@link Staging#commit} moves them
   * into place. Close the staging to delete its directory; a staging closed before it committed
   * leaves the workspace as it was.
   */
  public Staging stage() {
    try {
      Path own = root.resolve(OWN_FOLDER);
      createDirectoriesInside(own, OWN_FOLDER);
      return new Staging(Files.createTempDirectory(own, "restore-"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a staging directory in " + root.resolve(OWN_FOLDER) + ": "
          + e.getMessage(), e);
    }
  }

  /**
   * Files staged for a change of the workspace; see {@link #stage()}. Not thread-safe: one
   * restore writes, checks and commits it.
   */
  public final class Staging implements AutoCloseable {
    private final Path dir;
    private final java.util.Map<String, Path> staged = new java.util.LinkedHashMap<>();

    private Staging(Path dir) {
      this.dir = dir;
    }

    /** The staging directory, inside {@code .bmadflow/}. */
    public Path directory() {
      return dir;
    }

    /** Writes a file's new content into the staging directory; the workspace is not touched. */
    public void write(String relative, Content content) {
      resolve(relative); // Refuses an unsafe path before anything is written.
      Path file = dir.resolve("new").resolve(relative).normalize();
      try {
        Files.createDirectories(file.getParent());
        try (java.io.OutputStream out = Files.newOutputStream(file)) {
          content.writeTo(out);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot stage " + relative + " in " + dir + ": " + e.getMessage(), e);
      }
      staged.put(relative, file);
    }

    /** The SHA-256 and size of a staged file, re-read from disk. */
    public Sha256.Sum sum(String relative) {
      Path file = staged.get(relative);
      if (file == null) {
        throw new IllegalArgumentException(relative + " is not staged in " + dir);
      }
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        return Sha256.of(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the staged " + relative + " in " + dir + ": " + e.getMessage(), e);
      }
    }

    /**
     * Moves every staged file into place, each with an atomic rename over the old one (kept in
     * the staging directory until all are in place). When one cannot be moved, the ones already
     * moved are put back as they were, and the failure is thrown.
     */
    public void commit() {
      Path old = dir.resolve("old");
      java.util.List<String> moved = new java.util.ArrayList<>();
      java.util.Map<String, Path> kept = new java.util.HashMap<>();
      try {
        for (var entry : staged.entrySet()) {
          String relative = entry.getKey();
          Path target = resolve(relative);
          createDirectoriesInside(target.getParent(), relative);
          if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            Path keep = old.resolve(relative).normalize();
            Files.createDirectories(keep.getParent());
            keepOld(target, keep);
            kept.put(relative, keep);
          }
          Files.move(entry.getValue(), target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
          moved.add(relative);
        }
      } catch (IOException | RuntimeException e) {
        for (int i = moved.size() - 1; i >= 0; i--) {
          String relative = moved.get(i);
          try {
            Path keep = kept.get(relative);
            if (keep != null) {
              Files.move(keep, resolve(relative), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
              Files.deleteIfExists(resolve(relative));
            }
          } catch (IOException undo) {
            log.error("workspace {}: {} could not be put back after a failed restore: {}", root, relative, undo.toString());
          }
        }
        if (e instanceof IOException io) {
          throw new UncheckedIOException("cannot move the staged files into " + root + ": " + e.getMessage()
              + "; the workspace was left as it was", io);
        }
        throw (RuntimeException) e;
      }
    }

    /** Keeps the old file for an undo: a hard link where the filesystem has them, else a copy. */
    private void keepOld(Path target, Path keep) throws IOException {
      try {
        Files.createLink(keep, target);
      } catch (IOException | UnsupportedOperationException noHardLinks) {
        Files.copy(target, keep, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
      }
    }

    /** Deletes the staging directory and whatever is left in it. */
    @Override
    public void close() {
      deleteQuietly(dir);
    }
  }

  /**
   * Creates a directory of the workspace and its missing parents, refusing (before creating
   * anything) when the nearest existing one leads out of the workspace through a symbolic link.
   */
  private void createDirectoriesInside(Path directory, String relative) throws IOException {
    Path existing = directory;
    while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    if (existing != null && existing.startsWith(root)) {
      requireDirectoryInside(existing, relative);
    }
    Files.createDirectories(directory);
    requireDirectoryInside(directory, relative);
  }

  /**
   * Refuses a directory whose real path (symbolic links resolved) is outside the workspace's:
   * {@link #resolve} is lexical, and a linked directory inside the workspace could still lead out.
   */
  public void requireDirectoryInside(Path directory, String relative) throws IOException {
    if (!directory.toRealPath().startsWith(root.toRealPath())) {
      throw new IllegalArgumentException(
          "workspace path '" + relative + "' leads out of the workspace " + root + " through a symbolic link");
    }
  }

  /**
   * The regular file at a workspace path, or null when there is none: nothing there, a symbolic
   * link (never followed; logged), something else than a file, or a directory on the way that
   * leads out of the workspace through a link (logged).
   */
  public Path fileIfExists(String relative) {
    Path path = resolve(relative);
    try {
      BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (attributes.isSymbolicLink()) {
        log.warn("workspace {}: {} is a symbolic link; it is not followed and counts as no file", root, relative);
        return null;
      }
      if (!attributes.isRegularFile()) {
        return null;
      }
      if (!path.getParent().toRealPath().startsWith(root.toRealPath())) {
        log.warn("workspace {}: {} lies behind a symbolic link that leads out of the workspace; it counts as no file",
            root, relative);
        return null;
      }
      return path;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /** The SHA-256 (hex) and size of a workspace file, hashed by streaming; null when {@link #fileIfExists} finds none. */
  public Sha256.Sum sumIfExists(String relative) {
    Path path = fileIfExists(relative);
    if (path == null) {
      return null;
    }
    try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
      return Sha256.of(in);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * Copies a workspace file to {@code target} by streaming, hashing what it copies; null (and
   * nothing copied) when {@link #fileIfExists} finds none. The copy is what was hashed, whatever
   * happens to the workspace file afterwards.
   */
  public Sha256.Sum copyIfExists(String relative, Path target) {
    Path path = fileIfExists(relative);
    if (path == null) {
      return null;
    }
    java.security.MessageDigest digest = Sha256.newDigest();
    long size = 0;
    try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS);
        java.io.OutputStream out = Files.newOutputStream(target)) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
        out.write(buffer, 0, n);
        size += n;
      }
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy " + path + " to " + target + ": " + e.getMessage(), e);
    }
    return new Sha256.Sum(java.util.HexFormat.of().formatHex(digest.digest()), size);
  }

  /** A new private directory under {@code .bmadflow/} for snapshots of files being captured. */
  public Path snapshotDirectory() {
    try {
      Path own = root.resolve(OWN_FOLDER);
      createDirectoriesInside(own, OWN_FOLDER);
      return Files.createTempDirectory(own, "capture-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a snapshot directory in " + root.resolve(OWN_FOLDER) + ": "
          + e.getMessage(), e);
    }
  }

  /** Deletes a directory and everything in it, logging what cannot be deleted; null does nothing. */
  public static void deleteQuietly(Path directory) {
    if (directory == null || !Files.exists(directory, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(directory)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      log.warn("{} could not be deleted: {}", directory, e.toString());
    }
  }

  /** The SHA-256 (hex) of a workspace file, or null; see {@link #sumIfExists}. */
  public String sha256IfExists(String relative) {
    Sha256.Sum sum = sumIfExists(relative);
    return sum == null ? null : sum.hex();
  }

  /**
   * Every file under a workspace directory by relative path ({@code /}-separated), with its
   * SHA-256, leaving out bmadflow's own {@code .bmadflow/} folder (transcripts, probes): what
   * drills and tests compare between runs. Symbolic links are skipped with a logged warning, never
   * followed. Files are hashed by streaming. Empty when the directory does not exist.
   */
  public static SortedMap<String, String> digest(Path root) {
    SortedMap<String, String> files = new TreeMap<>();
    for (String rel : regularFiles(root)) {
      Path p = root.resolve(rel);
      try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
        files.put(rel, Sha256.of(in).hex());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the workspace " + root + ": " + e.getMessage(), e);
      }
    }
    return files;
  }

  /**
   * Every regular file of the workspace by relative path ({@code /}-separated), sorted, leaving
   * out {@code .bmadflow/} and symbolic links (skipped with a logged warning, never followed).
   */
  public java.util.List<String> files() {
    return java.util.List.copyOf(regularFiles(root));
  }

  private static java.util.SortedSet<String> regularFiles(Path root) {
    java.util.SortedSet<String> paths = new java.util.TreeSet<>();
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      return paths;
    }
    // Files.walk without FOLLOW_LINKS lists a link as an entry and never descends through it.
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(p -> !p.equals(root)).toList()) {
        String rel = root.relativize(p).toString().replace('\\', '/');
        if (rel.startsWith(OWN_FOLDER)) {
          continue;
        }
        if (Files.isSymbolicLink(p)) {
          log.warn("workspace {}: {} is a symbolic link; skipped, not followed", root, rel);
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          paths.add(rel);
        }
      }
    } catch (IOException | UncheckedIOException e) {
      throw new UncheckedIOException("cannot list the workspace " + root + ": " + e.getMessage(),
          e instanceof IOException io ? io : ((UncheckedIOException) e).getCause());
    }
    return paths;
  }

  /**
   * Reads a small file's bytes, or returns null when {@link #fileIfExists} finds none.
   *
   * @throws IllegalArgumentException when the file is larger than {@link #inMemoryLimit()}:
   *     large files are hashed and copied by streaming instead
   */
  public byte[] readIfExists(String relative) {
    Path path = fileIfExists(relative);
    if (path == null) {
      return null;
    }
    long limit = inMemoryLimit;
    try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      if (bytes.length > limit) {
        throw new IllegalArgumentException("workspace file " + relative + " of " + root + " is larger than the "
            + limit + " bytes bmadflow reads into memory; it is hashed and copied by streaming instead");
      }
      return bytes;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
    }
  }
}
