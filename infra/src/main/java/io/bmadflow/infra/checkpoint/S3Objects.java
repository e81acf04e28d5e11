package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.config.S3Settings;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The S3 calls the checkpoint store makes, with errors turned into
 * {@link CheckpointStoreException}s that name the key, the problem and what to check.
 */
final class S3Objects {
  /** An object's bytes and its ETag. */
  record Versioned(byte[] bytes, String etag) {}

  /** Thrown by the conditional writes when the condition does not hold (HTTP 412). */
  static final class PreconditionFailed extends RuntimeException {
    PreconditionFailed(String key) {
      super("precondition failed for " + key, null, false, false);
    }
  }

  private final S3Client s3;
  private final S3Settings settings;

  S3Objects(S3Client s3, S3Settings settings) {
    this.s3 = s3;
    this.settings = settings;
  }

  S3Settings settings() {
    return settings;
  }

  /**
   * Puts an object. {@code ifNoneMatch} {@code "*"} makes it create-only and {@code ifMatch} an
   * ETag makes it replace only that version; either throws {@link PreconditionFailed} when the
   * condition does not hold.
   */
  void put(String key, byte[] bytes, String contentType, String ifNoneMatch, String ifMatch) {
    PutObjectRequest.Builder request = PutObjectRequest.builder()
        .bucket(settings.bucket())
        .key(key)
        .contentType(contentType)
        .contentLength((long) bytes.length)
        .checksumSHA256(Sha256.base64(bytes));
    if (settings.sse() != null) {
      request.serverSideEncryption(settings.sse());
      if (settings.kmsKeyId() != null) {
        request.ssekmsKeyId(settings.kmsKeyId());
      }
    }
    if (ifNoneMatch != null) {
      request.ifNoneMatch(ifNoneMatch);
    }
    if (ifMatch != null) {
      request.ifMatch(ifMatch);
    }
    call("put " + key, key, () -> s3.putObject(request.build(), RequestBody.fromBytes(bytes)));
  }

  /**
   * Puts an object streamed from {@code content} (opened once to hash, once to upload, and again
   * if the SDK retries), so memory stays at a buffer whatever the size; one PUT, at most 5 GiB.
   */
  void putStreamed(String key, long length, String sha256Base64, String contentType,
      software.amazon.awssdk.http.ContentStreamProvider content) {
    PutObjectRequest.Builder request = PutObjectRequest.builder()
        .bucket(settings.bucket())
        .key(key)
        .contentType(contentType)
        .contentLength(length)
        .checksumSHA256(sha256Base64);
    if (settings.sse() != null) {
      request.serverSideEncryption(settings.sse());
      if (settings.kmsKeyId() != null) {
        request.ssekmsKeyId(settings.kmsKeyId());
      }
    }
    call("put " + key, key, () -> s3.putObject(request.build(), RequestBody.fromContentProvider(content, length, contentType)));
  }

  /**
   * Starts a create-only multipart upload of a large object; write the content to the returned
   * stream and close it to complete the upload. Memory stays at one part whatever the size.
   * Throws {@link PreconditionFailed} when the key already exists.
   */
  MultipartOutput startMultipart(String key, String contentType, int partSize) {
    if (head(key)) {
      throw new PreconditionFailed(key);
    }
    var create = software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest.builder()
        .bucket(settings.bucket()).key(key).contentType(contentType)
        .checksumAlgorithm(software.amazon.awssdk.services.s3.model.ChecksumAlgorithm.SHA256);
    if (settings.sse() != null) {
      create.serverSideEncryption(settings.sse());
      if (settings.kmsKeyId() != null) {
        create.ssekmsKeyId(settings.kmsKeyId());
      }
    }
    String uploadId = call("start multipart upload " + key, key, () -> s3.createMultipartUpload(create.build())).uploadId();
    return new MultipartOutput(key, uploadId, partSize);
  }

  /** An open multipart upload: an output stream that uploads a part each time its buffer fills. */
  final class MultipartOutput extends java.io.OutputStream {
    private final String key;
    private final String uploadId;
    private final byte[] buffer;
    private final List<CompletedPart> parts = new ArrayList<>();
    private int filled;
    private boolean finished;

    private MultipartOutput(String key, String uploadId, int partSize) {
      this.key = key;
      this.uploadId = uploadId;
      this.buffer = new byte[partSize];
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      while (length > 0) {
        int n = Math.min(length, buffer.length - filled);
        System.arraycopy(bytes, offset, buffer, filled, n);
        filled += n;
        offset += n;
        length -= n;
        if (filled == buffer.length) {
          flushPart();
        }
      }
    }

    private void flushPart() {
      int number = parts.size() + 1;
      int length = filled;
      MessageDigest digest = Sha256.newDigest();
      digest.update(buffer, 0, length);
      String checksum = java.util.Base64.getEncoder().encodeToString(digest.digest());
      // Streamed from the buffer itself (re-readable for retries): no copy of the part.
      String etag = call("upload part " + number + " of " + key, key, () -> s3.uploadPart(
          b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId).partNumber(number)
              .contentLength((long) length).checksumSHA256(checksum),
          RequestBody.fromContentProvider(
              () -> new java.io.ByteArrayInputStream(buffer, 0, length), length, "application/octet-stream"))).eTag();
      parts.add(CompletedPart.builder().partNumber(number).eTag(etag).checksumSHA256(checksum).build());
      filled = 0;
    }

