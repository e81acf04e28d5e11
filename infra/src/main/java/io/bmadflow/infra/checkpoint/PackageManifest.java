package io.bmadflow.infra.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code manifest.sha256}: one {@code <sha256>  <path>} line per file, paths sorted, in the
 * format {@code sha256sum -c} reads. It covers every file but itself and the metadata; the
 * metadata's checksum is the SHA-256 of the manifest, which ties the whole package together.
 */
public final class PackageManifest {
  private static final Pattern LINE = Pattern.compile("([0-9a-f]{64})  (.+)");
  private final SortedMap<String, String> sha256ByPath;

  private PackageManifest(SortedMap<String, String> sha256ByPath) {
    this.sha256ByPath = Collections.unmodifiableSortedMap(sha256ByPath);
  }

  /** A manifest over the given file hashes. */
  public static PackageManifest of(Map<String, String> sha256ByPath) {
    SortedMap<String, String> sorted = new TreeMap<>();
    sha256ByPath.forEach((path, sha) -> sorted.put(PackagePaths.requireSafe(path), sha));
    return new PackageManifest(sorted);
  }

  /** Parses a manifest strictly: every line well formed, paths safe, sorted and unique. */
  public static PackageManifest parse(byte[] bytes) {
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalArgumentException("manifest.sha256 is not valid UTF-8");
    }
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("manifest.sha256 does not end with a newline (truncated?)");
    }
    SortedMap<String, String> entries = new TreeMap<>();
    String previous = null;
    int lineNumber = 0;
    String[] lines = text.split("\n", -1); // Keeps empty lines, to refuse them; the last is the empty rest after the final newline.
    for (String line : Arrays.copyOf(lines, lines.length - 1)) {
      lineNumber++;
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new IllegalArgumentException(
            "manifest.sha256 line " + lineNumber + " is not '<sha256>  <path>'");
      }
      String path = PackagePaths.requireSafe(m.group(2));
      if (previous != null && previous.compareTo(path) >= 0) {
        throw new IllegalArgumentException(
            "manifest.sha256 line " + lineNumber + ": paths are not sorted and unique at " + path);
      }
      entries.put(path, m.group(1));
      previous = path;
    }
    return new PackageManifest(entries);
  }

  /** The hashes by path, sorted. */
  public SortedMap<String, String> entries() {
    return sha256ByPath;
  }

  /** The manifest's bytes. */
  public byte[] toBytes() {
    StringBuilder out = new StringBuilder();
    sha256ByPath.forEach((path, sha) -> out.append(sha).append("  ").append(path).append('\n'));
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }
}
