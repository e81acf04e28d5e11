package io.bmadflow.infra.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** AES-256-GCM streamed both ways agrees with the in-memory form and refuses anything altered. */
class ContentCipherTest {
  private static final String AAD = "workspace/docs/prd.md";

  private static ContentCipher cipher(int seed) {
    byte[] key = new byte[32];
    new Random(seed).nextBytes(key);
    return ContentCipher.fromBase64(Base64.getEncoder().encodeToString(key));
  }

  private static byte[] random(int length) {
    byte[] bytes = new byte[length];
    new Random(length).nextBytes(bytes);
    return bytes;
  }

  private static byte[] streamEncrypt(ContentCipher cipher, byte[] plain) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream encrypting = cipher.encrypting(out, AAD)) {
      // Odd-sized writes, so block boundaries fall anywhere.
      for (int at = 0; at < plain.length; at += 7777) {
        encrypting.write(plain, at, Math.min(7777, plain.length - at));
      }
    }
    return out.toByteArray();
  }

  private static byte[] streamDecrypt(ContentCipher cipher, byte[] stored, String aad) throws IOException {
    // A source that hands out a few bytes at a time, as a network stream does.
    InputStream trickle = new ByteArrayInputStream(stored) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 1 + (pos % 13) * 1000));
      }
    };
    try (InputStream in = cipher.decrypting(trickle, aad)) {
      return in.readAllBytes();
    }
  }

  @Test
  void streamedAndInMemoryFormsAreTheSame() throws IOException {
    ContentCipher cipher = cipher(1);
    for (int length : new int[] {0, 1, 15, 16, 17, 65_535, 65_536 + 17, 300_001}) {
      byte[] plain = random(length);
      assertArrayEquals(plain, cipher.decrypt(streamEncrypt(cipher, plain), AAD), "in-memory decrypt of streamed, " + length);
      assertArrayEquals(plain, streamDecrypt(cipher, cipher.encrypt(plain, AAD), AAD), "streamed decrypt of in-memory, " + length);
      assertArrayEquals(plain, streamDecrypt(cipher, streamEncrypt(cipher, plain), AAD), "streamed both ways, " + length);
      assertTrue(streamEncrypt(cipher, plain).length == length + ContentCipher.OVERHEAD);
    }
  }

  @Test
  void anyAlteredByteAWrongKeyAPathOrATruncationFailsAtTheEnd() throws IOException {
    ContentCipher cipher = cipher(2);
    byte[] plain = random(200);
    byte[] stored = streamEncrypt(cipher, plain);
    for (int i = 0; i < stored.length; i++) {
      byte[] altered = stored.clone();
      altered[i] ^= 0x20;
      var e = assertThrows(IOException.class, () -> streamDecrypt(cipher, altered, AAD), "byte " + i);
      assertTrue(e.getMessage().startsWith("cannot be decrypted"), e.getMessage());
    }
    for (int cut : new int[] {1, 16, 17, stored.length - 12, stored.length - 1, stored.length}) {
      byte[] truncated = java.util.Arrays.copyOf(stored, stored.length - cut);
      assertThrows(IOException.class, () -> streamDecrypt(cipher, truncated, AAD), "cut " + cut);
    }
    byte[] longer = java.util.Arrays.copyOf(stored, stored.length + 1);
    assertThrows(IOException.class, () -> streamDecrypt(cipher, longer, AAD));
    assertThrows(IOException.class, () -> streamDecrypt(cipher, stored, "workspace/docs/other.md"), "moved");
    var wrongKey = assertThrows(IOException.class, () -> streamDecrypt(cipher(3), stored, AAD));
    assertTrue(wrongKey.getMessage().contains("wrong BMADFLOW_ENCRYPTION_KEY"), wrongKey.getMessage());
  }
}
