package io.bmadflow.workflows.checkpoint;

/**
 * A committed checkpoint, as a notification tells it (the webhook's JSON body, snake_case keys).
 *
 * @param projectId the project
 * @param checkpointId the checkpoint id
 * @param type automatic, manual or intelligent
 * @param trigger why it was taken ({@code phase_transition}, ...)
 * @param priority {@code low}, {@code medium}, {@code high} or {@code critical}
 * @param phase the phase it was taken in
 * @param reason a human sentence on why
 * @param createdAt ISO-8601 UTC time it was taken
 * @param location where it is stored ({@code s3://bucket/prefix/...})
 * @param checksum {@code sha256:} and the hash of the package manifest
 */
public record CheckpointEvent(
    String projectId,
    String checkpointId,
    String type,
    String trigger,
    String priority,
    String phase,
    String reason,
    String createdAt,
    String location,
    String checksum) {

  /** The event for a committed checkpoint the workflow holds a reference to. */
  public static CheckpointEvent of(String projectId, String reason, CheckpointRef ref) {
    return new CheckpointEvent(projectId, ref.checkpointId(), ref.type(), ref.trigger(), ref.priority(),
        ref.phase(), reason, ref.createdAt(), ref.location(), ref.checksum());
  }
}
