package io.bmadflow.infra.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
      assertEquals(length + ContentCipher.OVERHEAD, streamEncrypt(cipher, plain).length);
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

  private static long retainedHeap() {
    Runtime runtime = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return runtime.totalMemory() - runtime.freeMemory();
  }

  /** Neither direction holds the object: the heap retained midway stays at buffers whatever the size. */
  @Test
  void bothDirectionsStreamWithoutHoldingTheObject() throws IOException {
    ContentCipher cipher = cipher(4);
    int size = 128 * 1024 * 1024;
    byte[] chunk = random(64 * 1024);
    long[] written = {0};
    OutputStream counting = new OutputStream() {
      @Override
      public void write(int b) {
        written[0]++;
      }

      @Override
      public void write(byte[] b, int off, int len) {
        written[0] += len;
      }
    };
    long before = retainedHeap();
    OutputStream encrypting = cipher.encrypting(counting, AAD);
    for (int at = 0; at < size; at += chunk.length) {
      encrypting.write(chunk);
    }
    long encryptingRetained = retainedHeap() - before;
    encrypting.close();
    assertEquals(size + ContentCipher.OVERHEAD, written[0]);
    assertTrue(encryptingRetained < 32 * 1024 * 1024, "encrypting held " + encryptingRetained / (1024 * 1024) + " MiB");

    byte[] stored = cipher.encrypt(new byte[size], AAD);
    before = retainedHeap();
    try (InputStream decrypting = cipher.decrypting(new ByteArrayInputStream(stored), AAD)) {
      byte[] buffer = new byte[64 * 1024];
      long read = 0;
      long decryptingRetained = 0;
      for (int n; (n = decrypting.read(buffer)) > 0; ) {
        read += n;
        if (read == size / 2) {
          decryptingRetained = retainedHeap() - before;
        }
      }
      assertEquals(size, read);
      assertTrue(decryptingRetained < 32 * 1024 * 1024, "decrypting held " + decryptingRetained / (1024 * 1024) + " MiB");
    }
  }
}
