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
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Lower-case hex, as {@code sha256sum} prints it. */
  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(digest(bytes));
  }

  /** Base64, as S3's {@code x-amz-checksum-sha256} carries it. */
  public static String base64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(digest(bytes));
  }
}
