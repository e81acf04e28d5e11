package io.bmadflow.infra.checkpoint;

import java.util.List;

/**
 * What the store computed over a package's content before it writes the metadata.
 *
 * @param checksum {@code sha256:} and the SHA-256 of the manifest
 * @param files every file but the metadata, with sizes and hashes, sorted by path
 * @param logicalBytes the total logical size of the files
 * @param storedBytes the total stored size of the objects, referenced ones included
 * @param bytesWritten the bytes this checkpoint uploaded (less than stored when incremental)
 * @param location where the package is stored ({@code s3://bucket/key-prefix/})
 * @param parentCheckpointId the checkpoint this one is incremental to, or null for a full one
 * @param incrementalDepth 0 for a full checkpoint, else how many incrementals since the last full
 * @param references the ancestor checkpoints whose objects this one references, sorted
 * @param retention the retention policy, to compute the expiry of the package's class
 */
public record PackageDigest(
    String checksum,
    List<PackageFile> files,
    long logicalBytes,
    long storedBytes,
    long bytesWritten,
    String location,
    String parentCheckpointId,
    int incrementalDepth,
    List<String> references,
    RetentionPolicy retention) {}
