package io.bmadflow.infra.checkpoint;

/**
 * One file of a package as the metadata lists it.
 *
 * @param path the path inside the package ({@code agent-states-snapshot/bmad-agents/pm.json})
 * @param size the logical size in bytes
 * @param sha256 the lower-case hex SHA-256 of the logical content
 * @param storedSize the size of the stored object
 * @param encoding how the object is stored: {@code identity} (as is)
 */
public record PackageFile(String path, long size, String sha256, long storedSize, String encoding) {
  public static final String IDENTITY = "identity";
}
