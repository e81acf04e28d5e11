package io.bmadflow.infra.checkpoint;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * gzip at level 1: on package content it is several times faster than the default level for a
 * few percent more bytes (see docs/benchmarks.md), and a commit's cost is dominated by CPU at
 * the default level. Any gzip reader reads it.
 */
final class FastGzipOutputStream extends GZIPOutputStream {
  FastGzipOutputStream(OutputStream out, int size) throws IOException {
    super(out, size);
    def.setLevel(Deflater.BEST_SPEED);
  }

  /** Compresses bytes held in memory. */
  static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, bytes.length / 3));
    try (GZIPOutputStream gz = new FastGzipOutputStream(out, 8192)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }
}
