package io.bmadflow.infra.checkpoint;

import java.util.List;

/**
 * What the store computed over a package's content before it writes the metadata.
 *
 * @param checksum {@code sha256:} and the SHA-256 of the manifest
 * @param files every file but the metadata, with sizes and hashes, sorted by path
 * @param logicalBytes the total logical size of the files
 * @param storedBytes the total stored size of the objects
 * @param location where the package is stored ({@code s3://bucket/key-prefix/})
 */
public record PackageDigest(
    String checksum, List<PackageFile> files, long logicalBytes, long storedBytes, String location) {}
