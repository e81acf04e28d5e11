package io.bmadflow.infra.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;

/**
 * Where checkpoints are stored: an S3 bucket on AWS or any S3-compatible server.
 *
 * <p>From the environment: {@code BMADFLOW_S3_ENDPOINT} (empty for AWS itself),
 * {@code BMADFLOW_S3_BUCKET} (default {@code bmadflow}), {@code BMADFLOW_S3_PREFIX} (default
 * empty; a {@code /} is added when missing), {@code AWS_REGION} (default {@code us-east-1}).
 * Credentials come from {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY} when set, else
 * from the AWS default provider chain (profiles, container and instance roles).
 *
 * @param endpoint the S3 endpoint, or null for AWS's regional endpoint
 * @param bucket the bucket
 * @param prefix a key prefix ending in {@code /}, or empty
 * @param region the signing region
 * @param credentials the credentials provider
 * @param sse server-side encryption asked of S3 for every object: null (the bucket's default),
 *     {@code AES256} (SSE-S3) or {@code aws:kms} (SSE-KMS); from {@code BMADFLOW_S3_SSE}
 * @param kmsKeyId the KMS key for {@code aws:kms}, or null for the account's default key; from
 *     {@code BMADFLOW_S3_SSE_KMS_KEY_ID}
 */
public record S3Settings(
    URI endpoint,
    String bucket,
    String prefix,
    String region,
    AwsCredentialsProvider credentials,
    String sse,
    String kmsKeyId) {

  public static final String DEFAULT_BUCKET = "bmadflow";

  public S3Settings {
    if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
      throw new IllegalArgumentException(
          "S3 bucket '" + bucket + "' is not a valid bucket name (3-63 lower-case letters, digits,"
              + " '.' or '-'); set BMADFLOW_S3_BUCKET");
    }
    prefix = normalizePrefix(prefix);
    if (sse != null && !sse.equals("AES256") && !sse.equals("aws:kms")) {
      throw new IllegalArgumentException(
          "BMADFLOW_S3_SSE '" + sse + "' must be AES256 (SSE-S3) or aws:kms (SSE-KMS), or unset");
    }
    if (kmsKeyId != null && !"aws:kms".equals(sse)) {
      throw new IllegalArgumentException("BMADFLOW_S3_SSE_KMS_KEY_ID is set but BMADFLOW_S3_SSE is not aws:kms");
    }
  }

  /** Settings without server-side encryption options. */
  public S3Settings(URI endpoint, String bucket, String prefix, String region, AwsCredentialsProvider credentials) {
    this(endpoint, bucket, prefix, region, credentials, null, null);
  }

  /** Reads the settings from environment variables (see the class comment). */
  public static S3Settings fromEnvironment(Map<String, String> env) {
    String endpoint = blankToNull(env.get("BMADFLOW_S3_ENDPOINT"));
    URI uri = null;
    if (endpoint != null) {
      try {
        uri = new URI(endpoint);
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException(
            "BMADFLOW_S3_ENDPOINT '" + endpoint + "' is not a URL: " + e.getMessage());
      }
      if (uri.getScheme() == null || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "BMADFLOW_S3_ENDPOINT '" + endpoint + "' needs a scheme and host, like http://127.0.0.1:9000");
      }
    }
    String key = blankToNull(env.get("AWS_ACCESS_KEY_ID"));
    String secret = blankToNull(env.get("AWS_SECRET_ACCESS_KEY"));
    AwsCredentialsProvider credentials =
        key != null && secret != null
            ? StaticCredentialsProvider.create(AwsBasicCredentials.create(key, secret))
            : DefaultCredentialsProvider.builder().build();
    return new S3Settings(
        uri,
        env.getOrDefault("BMADFLOW_S3_BUCKET", DEFAULT_BUCKET),
        env.getOrDefault("BMADFLOW_S3_PREFIX", ""),
        env.getOrDefault("AWS_REGION", "us-east-1"),
        credentials,
        blankToNull(env.get("BMADFLOW_S3_SSE")),
        blankToNull(env.get("BMADFLOW_S3_SSE_KMS_KEY_ID")));
  }

  /** Builds a client for these settings: path-style for custom endpoints, SHA-256 checksums. */
  public S3Client newClient() {
    var builder =
        S3Client.builder()
            .region(Region.of(region))
            .credentialsProvider(credentials)
            .httpClientBuilder(
                UrlConnectionHttpClient.builder()
                    .connectionTimeout(Duration.ofSeconds(5))
                    .socketTimeout(Duration.ofSeconds(60)))
            .overrideConfiguration(
                ClientOverrideConfiguration.builder()
                    .apiCallTimeout(Duration.ofMinutes(2))
                    .build())
            // We send our own SHA-256 with every put and verify every read ourselves.
            .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
            .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (endpoint != null) {
      builder
          .endpointOverride(endpoint)
          .serviceConfiguration(S3Configuration.builder().pathStyleAccessEnabled(true).build());
    }
    return builder.build();
  }

  /** The endpoint as people write it, for messages. */
  public String describeEndpoint() {
    return endpoint != null ? endpoint.toString() : "AWS S3 (" + region + ")";
  }

  private static String normalizePrefix(String prefix) {
    if (prefix == null || prefix.isEmpty()) {
      return "";
    }
    if (prefix.startsWith("/") || prefix.contains("..") || prefix.contains("\\")
        || prefix.chars().anyMatch(Character::isISOControl)) {
      throw new IllegalArgumentException(
          "BMADFLOW_S3_PREFIX '" + prefix + "' must be a relative key prefix without '..',"
              + " backslashes or control characters, like 'teams/a/'");
    }
    return prefix.endsWith("/") ? prefix : prefix + "/";
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }
}
