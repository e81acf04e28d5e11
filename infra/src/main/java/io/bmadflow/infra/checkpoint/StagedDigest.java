package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.json.PackageJson;
import java.io.IOException;
import java.util.List;

/**
 * What staging computed over a package's content, kept beside the content as {@code .staged.json}
 * so the commit step can run as its own activity with only ids passing through workflow history.
 */
record StagedDigest(String checksum, List<PackageFile> files, long logicalBytes, long storedBytes,
    long bytesWritten, String parentCheckpointId, int incrementalDepth, List<String> references) {

  /** Reads a package's staging record; throws NotFound when it was never staged, Corrupt when it is damaged. */
  static StagedDigest read(S3Objects objects, String projectId, String checkpointId) {
    String key = PackagePaths.packagePrefix(objects.settings().prefix(), projectId, checkpointId) + PackagePaths.STAGED;
    byte[] bytes = objects.get(key);
    if (bytes == null) {
      throw new CheckpointStoreException.NotFound("checkpoint " + checkpointId + " of " + projectId
          + " was never staged (no " + PackagePaths.STAGED + "); capture it first");
    }
    try {
      return PackageJson.read(bytes, StagedDigest.class);
    } catch (IOException e) {
      throw new CheckpointStoreException.Corrupt("checkpoint " + checkpointId + ": " + PackagePaths.STAGED + " is not valid ("
          + String.valueOf(e.getMessage()).lines().findFirst().orElse("") + "); capture it again under a new id", e);
    }
  }
}