    /** Uploads the last part and completes the upload. */
    @Override
    public void close() {
      if (finished) {
        return;
      }
      finished = true;
      try {
        if (filled > 0 || parts.isEmpty()) {
          flushPart();
        }
        call("complete multipart upload " + key, key, () -> s3.completeMultipartUpload(
            b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts))));
      } catch (RuntimeException e) {
        abort();
        throw e;
      }
    }

    /** Abandons the upload; nothing becomes visible. */
    void abort() {
      finished = true;
      try {
        s3.abortMultipartUpload(b -> b.bucket(settings.bucket()).key(key).uploadId(uploadId));
      } catch (RuntimeException ignored) {
        // The parts are invisible either way; a bucket lifecycle rule removes them.
      }
    }
  }

  /**
   * The most {@link #get(String)} reads of an object whose size the caller does not know: 16 MiB.
   * Bigger objects are refused with {@link TooLarge} before their body is read.
   */
  static final long DEFAULT_READ_LIMIT = 16L * 1024 * 1024;

  /**
   * An object is larger than its reader allows; thrown before its body is read (or as soon as more
   * than the limit arrived, when S3 sent no length), so it costs neither the download nor the heap.
   */
  static final class TooLarge extends CheckpointStoreException.Corrupt {
    private final String etag;
    private final long limit;

    TooLarge(String message, String etag, long limit) {
      super(message);
      this.etag = etag;
      this.limit = limit;
    }

    /** The ETag of the oversized object, so a caller may replace it conditionally; may be null. */
    String etag() {
      return etag;
    }

    /** The limit the object exceeded, in bytes. */
    long limit() {
      return limit;
    }
  }

  /** The object's bytes, or null when it does not exist; at most {@link #DEFAULT_READ_LIMIT}. */
  byte[] get(String key) {
    return get(key, DEFAULT_READ_LIMIT);
  }

  /**
   * The object's bytes, or null when it does not exist.
   *
   * @param limit the most bytes to read; a larger object is refused with {@link TooLarge}, before
   *     its body is read when S3 sends its length (always for a GetObject)
   */
  byte[] get(String key, long limit) {
    Versioned versioned = getVersioned(key, limit);
    return versioned == null ? null : versioned.bytes();
  }

  /** The object's bytes and ETag, or null when it does not exist; at most {@link #DEFAULT_READ_LIMIT}. */
  Versioned getVersioned(String key) {
    return getVersioned(key, DEFAULT_READ_LIMIT);
  }

  /** The object's bytes and ETag, or null when it does not exist; refuses one over {@code limit} bytes. */
  Versioned getVersioned(String key, long limit) {
    if (limit < 0 || limit > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("an in-memory read limit must be between 0 and 2 GiB, not " + limit);
    }
    ResponseInputStream<GetObjectResponse> in = open(key);
    if (in == null) {
      return null;
    }
    String etag = in.response().eTag();
    Long length = in.response().contentLength();
    try {
      if (length != null && length > limit) {
        in.abort();
        throw tooLarge(key, length + " bytes", limit, etag, "it was refused without being read");
      }
      byte[] bytes = length != null ? new byte[(int) (long) length] : null;
      if (bytes != null) {
        int read = in.readNBytes(bytes, 0, bytes.length);
        if (read < bytes.length) {
          throw new CheckpointStoreException.Unavailable("S3 get " + key + " failed: the connection ended after "
              + read + " of " + bytes.length + " bytes; try again", null);
        }
        if (in.read() >= 0) {
          in.abort();
          throw tooLarge(key, "more than its announced " + length + " bytes", limit, etag, "its reading was stopped there");
        }
      } else {
        bytes = in.readNBytes((int) limit + 1);
        if (bytes.length > limit) {
          in.abort();
          throw tooLarge(key, "more than " + limit + " bytes", limit, etag, "its reading was stopped there");
        }
      }
      return new Versioned(bytes, etag);
    } catch (java.io.IOException e) {
      in.abort();
      throw new CheckpointStoreException.Unavailable("S3 get " + key + " failed while reading the object ("
          + e.getMessage() + "); check the connection to " + settings.describeEndpoint() + " and try again", e);
    } finally {
      closeQuietly(in);
    }
  }

  private TooLarge tooLarge(String key, String size, long limit, String etag, String what) {
    return new TooLarge("S3 object s3://" + settings.bucket() + "/" + key + " is " + size + ", more than the " + limit
        + " bytes allowed for it; " + what + " (it was altered, or not written by bmadflow)", etag, limit);
  }

  /** Opens the object as a stream, or returns null when it does not exist. */
  ResponseInputStream<GetObjectResponse> open(String key) {
    try {
      return call("get " + key, key, () -> s3.getObject(b -> b.bucket(settings.bucket()).key(key)));
    } catch (CheckpointStoreException.NotFound e) {
      return null;
    }
  }

  /** Closes a response stream without waiting on a body nobody will read. */
  static void closeQuietly(ResponseInputStream<?> in) {
    try {
      in.close();
    } catch (java.io.IOException | RuntimeException ignored) {
      // Closing an aborted or half-read response: nothing to save.
    }
  }

  boolean head(String key) {
    try {
      call("head " + key, key, () -> s3.headObject(b -> b.bucket(settings.bucket()).key(key)));
      return true;
    } catch (CheckpointStoreException.NotFound e) {
      return false;
    }
  }

  void delete(String key) {
    call("delete " + key, key, () -> s3.deleteObject(b -> b.bucket(settings.bucket()).key(key)));
  }

  /** The common prefixes directly under {@code prefix} ({@code delimiter} {@code /}), after {@code startAfter}. */
  List<String> childPrefixes(String prefix, String startAfter) {
    List<String> out = new ArrayList<>();
    String token = null;
    do {
      ListObjectsV2Request.Builder request =
          ListObjectsV2Request.builder().bucket(settings.bucket()).prefix(prefix).delimiter("/");
      if (token != null) {
        request.continuationToken(token);
      } else if (startAfter != null) {
        request.startAfter(startAfter);
      }
      ListObjectsV2Response response = call("list " + prefix, prefix, () -> s3.listObjectsV2(request.build()));
      response.commonPrefixes().forEach(p -> out.add(p.prefix()));
      token = Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null;
    } while (token != null);
    return out;
  }

  /** Every object under {@code prefix}. */
  List<S3Object> objects(String prefix) {
    List<S3Object> out = new ArrayList<>();
    String token = null;
    do {
      ListObjectsV2Request.Builder request = ListObjectsV2Request.builder().bucket(settings.bucket()).prefix(prefix);
      if (token != null) {
        request.continuationToken(token);
      }
      ListObjectsV2Response response = call("list " + prefix, prefix, () -> s3.listObjectsV2(request.build()));
      out.addAll(response.contents());
      token = Boolean.TRUE.equals(response.isTruncated()) ? response.nextContinuationToken() : null;
    } while (token != null);
    return out;
  }

  /** Puts an Object Lock legal hold on the object; throws the S3 error when the bucket can't. */
  void legalHold(String key) {
    s3.putObjectLegalHold(b -> b.bucket(settings.bucket()).key(key)
        .legalHold(h -> h.status(software.amazon.awssdk.services.s3.model.ObjectLockLegalHoldStatus.ON)));
  }

  void checkAccess() {
    call("head bucket " + settings.bucket(), settings.bucket(), () -> s3.headBucket(b -> b.bucket(settings.bucket())));
  }

  private CheckpointStoreException.NotFound notFound(String key, S3Exception cause) {
    var notFound = new CheckpointStoreException.NotFound("S3 object s3://" + settings.bucket() + "/" + key + " does not exist");
    notFound.initCause(cause);
    return notFound;
  }

  <T> T call(String what, String key, Supplier<T> operation) {
    try {
      return operation.get();
    } catch (NoSuchKeyException e) {
      throw notFound(key, e);
    } catch (S3Exception e) {
      if (e.statusCode() == 412) {
        throw new PreconditionFailed(key);
      }
      if (e.statusCode() == 404 && !what.startsWith("head bucket") && !what.startsWith("list")) {
        String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
        if (!"NoSuchBucket".equals(code)) {
          throw notFound(key, e);
        }
      }
      String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : null;
      String hint =
          "NoSuchBucket".equals(code) || (e.statusCode() == 404 && what.startsWith("head bucket"))
              ? "bucket " + settings.bucket() + " does not exist at " + settings.describeEndpoint()
                  + "; create it or set BMADFLOW_S3_BUCKET"
              : e.statusCode() == 403
                  ? "access denied; check the AWS credentials and the bucket policy"
                  : "S3 answered " + e.statusCode() + (code != null ? " " + code : "");
      throw new CheckpointStoreException.Unavailable("S3 " + what + " failed: " + hint, e);
    } catch (SdkClientException e) {
      String message = String.valueOf(e.getMessage());
      if (message.startsWith("Unable to load credentials")) {
        throw new CheckpointStoreException.Unavailable(
            "S3 " + what + ": no AWS credentials found; set AWS_ACCESS_KEY_ID and"
                + " AWS_SECRET_ACCESS_KEY, or configure a profile or role (for the dev stack, paste"
                + " the export lines `bmadflow dev` prints)", e);
      }
      throw new CheckpointStoreException.Unavailable(
          "S3 at " + settings.describeEndpoint() + " cannot be reached ("
              + (message.length() > 200 ? message.substring(0, 200) + "..." : message)
              + "); check BMADFLOW_S3_ENDPOINT and that the server is running", e);
    }
  }
}
