package io.bmadflow.infra.checkpoint;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The HMAC-SHA256 keys that sign package metadata: the current one, which signs and verifies,
 * and previous ones, which only verify (key rotation).
 *
 * <p>From configuration: {@code BMADFLOW_SIGNING_KEY} (base64 of at least 32 bytes),
 * {@code BMADFLOW_SIGNING_KEY_ID} (default: {@code k} and 12 hex digits of a fingerprint of the
 * key) and {@code BMADFLOW_SIGNING_KEYS_PREVIOUS} (comma-separated {@code id:base64} pairs). Key
 * ids are 1 to 64 of {@code A-Z a-z 0-9 . _ -}. Keys are never logged and never written
 * anywhere; {@link #toString()} shows only the ids, and errors never repeat a key.
 */
public final class SigningKeys {
  /** The shortest key accepted, in bytes: HMAC-SHA256's own output size. */
  public static final int MIN_KEY_BYTES = 32;

  private static final Pattern KEY_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final String GENERATE = "generate one with `openssl rand -base64 32`";

  private final String currentId;
  private final Map<String, SecretKeySpec> keys; // The current key first.

  private SigningKeys(String currentId, Map<String, SecretKeySpec> keys) {
    this.currentId = currentId;
    this.keys = Collections.unmodifiableMap(keys);
  }

  /**
   * The keys the environment configures, or null when {@code BMADFLOW_SIGNING_KEY} is unset or
   * blank (then packages are not signed and signatures are not checked).
   *
   * @throws IllegalArgumentException naming the variable, the problem and the fix
   */
  public static SigningKeys fromEnvironment(Map<String, String> env) {
    String key = env.get("BMADFLOW_SIGNING_KEY");
    String id = env.get("BMADFLOW_SIGNING_KEY_ID");
    String previous = env.get("BMADFLOW_SIGNING_KEYS_PREVIOUS");
    if (key == null || key.isBlank()) {
      for (String dependent : new String[] {"BMADFLOW_SIGNING_KEY_ID", "BMADFLOW_SIGNING_KEYS_PREVIOUS"}) {
        String value = env.get(dependent);
        if (value != null && !value.isBlank()) {
          throw new IllegalArgumentException(dependent + " is set but BMADFLOW_SIGNING_KEY is not; set the current"
              + " signing key too, or unset " + dependent);
        }
      }
      return null;
    }
    return of(key, id == null || id.isBlank() ? null : id.trim(), previous == null ? "" : previous);
  }

  /**
   * Keys from their configured spellings.
   *
   * @param base64Key the current key, base64 of at least 32 bytes
   * @param keyId the current key's id, or null for its fingerprint
   * @param previous {@code id:base64} pairs separated by commas, or empty
   * @throws IllegalArgumentException naming the variable, the problem and the fix
   */
  public static SigningKeys of(String base64Key, String keyId, String previous) {
    byte[] current = decode(base64Key, "BMADFLOW_SIGNING_KEY");
    String id = keyId == null ? fingerprint(current) : keyId;
    if (!KEY_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("BMADFLOW_SIGNING_KEY_ID must be 1 to 64 of A-Z a-z 0-9 . _ -; choose an id"
          + " such as 'signing-2026-12'");
    }
    Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
    keys.put(id, new SecretKeySpec(current, "HmacSHA256"));
    int n = 0;
    for (String entry : previous.split(",")) {
      n++;
      if (entry.isBlank()) {
        continue;
      }
      int colon = entry.indexOf(':');
      String previousId = colon < 0 ? "" : entry.substring(0, colon).trim();
      if (!KEY_ID.matcher(previousId).matches()) {
        throw new IllegalArgumentException("BMADFLOW_SIGNING_KEYS_PREVIOUS entry " + n + " is not 'id:base64' with an id"
            + " of 1 to 64 of A-Z a-z 0-9 . _ -; write it as old-id:<base64 key>, entries separated by commas");
      }
      byte[] bytes = decode(entry.substring(colon + 1), "BMADFLOW_SIGNING_KEYS_PREVIOUS key '" + previousId + "'");
      if (keys.containsKey(previousId)) {
        throw new IllegalArgumentException("BMADFLOW_SIGNING_KEYS_PREVIOUS key id '" + previousId + "' is "
            + (previousId.equals(id) ? "the current BMADFLOW_SIGNING_KEY_ID" : "listed twice")
            + "; every key needs its own id: remove the duplicate");
      }
      keys.put(previousId, new SecretKeySpec(bytes, "HmacSHA256"));
    }
    return new SigningKeys(id, keys);
  }

  private static byte[] decode(String base64, String what) {
    byte[] key;
    try {
      key = Base64.getDecoder().decode(base64.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + " is not base64; " + GENERATE);
    }
    if (key.length < MIN_KEY_BYTES) {
      throw new IllegalArgumentException(what + " decodes to " + key.length + " bytes, HMAC-SHA256 signing needs at least "
          + MIN_KEY_BYTES + "; " + GENERATE);
    }
    return key;
  }

  /** The default key id: {@code k} and 12 hex digits of a SHA-256 over the key. */
  static String fingerprint(byte[] key) {
    byte[] label = "bmadflow signing key id\0".getBytes(StandardCharsets.US_ASCII);
    byte[] input = new byte[label.length + key.length];
    System.arraycopy(label, 0, input, 0, label.length);
    System.arraycopy(key, 0, input, label.length, key.length);
    return "k" + HexFormat.of().formatHex(Sha256.digest(input)).substring(0, 12);
  }

  /** The id of the key that signs. */
  public String currentKeyId() {
    return currentId;
  }

  /** Whether a key with this id is known, current or previous. */
  public boolean knows(String keyId) {
    return keyId != null && keys.containsKey(keyId);
  }

  /** The HMAC-SHA256 of the message under the key with this id; the id must be known. */
  byte[] mac(String keyId, byte[] message) {
    SecretKeySpec key = keys.get(keyId);
    if (key == null) {
      throw new IllegalArgumentException("no signing key with id " + keyId);
    }
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available in this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "HMAC-SHA256 signing key " + currentId + (keys.size() > 1
        ? " (also verifying " + String.join(", ", keys.keySet().stream().skip(1).toList()) + ")" : "");
  }
}
