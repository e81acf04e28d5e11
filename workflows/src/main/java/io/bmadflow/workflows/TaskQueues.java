package io.bmadflow.workflows;

/** The task queues bmadflow workers poll; every worker polls the first three. */
public final class TaskQueues {
  /** Project, phase, recovery and drill workflows. */
  public static final String ORCHESTRATION = "bmadflow-orchestration";
  /** Long, heartbeating agent activities. */
  public static final String AGENTS = "bmadflow-agents";
  /** Checkpoint capture, storage and verification against S3. */
  public static final String CHECKPOINTS = "bmadflow-checkpoints";
  /** The drill schedule's own queue, polled only by the process running {@code bmadflow drill --every}. */
  public static final String DRILLS = "bmadflow-drills";

  private TaskQueues() {}
}
