package io.bmadflow.workflows.agents;

/**
 * A reference to a file an agent wrote into the workspace: never its content.
 *
 * @param path the path relative to the workspace root, with {@code /} separators
 * @param sha256 the lower-case hex SHA-256 of the content
 * @param size the size in bytes
 */
public record ArtifactRef(String path, String sha256, long size) {}
