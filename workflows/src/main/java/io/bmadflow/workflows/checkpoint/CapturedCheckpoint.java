package io.bmadflow.workflows.checkpoint;

import java.util.Map;

/**
 * A checkpoint whose content is captured and stored but not yet committed: the reference the
 * capture step hands to the validation and commit steps (no content, only ids and checks).
 *
 * @param checkpointId the checkpoint
 * @param checksum {@code sha256:} of its manifest
 * @param requestSha256 the hash of the request that captured it
 * @param parentCheckpointId the parent it is incremental to, or null when it is full
 * @param validationDetails the capture-time checks (workflow state, agent states, context, cross references)
 * @param restoreBytesPerSecond the restore rate measured reading the parent back, or 0
 * @param alreadyCommitted whether the id was found committed already (a retried request)
 */
public record CapturedCheckpoint(
    String checkpointId,
    String checksum,
    String requestSha256,
    String parentCheckpointId,
    Map<String, String> validationDetails,
    double restoreBytesPerSecond,
    boolean alreadyCommitted) {}
