package io.bmadflow.infra.checkpoint;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bmadflow.infra.json.PackageJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The seal of {@code checkpoint-metadata.json}: its package format version, a digest over the
 * metadata itself, and, when the store has a signing key, an HMAC-SHA256 signature.
 *
 * <p>The digest ({@code metadata_sha256}) is {@code sha256:} and the SHA-256 of the canonical
 * JSON of the parsed document without {@code metadata_sha256} and {@code signature}: object keys
 * sorted (by UTF-16 code units), no whitespace, strings as Jackson writes them, integers in
 * plain digits and other numbers as the exact decimal the document spells ({@code 1.50} stays
 * {@code 1.50}; {@code 1.5E-5} becomes {@code 0.000015}, Java's {@code BigDecimal.toString}). It is computed over the JSON tree, not over the
 * record, so fields a newer minor format adds are covered too. It detects an altered metadata
 * field; it does not stop an attacker, who can recompute it.
 *
 * <p>The signature is an HMAC-SHA256 under a key the attacker does not hold, over
 * {@code "bmadflow package signature v1\nHMAC-SHA256\n" + key_id + "\n" + checksum + "\n"} and
 * the canonical JSON of the document without {@code signature} (so the digest is signed too).
 * {@code checksum} is {@code integrity_validation.checksum}, the SHA-256 of {@code manifest.sha256},
 * which the reader checks against the manifest entry and {@code verify} against the manifest's
 * bytes: the signature binds the metadata, the manifest and through them every file.
 *
 * <p>Format versions are {@code MAJOR.MINOR}. A document without {@code format_version} is
 * format 1 (no seal). This version writes {@value #FORMAT_VERSION}, reads formats 1 and 2.x, and
 * refuses a newer major; documents of a known version are bound strictly, those of a newer minor
 * tolerating unknown fields.
 */
public final class MetadataSeal {
  /** The package format this version writes. */
  public static final String FORMAT_VERSION = "2.0";

  /** The only signature algorithm. */
  public static final String HMAC_SHA256 = "HMAC-SHA256";

  static final int MAJOR = 2;
  static final int MINOR = 0;
  static final String VERSION_FIELD = "format_version";
  static final String DIGEST_FIELD = "metadata_sha256";
  static final String SIGNATURE_FIELD = "signature";

  private static final Pattern VERSION = Pattern.compile("([0-9]{1,4})\\.([0-9]{1,4})");
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
  private static final Pattern MAC = Pattern.compile("[0-9a-f]{64}");
  private static final JsonFactory CANONICAL = JsonFactory.builder().build();
  private static final byte[] SIGNATURE_DOMAIN = ("bmadflow package signature v1\n" + HMAC_SHA256 + "\n")
      .getBytes(StandardCharsets.UTF_8);

  private MetadataSeal() {}

  /**
   * A parsed metadata document.
   *
   * @param metadata the document bound to its record
   * @param tree the document as parsed, unknown fields included
   * @param major the package format's major version (1 when the document carries none)
   * @param minor the package format's minor version
   */
  record Parsed(CheckpointMetadata metadata, ObjectNode tree, int major, int minor) {}

  /**
   * Sealed metadata, ready to be written.
   *
   * @param metadata the metadata with its seal
   * @param bytes the document to store
   */
  record Sealed(CheckpointMetadata metadata, byte[] bytes) {}

  /**
   * Seals metadata for writing: sets the format version and the digest, and signs it when
   * {@code keys} is not null. The seal fields of {@code built} are replaced.
   */
  static Sealed seal(CheckpointMetadata built, SigningKeys keys) {
    ObjectNode tree = tree(PackageJson.write(built.withSeal(FORMAT_VERSION, null, null)));
    String digest = digest(tree);
    CheckpointMetadata.Signature signature = null;
    if (keys != null) {
      tree.put(DIGEST_FIELD, digest);
      String keyId = keys.currentKeyId();
      signature = new CheckpointMetadata.Signature(keyId, HMAC_SHA256,
          HexFormat.of().formatHex(keys.mac(keyId, signedMessage(tree, keyId))));
    }
    CheckpointMetadata sealed = built.withSeal(FORMAT_VERSION, digest, signature);
    byte[] bytes = PackageJson.write(sealed);
    try {
      check(parse(bytes, "(being written)"), "(being written)", keys); // What we write, we read.
    } catch (IOException | CheckpointStoreException.Corrupt e) {
      throw new IllegalStateException("the metadata seal does not verify its own output: " + e.getMessage(), e);
    }
    return new Sealed(sealed, bytes);
  }

  private static ObjectNode tree(byte[] json) {
    try {
      return (ObjectNode) PackageJson.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Parses a metadata document: refuses a newer major format, binds the record strictly for a
   * known format and tolerating unknown fields for a newer minor one. Checks nothing else.
   *
   * @throws IOException when the document is not valid JSON or does not match the record
   * @throws CheckpointStoreException.Corrupt when its format is newer than this version reads
   */
  static Parsed parse(byte[] bytes, String checkpointId) throws IOException {
    JsonNode root = PackageJson.readTree(bytes);
    if (!(root instanceof ObjectNode tree)) {
      throw new IOException("it is not a JSON object");
    }
    int major = 1;
    int minor = 0;
    JsonNode version = tree.get(VERSION_FIELD);
    if (version != null && !version.isNull()) {
      Matcher m = VERSION.matcher(version.isTextual() ? version.textValue() : "");
      if (!m.matches() || Integer.parseInt(m.group(1)) < 1) {
        throw new IOException(VERSION_FIELD + " " + shown(version.toString()) + " is not \"MAJOR.MINOR\" (such as \""
            + FORMAT_VERSION + "\")");
      }
      major = Integer.parseInt(m.group(1));
      minor = Integer.parseInt(m.group(2));
      if (major > MAJOR) {
        throw new CheckpointStoreException.Corrupt("checkpoint " + checkpointId + " was written in package format "
            + major + "." + minor + "; this bmadflow reads up to " + MAJOR + ".x; upgrade bmadflow to read it");
      }
    }
    boolean newerMinor = major == MAJOR && minor > MINOR;
    return new Parsed(PackageJson.read(tree, CheckpointMetadata.class, newerMinor), tree, major, minor);
  }

  /**
   * Checks the seal of parsed metadata whose structure the reader has checked: the digest when
   * there is one (required from format 2), and with {@code keys} the signature (required then).
   *
   * @throws CheckpointStoreException.Corrupt naming the checkpoint, the problem and the fix
   */
  static void check(Parsed parsed, String checkpointId, SigningKeys keys) {
    CheckpointMetadata m = parsed.metadata();
    String where = "checkpoint " + checkpointId + ": " + PackagePaths.METADATA;
    String stored = m.metadataSha256();
    if (stored == null) {
      if (parsed.major() >= 2) {
        throw new CheckpointStoreException.Corrupt(where + " has no " + DIGEST_FIELD + ", which package format "
            + parsed.major() + "." + parsed.minor() + " requires; the metadata was altered after commit, use an earlier checkpoint");
      }
    } else {
      String actual = digest(parsed.tree());
      if (!DIGEST.matcher(stored).matches()
          || !MessageDigest.isEqual(stored.getBytes(StandardCharsets.UTF_8), actual.getBytes(StandardCharsets.UTF_8))) {
        throw new CheckpointStoreException.Corrupt(where + ": metadata digest mismatch (expected " + abbreviate(stored)
            + ", got " + abbreviate(actual) + "); the metadata was altered after commit, use an earlier checkpoint");
      }
    }
    if (keys == null) {
      return;
    }
    CheckpointMetadata.Signature signature = m.signature();
    String required = "this store requires signed packages (BMADFLOW_SIGNING_KEY is set, key id " + keys.currentKeyId() + ")";
    if (signature == null) {
      throw new CheckpointStoreException.Corrupt(where + " is not signed"
          + (parsed.major() < 2 ? " (package format 1, written before signatures)" : "") + " and " + required
          + "; the package was written without a signing key or its signature was removed: use a checkpoint signed with"
          + " a key this store knows, or, if you trust the bucket, read it without BMADFLOW_SIGNING_KEY");
    }
    if (!HMAC_SHA256.equals(signature.algorithm())) {
      throw new CheckpointStoreException.Corrupt(where + " is signed with algorithm " + shown(signature.algorithm())
          + ", but " + required + " and checks " + HMAC_SHA256 + " only; the package was not signed by bmadflow: use"
          + " another checkpoint");
    }
    if (!keys.knows(signature.keyId())) {
      throw new CheckpointStoreException.Corrupt(where + " is signed with key id " + shown(signature.keyId())
          + ", which this store does not know (its current key id is " + keys.currentKeyId() + "); if that is a previous"
          + " key of yours, add it to BMADFLOW_SIGNING_KEYS_PREVIOUS as id:<base64 key>, else use another checkpoint");
    }
    byte[] expected = keys.mac(signature.keyId(), signedMessage(parsed.tree(), signature.keyId()));
    byte[] actual = signature.value() != null && MAC.matcher(signature.value()).matches()
        ? HexFormat.of().parseHex(signature.value()) : new byte[0];
    if (!MessageDigest.isEqual(expected, actual)) {
      throw new CheckpointStoreException.Corrupt(where + ": signature mismatch for key id " + signature.keyId() + " ("
          + HMAC_SHA256 + "); the package was altered after it was signed, or signed by another key with the same id:"
          + " use an earlier checkpoint");
    }
  }

  /**
   * What {@code verify} says about the seal of metadata that passed {@link #check}: whether a
   * digest covers it and whether its signature was checked.
   */
  static String note(CheckpointMetadata m, SigningKeys keys) {
    if (m.metadataSha256() == null) {
      return "package format 1: the metadata is not covered by a digest (written before metadata digests);"
          + " its files are checked against it";
    }
    String format = "package format " + (m.formatVersion() == null ? "1" : m.formatVersion()) + ", metadata digest ok";
    if (m.signature() == null) {
      return format + ", unsigned";
    }
    if (keys == null) {
      return format + ", signature (key id " + shown(m.signature().keyId())
          + ") not checked: BMADFLOW_SIGNING_KEY is not set";
    }
    return format + ", signature of key id " + m.signature().keyId() + " verified";
  }

  /** {@code sha256:} and the SHA-256 of the canonical document without its digest and signature. */
  static String digest(ObjectNode tree) {
    return "sha256:" + Sha256.hex(canonical(tree, Set.of(DIGEST_FIELD, SIGNATURE_FIELD)));
  }

  private static byte[] signedMessage(ObjectNode tree, String keyId) {
    String checksum = tree.path("integrity_validation").path("checksum").asText("");
    byte[] head = (keyId + "\n" + checksum + "\n").getBytes(StandardCharsets.UTF_8);
    byte[] body = canonical(tree, Set.of(SIGNATURE_FIELD));
    byte[] message = new byte[SIGNATURE_DOMAIN.length + head.length + body.length];
    System.arraycopy(SIGNATURE_DOMAIN, 0, message, 0, SIGNATURE_DOMAIN.length);
    System.arraycopy(head, 0, message, SIGNATURE_DOMAIN.length, head.length);
    System.arraycopy(body, 0, message, SIGNATURE_DOMAIN.length + head.length, body.length);
    return message;
  }

  /**
   * The canonical JSON of a document: keys sorted, no whitespace, with the given top-level fields
   * left out.
   */
  static byte[] canonical(ObjectNode tree, Set<String> leftOut) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator generator = CANONICAL.createGenerator(out)) {
      generator.writeStartObject();
      for (String name : sortedNames(tree)) {
        if (!leftOut.contains(name)) {
          generator.writeFieldName(name);
          write(generator, tree.get(name));
        }
      }
      generator.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void write(JsonGenerator generator, JsonNode node) throws IOException {
    switch (node.getNodeType()) {
      case OBJECT -> {
        generator.writeStartObject();
        for (String name : sortedNames(node)) {
          generator.writeFieldName(name);
          write(generator, node.get(name));
        }
        generator.writeEndObject();
      }
      case ARRAY -> {
        generator.writeStartArray();
        for (JsonNode element : node) {
          write(generator, element);
        }
        generator.writeEndArray();
      }
      case STRING -> generator.writeString(node.textValue());
      case BOOLEAN -> generator.writeBoolean(node.booleanValue());
      case NULL -> generator.writeNull();
      case NUMBER -> {
        switch (node.numberType()) {
          case INT, LONG -> generator.writeNumber(node.longValue());
          case BIG_INTEGER -> generator.writeNumber(node.bigIntegerValue());
          case BIG_DECIMAL -> generator.writeNumber(node.decimalValue());
          case FLOAT, DOUBLE -> generator.writeNumber(node.doubleValue());
        }
      }
      default -> throw new IOException("a " + node.getNodeType() + " node has no JSON spelling");
    }
  }

  private static List<String> sortedNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    Collections.sort(names);
    return names;
  }

  private static String abbreviate(String digest) {
    return DIGEST.matcher(digest).matches() ? digest.substring(0, 19) + "..." : shown(digest);
  }

  /** A value read from the bucket, made safe to print: quoted, printable ASCII, at most 64 chars. */
  private static String shown(String untrusted) {
    if (untrusted == null) {
      return "(none)";
    }
    StringBuilder out = new StringBuilder("'");
    untrusted.codePoints().limit(64).forEach(c -> out.append(c >= 0x20 && c < 0x7f && c != '\'' ? (char) c : '?'));
    return out.append(untrusted.length() > 64 ? "...'" : "'").toString();
  }
}
