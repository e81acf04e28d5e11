package io.bmadflow.infra.checkpoint;

/**
 * One file of a package as the metadata lists it.
 *
 * <p>{@code size} and {@code sha256} describe the logical content (what {@code manifest.sha256}
 * lists); {@code storedSize} and {@code storedSha256} describe the object in the bucket, and are
 * checked before the object is decrypted, decompressed or parsed.
 *
 * @param path the path inside the package ({@code agent-states-snapshot/bmad-agents/pm.json})
 * @param size the logical size in bytes
 * @param sha256 the lower-case hex SHA-256 of the logical content
 * @param storedSize the size of the stored object
 * @param storedSha256 the SHA-256 of the stored object
 * @param encoding how the content is compressed: {@code identity} or {@code gzip}
 * @param encryption {@code none} or {@code aes-256-gcm} (client side)
 * @param storedIn the checkpoint whose package holds the object: this one, or an ancestor when
 *     an incremental checkpoint references unchanged content
 */
public record PackageFile(
    String path,
    long size,
    String sha256,
    long storedSize,
    String storedSha256,
    String encoding,
    String encryption,
    String storedIn) {
  public static final String IDENTITY = "identity";
  public static final String GZIP = "gzip";
  public static final String NO_ENCRYPTION = "none";
  public static final String AES_256_GCM = "aes-256-gcm";
}
