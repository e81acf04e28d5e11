package io.bmadflow.infra.checkpoint;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Client-side AES-256-GCM of package content. Each object is {@code nonce (12 bytes) ||
 * ciphertext || tag (16 bytes)}, with a fresh random nonce and the object's package path as
 * associated data, so an object moved to another path or package fails to decrypt.
 *
 * <p>The key comes from configuration ({@code BMADFLOW_ENCRYPTION_KEY}, 32 bytes in base64); it
 * is never logged and never written anywhere. {@link #toString()} shows only a fingerprint.
 */
public final class ContentCipher {
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();
  private final String fingerprint;

  private ContentCipher(byte[] key) {
    this.key = new SecretKeySpec(key, "AES");
    this.fingerprint = HexFormat.of().formatHex(Sha256.digest(key)).substring(0, 8);
  }

  /** A cipher from a base64 key of 32 bytes; the error never repeats the key. */
  public static ContentCipher fromBase64(String base64Key) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(base64Key.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("BMADFLOW_ENCRYPTION_KEY is not base64; generate one with `openssl rand -base64 32`");
    }
    if (key.length != 32) {
      throw new IllegalArgumentException(
          "BMADFLOW_ENCRYPTION_KEY decodes to " + key.length + " bytes, AES-256 needs 32; generate one with `openssl rand -base64 32`");
    }
    return new ContentCipher(key);
  }

  /** Encrypts bytes for the object at {@code objectKey}. */
  public byte[] encrypt(byte[] plain, String objectKey) {
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
      byte[] out = new byte[NONCE + cipher.getOutputSize(plain.length)];
      System.arraycopy(nonce, 0, out, 0, NONCE);
      cipher.doFinal(plain, 0, plain.length, out, NONCE);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
    }
  }

  /** Decrypts an object; throws when the key is wrong or the object was altered or moved. */
  public byte[] decrypt(byte[] stored, String objectKey) {
    if (stored.length < NONCE + TAG_BITS / 8) {
      throw new IllegalArgumentException("too short to be AES-256-GCM content");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, stored, 0, NONCE));
      cipher.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
      return cipher.doFinal(stored, NONCE, stored.length - NONCE);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalArgumentException(
          "cannot be decrypted (wrong BMADFLOW_ENCRYPTION_KEY, key fingerprint " + fingerprint + ", or altered content)");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "AES-256-GCM key " + fingerprint + "...";
  }
}
