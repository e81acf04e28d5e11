package io.bmadflow.worker;

import io.bmadflow.activities.agents.AgentActivitiesImpl;
import io.bmadflow.activities.agents.AgentRunner;
import io.bmadflow.activities.checkpoint.CheckpointActivitiesImpl;
import io.bmadflow.activities.checkpoint.NotificationActivitiesImpl;
import io.bmadflow.activities.recovery.RecoveryActivitiesImpl;
import io.bmadflow.activities.recovery.ResetRewind;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.metrics.BmadflowMetrics;
import io.bmadflow.infra.temporal.HistoryLimitInterceptor;
import io.bmadflow.infra.temporal.TemporalConnection;
import io.bmadflow.workflows.SearchAttributes;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.phase.PhaseWorkflowImpl;
import io.bmadflow.workflows.project.ProjectWorkflowImpl;
import io.bmadflow.workflows.recovery.RecoveryWorkflowImpl;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bmadflow worker: polls the orchestration, agents and checkpoints task queues with the
 * workflows (project, phase, recovery) and activities registered. Stateless: run as many as you like.
 */
public final class BmadflowWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BmadflowWorker.class);
  private final WorkerFactory factory;
  private final String name;

  /**
   * What a worker runs with.
   *
   * @param name this worker's name, recorded with the steps it runs
   * @param workspaceRoot where project workspaces live when a project names none
   * @param agents the agent implementation
   * @param metrics where checkpoint metrics go, or null for none (Temporal's own metrics go where
   *     the {@link TemporalConnection} was told)
   * @param webhookUrl where checkpoint notifications are POSTed ({@code BMADFLOW_WEBHOOK_URL}),
   *     or null for none
   * @param allowedWorkspaceRoots further directories a project may name a workspace under
   *     ({@code BMADFLOW_WORKSPACE_ALLOW}), each absolute; empty by default. The worker refuses any
   *     other workspace (see {@link WorkspaceRoot})
   */
  public record Options(String name, Path workspaceRoot, AgentRunner agents, BmadflowMetrics metrics,
      String webhookUrl, List<Path> allowedWorkspaceRoots) {

    public Options {
      allowedWorkspaceRoots = allowedWorkspaceRoots == null ? List.of() : List.copyOf(allowedWorkspaceRoots);
    }

    /** Without further allowed workspace roots. */
    public Options(String name, Path workspaceRoot, AgentRunner agents, BmadflowMetrics metrics, String webhookUrl) {
      this(name, workspaceRoot, agents, metrics, webhookUrl, List.of());
    }

    /** Without metrics and notifications. */
    public Options(String name, Path workspaceRoot, AgentRunner agents) {
      this(name, workspaceRoot, agents, null, null);
    }

    /** The same options with further allowed workspace roots. */
    public Options withAllowedWorkspaceRoots(List<Path> roots) {
      return new Options(name, workspaceRoot, agents, metrics, webhookUrl, roots);
    }

    /** The workspace policy: {@link #workspaceRoot} and {@link #allowedWorkspaceRoots}. */
    public WorkspaceRoot workspaces() {
      return WorkspaceRoot.of(workspaceRoot, allowedWorkspaceRoots);
    }
  }

  private BmadflowWorker(WorkerFactory factory, String name) {
    this.factory = factory;
    this.name = name;
  }

  /** Registers everything and starts polling. */
  public static BmadflowWorker start(TemporalConnection temporal, CheckpointStore store, Options options) {
    NotificationActivitiesImpl notifications = new NotificationActivitiesImpl(options.webhookUrl());
    List<String> refused = temporal.registerSearchAttributes(List.copyOf(SearchAttributes.ALL));
    if (!refused.isEmpty()) {
      log.warn("search attributes not registered ({}); projects run without them. Register them in the"
          + " namespace to see phase, step and status in the Web UI", String.join("; ", refused));
    }
    // A run whose history reaches half the server's limit is logged and counted.
    BmadflowMetrics metrics = options.metrics();
    WorkerFactory factory = WorkerFactory.newInstance(temporal.client(), WorkerFactoryOptions.newBuilder()
        .setWorkerInterceptors(new HistoryLimitInterceptor(temporal.limits(), metrics == null ? null
            : w -> metrics.recordHistoryLimitWarning(w.workflowType(), w.kind().tag())))
        .build());
    WorkerOptions.Builder workerOptions = WorkerOptions.newBuilder();
    if (temporal.isDevStack()) {
      // The Java test server never times out sticky queues: without this a crashed worker's
      // workflows wait forever. A real cluster does not need it, so it is set only here.
      workerOptions.setStickyQueueScheduleToStartTimeout(Duration.ZERO);
    }
    WorkerOptions built = workerOptions.build();
    factory.newWorker(TaskQueues.ORCHESTRATION, built)
        .registerWorkflowImplementationTypes(ProjectWorkflowImpl.class, PhaseWorkflowImpl.class, RecoveryWorkflowImpl.class);
    WorkspaceRoot workspaces = options.workspaces();
    // After a Temporal reset, the first activity of the project's new run that touches the
    // workspace puts it back to the reset point's checkpoint.
    ResetRewind rewind = new ResetRewind(temporal.client(), store, workspaces, options.name());
    factory.newWorker(TaskQueues.AGENTS, built)
        .registerActivitiesImplementations(
            new AgentActivitiesImpl(options.agents(), workspaces, options.name(), rewind));
    factory.newWorker(TaskQueues.CHECKPOINTS, built)
        .registerActivitiesImplementations(
            new CheckpointActivitiesImpl(store, workspaces, options.metrics(), rewind), notifications,
            new RecoveryActivitiesImpl(temporal.client(), store, workspaces, options.name(), options.metrics()));
    factory.start();
    return new BmadflowWorker(factory, options.name());
  }

  public String name() {
    return name;
  }

  /** Stops at once, abandoning in-flight tasks: what a crash looks like to Temporal. */
  public void kill() {
    factory.shutdownNow();
    factory.awaitTermination(10, TimeUnit.SECONDS);
  }

  /** Stops polling and lets in-flight tasks finish. */
  @Override
  public void close() {
    factory.shutdown();
    factory.awaitTermination(30, TimeUnit.SECONDS);
  }
}
