package io.bmadflow.infra.checkpoint;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HexFormat;

/** SHA-256 in the two spellings S3 and {@code sha256sum} use. */
public final class Sha256 {
  private Sha256() {}

  /** The digest of the bytes. */
  public static byte[] digest(byte[] bytes) {
    return newDigest().digest(bytes);
  }

  /** A new SHA-256 digest. */
  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The hash and length of a stream, read to its end. */
  public static Sum of(java.io.InputStream in) throws java.io.IOException {
    MessageDigest digest = newDigest();
    byte[] buffer = new byte[64 * 1024];
    long size = 0;
    for (int n; (n = in.read(buffer)) > 0; ) {
      digest.update(buffer, 0, n);
      size += n;
    }
    return new Sum(HexFormat.of().formatHex(digest.digest()), size);
  }

  /** A hash and the length of what was hashed. */
  public record Sum(String hex, long size) {}

  /** Lower-case hex, as {@code sha256sum} prints it. */
  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(digest(bytes));
  }

  /** Base64, as S3's {@code x-amz-checksum-sha256} carries it. */
  public static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(digest(bytes));
  }
}
