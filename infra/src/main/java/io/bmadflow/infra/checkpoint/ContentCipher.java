package io.bmadflow.infra.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.CipherOutputStream;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Client-side AES-256-GCM of package content. Each object is {@code nonce (12 bytes) ||
 * ciphertext || tag (16 bytes)}, with a fresh random nonce and the object's package path as
 * associated data, so an object moved to another path or package fails to decrypt.
 *
 * <p>Objects of any size stream both ways ({@link #encrypting}, {@link #decrypting}) with memory
 * bounded by buffers; a decrypting stream hands out plaintext before the tag at the end of the
 * object is checked, and fails at the end when it does not match, so its reader must not trust
 * what it received until the stream ended without an exception.
 *
 * <p>The key comes from configuration ({@code BMADFLOW_ENCRYPTION_KEY}, 32 bytes in base64); it
 * is never logged and never written anywhere. {@link #toString()} shows only a fingerprint.
 */
public final class ContentCipher {
  private static final int NONCE = 12;
  private static final int TAG_BITS = 128;
  private static final int TAG = TAG_BITS / 8;

  /** What encryption adds to an object: the nonce and the tag, 28 bytes. */
  public static final int OVERHEAD = NONCE + TAG;

  /**
   * The most one object may hold: GCM's 32-bit block counter covers 64 GiB less two blocks, and
   * the streaming decryption uses a 128-bit counter that agrees with it only that far.
   */
  public static final long MAX_PLAINTEXT = (1L << 36) - 32;
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

  /**
   * Encrypts everything written to the returned stream into {@code out}: the nonce first, the tag
   * when the stream is closed (which closes {@code out}). Memory stays at a buffer.
   */
  public OutputStream encrypting(OutputStream out, String objectKey) throws IOException {
    byte[] nonce = new byte[NONCE];
    random.nextBytes(nonce);
    Cipher cipher;
    try {
      cipher = gcm(Cipher.ENCRYPT_MODE, nonce, objectKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
    }
    out.write(nonce);
    return new CipherOutputStream(out, cipher);
  }

  /**
   * Decrypts an object as it is read from {@code stored}, with memory bounded by buffers. The
   * plaintext is the GCM decryption of the object (AES-CTR from the GCM counter), and the tag is
   * checked at the end by encrypting that plaintext again under the same nonce and comparing the
   * tags; a wrong key or an altered, truncated or moved object throws an {@link IOException} at
   * the end of the stream (see the class comment).
   */
  public InputStream decrypting(InputStream stored, String objectKey) throws IOException {
    byte[] nonce = stored.readNBytes(NONCE);
    if (nonce.length < NONCE) {
      throw new IOException("too short to be AES-256-GCM content");
    }
    try {
      byte[] counter = new byte[16];
      System.arraycopy(nonce, 0, counter, 0, NONCE);
      counter[15] = 2; // GCM's first counter block for a 96-bit nonce: inc32(nonce || 0^31 || 1).
      Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
      ctr.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(counter));
      return new DecryptingStream(stored, ctr, gcm(Cipher.ENCRYPT_MODE, nonce, objectKey), fingerprint);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
    }
  }

  private Cipher gcm(int mode, byte[] nonce, String objectKey) throws GeneralSecurityException {
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(mode, key, new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
    return cipher;
  }

  /** Ciphertext in, plaintext out; the last 16 bytes of the input are the tag, checked at the end. */
  private static final class DecryptingStream extends InputStream {
    private final InputStream in;
    private final Cipher ctr;
    private final Cipher retag;
    private final String fingerprint;
    private final byte[] held = new byte[TAG]; // The last bytes read: the tag once the input ends.
    private int heldCount;
    private final byte[] chunk = new byte[TAG + 64 * 1024];
    private final byte[] plain = new byte[chunk.length];
    private final byte[] scratch = new byte[chunk.length + TAG];
    private int plainOffset;
    private int plainLength;
    private long decrypted;
    private boolean finished;

    DecryptingStream(InputStream in, Cipher ctr, Cipher retag, String fingerprint) {
      this.in = in;
      this.ctr = ctr;
      this.retag = retag;
      this.fingerprint = fingerprint;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (plainOffset == plainLength) {
        if (finished) {
          return -1;
        }
        fill();
      }
      int n = Math.min(len, plainLength - plainOffset);
      System.arraycopy(plain, plainOffset, b, off, n);
      plainOffset += n;
      return n;
    }

    /** Reads one chunk; everything but the last 16 bytes seen so far is ciphertext. */
    private void fill() throws IOException {
      // The held bytes go first, then what arrives; the new last 16 bytes are held back again.
      System.arraycopy(held, 0, chunk, 0, heldCount);
      int n = in.read(chunk, heldCount, chunk.length - heldCount);
      if (n < 0) {
        finish();
        return;
      }
      int total = heldCount + n;
      int cipherLength = Math.max(0, total - TAG);
      heldCount = total - cipherLength;
      System.arraycopy(chunk, cipherLength, held, 0, heldCount);
      decrypted += cipherLength;
      if (decrypted > MAX_PLAINTEXT) {
        throw new IOException("is larger than AES-256-GCM allows (" + MAX_PLAINTEXT + " bytes)");
      }
      try {
        plainLength = ctr.update(chunk, 0, cipherLength, plain, 0);
        retag.update(plain, 0, plainLength, scratch, 0);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
      }
      plainOffset = 0;
    }

    private void finish() throws IOException {
      finished = true;
      plainOffset = 0;
      plainLength = 0;
      if (heldCount < TAG) {
        throw new IOException("too short to be AES-256-GCM content");
      }
      byte[] tag;
      try {
        byte[] last = retag.doFinal();
        tag = java.util.Arrays.copyOfRange(last, last.length - TAG, last.length);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-256-GCM is not available in this JVM", e);
      }
      if (!MessageDigest.isEqual(tag, held)) {
        throw new IOException("cannot be decrypted (wrong BMADFLOW_ENCRYPTION_KEY, key fingerprint " + fingerprint
            + ", or altered content)");
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  @Override
  public String toString() {
    return "AES-256-GCM key " + fingerprint + "...";
  }
}
