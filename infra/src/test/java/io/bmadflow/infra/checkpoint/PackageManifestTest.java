package io.bmadflow.infra.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code manifest.sha256} parses strictly: what parses writes back to the same bytes (found by fuzzing). */
class PackageManifestTest {
  private static final String LINE = "a".repeat(64) + "  workflow-state-snapshot.json\n";

  @Test
  void aManifestThatParsesIsCanonical() {
    byte[] bytes = PackageManifest.of(Map.of("workflow-state-snapshot.json", "a".repeat(64))).toBytes();
    assertArrayEquals(bytes, PackageManifest.parse(bytes).toBytes());
    assertEquals(0, PackageManifest.parse(new byte[0]).entries().size());
  }

  @Test
  void blankLinesAreRefused() {
    for (String text : new String[] {"\n", LINE + "\n", "\n" + LINE, LINE + "\n\n"}) {
      var e = assertThrows(IllegalArgumentException.class, () -> PackageManifest.parse(text.getBytes(StandardCharsets.UTF_8)),
          text.replace("\n", "\\n"));
      assertTrue(e.getMessage().contains("is not '<sha256>  <path>'"), e.getMessage());
    }
  }

  @Test
  void invalidUtf8IsRefusedRatherThanReplaced() {
    byte[] bytes = LINE.getBytes(StandardCharsets.UTF_8);
    bytes[70] = (byte) 0xc3; // A lone lead byte inside the path.
    var e = assertThrows(IllegalArgumentException.class, () -> PackageManifest.parse(bytes));
    assertEquals("manifest.sha256 is not valid UTF-8", e.getMessage());
  }
}
