package io.bmadflow.infra.checkpoint;

import java.util.Map;

/**
 * How packages are written.
 *
 * @param compress gzip content files (the metadata always stays plain JSON)
 * @param fullEvery force a full checkpoint after this many incremental ones in a row
 * @param cipher client-side encryption of content, or null
 * @param multipartThreshold stored objects larger than this are streamed as a multipart upload
 * @param partSize the multipart part size (S3's minimum is 5 MiB)
 * @param retention how long each retention class is kept
 * @param signing the keys that sign new packages' metadata and that readers require a signature
 *     of, or null: then nothing is signed and signatures are not checked (digests still are);
 *     {@link #toString()} shows key ids only
 */
public record StoreOptions(
    boolean compress,
    int fullEvery,
    ContentCipher cipher,
    long multipartThreshold,
    int partSize,
    RetentionPolicy retention,
    SigningKeys signing) {

  public static final int DEFAULT_FULL_EVERY = 10;
  public static final int DEFAULT_PART_SIZE = 8 * 1024 * 1024;

  public StoreOptions {
    if (fullEvery < 0) {
      throw new IllegalArgumentException("fullEvery must be 0 (always full) or more");
    }
    if (partSize < 5 * 1024 * 1024) {
      throw new IllegalArgumentException("multipart parts must be at least 5 MiB");
    }
  }

  /** Options without the signing keys; for callers that predate them. */
  public StoreOptions(boolean compress, int fullEvery, ContentCipher cipher, long multipartThreshold, int partSize,
      RetentionPolicy retention) {
    this(compress, fullEvery, cipher, multipartThreshold, partSize, retention, null);
  }

  public static StoreOptions defaults() {
    return new StoreOptions(true, DEFAULT_FULL_EVERY, null, DEFAULT_PART_SIZE, DEFAULT_PART_SIZE, RetentionPolicy.defaults(), null);
  }

  /**
   * From the environment: {@code BMADFLOW_COMPRESSION} ({@code gzip} or {@code none}),
   * {@code BMADFLOW_FULL_CHECKPOINT_EVERY} (default 10), {@code BMADFLOW_ENCRYPTION_KEY} (base64
   * of 32 bytes; unset for none), the signing variables of {@link SigningKeys#fromEnvironment}
   * ({@code BMADFLOW_SIGNING_KEY}, {@code BMADFLOW_SIGNING_KEY_ID},
   * {@code BMADFLOW_SIGNING_KEYS_PREVIOUS}; unset for unsigned packages), and the retention
   * variables of {@link RetentionPolicy}.
   */
  public static StoreOptions fromEnvironment(Map<String, String> env) {
    String compression = env.getOrDefault("BMADFLOW_COMPRESSION", "gzip").trim();
    if (!compression.equals("gzip") && !compression.equals("none")) {
      throw new IllegalArgumentException("BMADFLOW_COMPRESSION '" + compression + "' must be gzip or none");
    }
    int fullEvery;
    try {
      fullEvery = Integer.parseInt(env.getOrDefault("BMADFLOW_FULL_CHECKPOINT_EVERY", "" + DEFAULT_FULL_EVERY).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("BMADFLOW_FULL_CHECKPOINT_EVERY must be a whole number");
    }
    String key = env.get("BMADFLOW_ENCRYPTION_KEY");
    return new StoreOptions(
        compression.equals("gzip"),
        fullEvery,
        key == null || key.isBlank() ? null : ContentCipher.fromBase64(key),
        DEFAULT_PART_SIZE,
        DEFAULT_PART_SIZE,
        RetentionPolicy.fromEnvironment(env),
        SigningKeys.fromEnvironment(env));
  }

  public StoreOptions withCipher(ContentCipher cipher) {
    return new StoreOptions(compress, fullEvery, cipher, multipartThreshold, partSize, retention, signing);
  }

  public StoreOptions withFullEvery(int n) {
    return new StoreOptions(compress, n, cipher, multipartThreshold, partSize, retention, signing);
  }

  public StoreOptions withMultipartThreshold(long bytes) {
    return new StoreOptions(compress, fullEvery, cipher, bytes, partSize, retention, signing);
  }

  /** The same options with other signing keys (null: unsigned, signatures not checked). */
  public StoreOptions withSigning(SigningKeys signing) {
    return new StoreOptions(compress, fullEvery, cipher, multipartThreshold, partSize, retention, signing);
  }
}
