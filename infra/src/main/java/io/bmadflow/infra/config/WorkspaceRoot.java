package io.bmadflow.infra.config;

import io.bmadflow.workflows.ProjectIds;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where project workspaces may live: the workers' workspace root and an optional allow-list of
 * further roots. Every workspace a worker writes, captures, backs up or restores goes through
 * {@link #resolve}, and so does every workspace a client asks {@code start} for.
 *
 * <p>From the environment: {@code BMADFLOW_WORKSPACE_ROOT} (default {@code ./.bmadflow/workspaces},
 * made absolute against the working directory) and {@code BMADFLOW_WORKSPACE_ALLOW} (absolute
 * directories separated by the platform's path separator, {@code :} on Unix; default none).
 *
 * <p>A project's workspace is {@code <root>/<projectId>} unless the project names one; a named
 * directory must be absolute and lie strictly under the root or an allowed root, both lexically
 * (after {@code ..} and {@code .} are normalised away) and really: the real path of its nearest
 * existing ancestor (symbolic links resolved) must lie under the real path of that root. The
 * filesystem root, a root itself, and a symbolic link inside a root that leads out are refused.
 * Immutable and thread-safe.
 */
public final class WorkspaceRoot {
  /** The variable naming the workers' workspace root. */
  public static final String ROOT_VARIABLE = "BMADFLOW_WORKSPACE_ROOT";
  /** The variable listing further roots a project may name a workspace under. */
  public static final String ALLOW_VARIABLE = "BMADFLOW_WORKSPACE_ALLOW";
  /** The workspace root when {@value #ROOT_VARIABLE} is unset, relative to the working directory. */
  public static final String DEFAULT_ROOT = ".bmadflow/workspaces";

  private final Path root;
  private final List<Path> allowed;

  private WorkspaceRoot(Path root, List<Path> allowed) {
    this.root = root;
    this.allowed = allowed;
  }

  /** A workspace root without further allowed roots; a relative root is made absolute. */
  public static WorkspaceRoot of(Path root) {
    return of(root, List.of());
  }

  /**
   * A workspace root and further allowed roots.
   *
   * @param root the workers' workspace root; a relative one is made absolute
   * @param allowed further roots, each absolute
   * @throws IllegalArgumentException when a root is the filesystem root or an allowed root is relative
   */
  public static WorkspaceRoot of(Path root, List<Path> allowed) {
    if (root == null) {
      throw new IllegalArgumentException("the workspace root is not set; set " + ROOT_VARIABLE);
    }
    Path absolute = root.toAbsolutePath().normalize();
    if (absolute.getParent() == null) {
      throw new IllegalArgumentException("the workspace root " + absolute + " is the filesystem root, which would let a"
          + " project work anywhere; set " + ROOT_VARIABLE + " to a directory of its own");
    }
    List<Path> extra = new ArrayList<>();
    for (Path a : allowed == null ? List.<Path>of() : allowed) {
      if (!a.isAbsolute()) {
        throw new IllegalArgumentException(ALLOW_VARIABLE + " entry '" + a + "' is not an absolute directory; list"
            + " absolute directories separated by '" + File.pathSeparator + "'");
      }
      Path n = a.normalize();
      if (n.getParent() == null) {
        throw new IllegalArgumentException(ALLOW_VARIABLE + " entry '" + a + "' is the filesystem root, which would let"
            + " a project work anywhere; list directories of their own");
      }
      extra.add(n);
    }
    return new WorkspaceRoot(absolute, List.copyOf(extra));
  }

  /** From {@value #ROOT_VARIABLE} and {@value #ALLOW_VARIABLE}; see the class comment. */
  public static WorkspaceRoot fromEnvironment(Map<String, String> env) {
    return fromEnvironment(env, null);
  }

  /**
   * From the environment, with {@code rootOverride} (a {@code --workspace-root} flag) taking the
   * place of {@value #ROOT_VARIABLE} when not null.
   *
   * @throws IllegalArgumentException naming the variable when a value is not a usable path
   */
  public static WorkspaceRoot fromEnvironment(Map<String, String> env, Path rootOverride) {
    Path root = rootOverride;
    if (root == null) {
      String value = env.get(ROOT_VARIABLE);
      root = path(value == null || value.isBlank() ? DEFAULT_ROOT : value.trim(), ROOT_VARIABLE);
    }
    List<Path> allowed = new ArrayList<>();
    String allow = env.get(ALLOW_VARIABLE);
    if (allow != null) {
      for (String entry : allow.split(java.util.regex.Pattern.quote(File.pathSeparator))) {
        if (!entry.isBlank()) {
          allowed.add(path(entry.trim(), ALLOW_VARIABLE));
        }
      }
    }
    return of(root, allowed);
  }

  private static Path path(String value, String variable) {
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException(variable + " '" + value + "' is not a path: " + e.getReason());
    }
  }

  /** The workers' workspace root, absolute and normalised. */
  public Path root() {
    return root;
  }

  /** The further allowed roots, absolute and normalised; empty by default. */
  public List<Path> allowed() {
    return allowed;
  }

  /**
   * The workspace of a project: {@code <root>/<projectId>}, or {@code explicitOrNull} when it is
   * not null or blank and lies under a root (see the class comment).
   *
   * @return the directory, absolute and normalised (it need not exist yet)
   * @throws IllegalArgumentException naming the directory, the roots and the variable to change
   *     when the project id is invalid or the directory is not allowed
   */
  public Path resolve(String projectId, String explicitOrNull) {
    ProjectIds.requireValid(projectId);
    if (explicitOrNull == null || explicitOrNull.isBlank()) {
      Path dir = root.resolve(projectId);
      String problem = realProblem(dir, root);
      if (problem != null) {
        throw refused(dir.toString(), problem);
      }
      return dir;
    }
    Path dir;
    try {
      dir = Path.of(explicitOrNull);
    } catch (InvalidPathException e) {
      throw refused(explicitOrNull, "it is not a path (" + e.getReason() + ")");
    }
    if (!dir.isAbsolute()) {
      throw refused(explicitOrNull, "it is not an absolute path");
    }
    Path normalized = dir.normalize();
    String problem = "it is not under a workspace root";
    for (Path r : roots()) {
      if (normalized.startsWith(r) && !normalized.equals(r)) {
        problem = realProblem(normalized, r);
        if (problem == null) {
          return normalized;
        }
      }
    }
    throw refused(explicitOrNull, problem);
  }

  /** Why {@code explicit} is not an allowed workspace for the project, or null when it is. */
  public String problem(String projectId, String explicit) {
    try {
      resolve(projectId, explicit);
      return null;
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }


  private List<Path> roots() {
    List<Path> all = new ArrayList<>();
    all.add(root);
    all.addAll(allowed);
    return all;
  }

  /**
   * Why {@code dir} (lexically under {@code base}) really leads elsewhere, or null: the real path
   * of its nearest existing ancestor, symbolic links resolved, must lie under {@code base}'s.
   */
  private static String realProblem(Path dir, Path base) {
    try {
      Path realBase = realOfNearest(base);
      Path realDir = realOfNearest(dir);
      if (!realDir.startsWith(realBase) || realDir.equals(realBase)) {
        return "it leads to " + realDir + " through a symbolic link, outside " + realBase;
      }
      return null;
    } catch (IOException e) {
      return "its real path cannot be resolved (" + e + ")";
    }
  }

  /** The real path of the nearest existing ancestor of {@code p}, with the rest of {@code p} appended. */
  private static Path realOfNearest(Path p) throws IOException {
    Path existing = p;
    while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return p;
    }
    // A dangling link exists but has no real path: toRealPath throws, and the directory is refused.
    return existing.toRealPath().resolve(existing.relativize(p)).normalize();
  }

  private IllegalArgumentException refused(String dir, String problem) {
    String roots = allowed.isEmpty() ? "the workspace root " + root
        : "the workspace roots " + roots().stream().map(Path::toString).collect(Collectors.joining(", "));
    return new IllegalArgumentException("workspace " + dir + " is refused: " + problem + "; a workspace must be a"
        + " directory strictly under " + roots + ". Leave the workspace out to use " + root + "/<project>, or set "
        + ROOT_VARIABLE + " (or add a root to " + ALLOW_VARIABLE + ") on the workers and the client");
  }

  @Override
  public String toString() {
    return allowed.isEmpty() ? root.toString()
        : root + " (also " + allowed.stream().map(Path::toString).collect(Collectors.joining(File.pathSeparator)) + ")";
  }
}
