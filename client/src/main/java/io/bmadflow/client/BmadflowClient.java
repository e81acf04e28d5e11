package io.bmadflow.client;

import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.checkpoint.VerificationReport;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.recovery.RecoveryReports;
import io.bmadflow.infra.temporal.ProjectLauncher;
import io.bmadflow.workflows.project.ComponentRestore;
import io.bmadflow.workflows.recovery.RecoveryIds;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.RecoveryRequest;
import io.bmadflow.workflows.recovery.RecoveryWorkflow;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.TaskQueues;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.checkpoint.ManualCheckpoint;
import io.bmadflow.workflows.gates.OperatorDecision;
import io.bmadflow.workflows.project.Decision;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.Risk;
import io.bmadflow.workflows.project.ProjectResult;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.ProjectWorkflow;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Java client API: start projects, read their status, list and verify their checkpoints.
 * The CLI is a thin layer over it.
 */
public final class BmadflowClient {
  private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(5);
  /** How long an update waits for the workflow to accept and finish it, by default. */
  public static final Duration DEFAULT_UPDATE_TIMEOUT = Duration.ofSeconds(60);
  private final WorkflowClient temporal;
  private final CheckpointStore store;
  private final Duration updateTimeout;
  private final WorkspaceRoot workspaces;

  /**
   * A client whose {@link #start} checks workspaces against this process's environment
   * ({@code BMADFLOW_WORKSPACE_ROOT}, {@code BMADFLOW_WORKSPACE_ALLOW}; see {@link WorkspaceRoot}).
   */
  public BmadflowClient(WorkflowClient temporal, CheckpointStore store) {
    this(temporal, store, DEFAULT_UPDATE_TIMEOUT);
  }

  /**
   * A client whose updates (gate decisions, decisions, risks, manual checkpoints) wait at most
   * {@code updateTimeout}; other calls are bounded by the connection's RPC timeout and by the
   * query timeout (5 s).
   */
  public BmadflowClient(WorkflowClient temporal, CheckpointStore store, Duration updateTimeout) {
    this(temporal, store, updateTimeout, null);
  }

  private BmadflowClient(WorkflowClient temporal, CheckpointStore store, Duration updateTimeout, WorkspaceRoot workspaces) {
    if (updateTimeout == null || updateTimeout.isNegative() || updateTimeout.isZero()) {
      throw new IllegalArgumentException("an update timeout is a positive duration, not " + updateTimeout);
    }
    this.temporal = temporal;
    this.store = store;
    this.updateTimeout = updateTimeout;
    this.workspaces = workspaces;
  }

  /** The same client with another update timeout. */
  public BmadflowClient withUpdateTimeout(Duration timeout) {
    return new BmadflowClient(temporal, store, timeout, workspaces);
  }

  /**
   * The same client checking the workspaces {@link #start} is asked for against {@code workspaces}
   * (the workers' policy) instead of this process's environment.
   */
  public BmadflowClient withWorkspaceRoot(WorkspaceRoot workspaces) {
    return new BmadflowClient(temporal, store, updateTimeout, workspaces);
  }

  /** The workspace policy {@link #start} checks against: the one given, else this process's environment's. */
  public WorkspaceRoot workspaceRoot() {
    return workspaces != null ? workspaces : WorkspaceRoot.fromEnvironment(System.getenv());
  }

  /**
   * Starts a project's workflow.
   *
   * @param workspace the workspace directory on the workers' machines, or null for the workers'
   *     default ({@code BMADFLOW_WORKSPACE_ROOT/<project>})
   * @return the run id
   * @throws IllegalArgumentException when the project id is invalid or the workspace is outside the
   *     workspace root (see {@link #workspaceRoot}); nothing is started
   * @throws BmadflowException when the project is already running
   */
  public String start(String projectId, WorkflowDefinition definition, String workspace) {
    return start(new ProjectRequest(projectId, definition, workspace));
  }

  /**
   * Starts a project from a full request (for tuning such as {@code maxHistoryEvents}); a
   * workspace outside the workspace root is refused before anything starts, naming the root.
   */
  public String start(ProjectRequest request) {
    String projectId = request.projectId();
    workspaceRoot().resolve(projectId, request.workspace());
    String workflowId = ProjectIds.workflowId(projectId);
    try {
      return ProjectLauncher.start(temporal, request, Map.of());
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new BmadflowException(
          "project " + projectId + " already has a running workflow (" + workflowId + ", run "
              + e.getExecution().getRunId() + "); see `bmadflow status --project " + projectId + "`");
    }
  }

  /** Waits for a project to finish and returns its final state. */
  public ProjectResult awaitResult(String projectId, Duration timeout) throws TimeoutException {
    return temporal.newUntypedWorkflowStub(ProjectIds.workflowId(projectId))
        .getResult(timeout.toMillis(), TimeUnit.MILLISECONDS, ProjectResult.class);
  }

  /** The project's current state, asked of a worker; fails when no worker answers in time. */
  public ProjectSnapshot state(String projectId) {
    return state(projectId, QUERY_TIMEOUT);
  }

  /**
   * Waits until a just-started project has begun, that is its workers accepted its definition, or
   * failed; returns null when it began, or a note when no worker took it up within the timeout.
   *
   * @throws BmadflowException with the workflow's reason when it failed at start (an agent no
   *     worker serves, an invalid definition)
   */
  public String awaitStarted(String projectId, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    WorkflowStub stub = temporal.newUntypedWorkflowStub(ProjectIds.workflowId(projectId));
    while (System.nanoTime() < deadline) {
      var status = describe(projectId).getWorkflowExecutionInfo().getStatus();
      if (status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
        return null;
      }
      if (status != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        try {
          stub.getResult(ProjectResult.class);
        } catch (io.temporal.client.WorkflowFailedException e) {
          Throwable cause = e.getCause();
          throw new BmadflowException(cause instanceof io.temporal.failure.ApplicationFailure af
              ? af.getOriginalMessage() : "project " + projectId + " failed at start: " + cause, e);
        }
        return null;
      }
      try {
        if (!"not-started".equals(state(projectId, Duration.ofSeconds(1)).phase())) {
          return null;
        }
      } catch (BmadflowException noWorkerYet) {
        // Keep waiting.
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted while waiting for the project to begin";
      }
    }
    return "no worker has taken the project up within " + timeout.toSeconds() + " s; is `bmadflow worker` running against "
        + temporal.getOptions().getNamespace() + "?";
  }

  private ProjectSnapshot state(String projectId, Duration timeout) {
    WorkflowStub stub = temporal.newUntypedWorkflowStub(ProjectIds.workflowId(projectId));
    try {
      return CompletableFuture.supplyAsync(() -> stub.query("state", ProjectSnapshot.class))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new BmadflowException(
          "project " + projectId + ": no worker answered the state query within "
              + timeout.toSeconds() + " s; start one with `bmadflow worker`");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BmadflowException("interrupted while querying project " + projectId, e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new BmadflowException("project " + projectId + ": state query failed: " + e.getCause().getMessage(), e);
    }
  }

  /** The project's status in Temporal's words, with phase, step and progress. */
  public ProjectStatus status(String projectId) {
    String workflowId = ProjectIds.workflowId(projectId);
    DescribeWorkflowExecutionResponse described = describe(projectId);
    var info = described.getWorkflowExecutionInfo();
    String status = info.getStatus().name().replace("WORKFLOW_EXECUTION_STATUS_", "");
    ProjectSnapshot snapshot = null;
    String note = null;
    try {
      if (info.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
        snapshot = awaitResult(projectId, QUERY_TIMEOUT).finalState();
      } else {
        snapshot = state(projectId);
      }
    } catch (TimeoutException | RuntimeException e) {
      note = "phase and progress unknown: " + e.getMessage();
    }
    WorkflowTaskProblem problem = info.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
        ? WorkflowTaskProblem.of(temporal, described) : null;
    List<CheckpointRef> checkpoints = snapshot == null ? List.of() : snapshot.checkpoints();
    return new ProjectStatus(
        projectId,
        workflowId,
        info.getExecution().getRunId(),
        status,
        snapshot == null ? null : snapshot.phase(),
        snapshot == null ? null : snapshot.step(),
        snapshot == null ? 0 : snapshot.stepsCompleted(),
        snapshot == null ? 0 : snapshot.stepsPlanned(),
        snapshot == null ? 0 : snapshot.progress(),
        checkpoints.size(),
        checkpoints.isEmpty() ? null : checkpoints.get(checkpoints.size() - 1).checkpointId(),
        note,
        snapshot != null && snapshot.paused(),
        snapshot == null || snapshot.pendingGate() == null ? null
            : snapshot.pendingGate().gateId() + " (" + snapshot.pendingGate().kind() + " by " + snapshot.pendingGate().agent()
                + ", " + snapshot.pendingGate().attempts() + " attempts)",
        snapshot == null ? 0 : snapshot.decisions().size(),
        snapshot == null ? 0 : snapshot.risks().size(),
        snapshot == null ? 0 : snapshot.risks().stream().mapToInt(Risk::score).max().orElse(0),
        problem == null ? null : problem.describe(projectId),
        snapshot == null ? List.of() : guidanceLines(snapshot));
  }

  /** One line per guidance step in the step log: phase, label, outcome, the first line of its detail. */
  static List<String> guidanceLines(ProjectSnapshot snapshot) {
    List<String> lines = new java.util.ArrayList<>();
    for (io.bmadflow.workflows.project.StepRecord step : snapshot.steps()) {
      if (!io.bmadflow.workflows.definition.DefinitionStep.GUIDANCE.equals(step.kindOrDefault())) {
        continue;
      }
      String detail = step.detail() == null ? "" : step.detail().strip();
      int newline = detail.indexOf('\n');
      if (newline >= 0) {
        detail = detail.substring(0, newline).strip() + " ...";
      }
      if (detail.length() > 160) {
        detail = detail.substring(0, 157) + "...";
      }
      lines.add(step.phase() + " " + step.label() + (step.storyId() == null ? "" : " (story " + step.storyId() + ")")
          + " [" + step.outcome() + "]: " + detail);
    }
    return lines;
  }

  /** Approves or waives the gate a project waits on; returns the gate id. */
  public String decideGate(String projectId, OperatorDecision decision) {
    return update(projectId, "gate " + decision.action(), "decideGate", String.class, decision);
  }

  /** Records a decision; returns its id. */
  public String addDecision(String projectId, Decision decision) {
    return update(projectId, "decision add", "addDecision", String.class, decision);
  }

  /** Records a risk; returns its id. */
  public String reportRisk(String projectId, Risk risk) {
    return update(projectId, "risk add", "reportRisk", String.class, risk);
  }

  /** Takes a manual checkpoint now and returns it once committed. */
  public CheckpointRef createCheckpoint(String projectId, ManualCheckpoint request) {
    return update(projectId, "checkpoint create", "createCheckpoint", CheckpointRef.class, request);
  }

  /** Pauses a project before its next step (a signal: it returns once Temporal has it). */
  public void pause(String projectId, String reason) {
    signal(projectId, "pause", reason);
  }

  /** Resumes a paused project (a signal). */
  public void resume(String projectId, String reason) {
    signal(projectId, "resume", reason);
  }

  private void signal(String projectId, String name, String reason) {
    try {
      temporal.newUntypedWorkflowStub(ProjectIds.workflowId(projectId)).signal(name, reason);
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      throw new BmadflowException("project " + projectId + " has no running workflow; see `bmadflow status --project " + projectId + "`", e);
    }
  }

  private <R> R update(String projectId, String what, String name, Class<R> type, Object arg) {
    WorkflowStub stub = temporal.newUntypedWorkflowStub(ProjectIds.workflowId(projectId));
    try {
      return UpdateCall.run(stub, name, type, updateTimeout, arg);
    } catch (UpdateCall.StalledException e) {
      throw new BmadflowException(stalled(projectId, what, e.stage), e);
    } catch (io.temporal.client.WorkflowUpdateException e) {
      Throwable cause = e.getCause();
      String message = cause instanceof io.temporal.failure.ApplicationFailure af ? af.getOriginalMessage() : String.valueOf(cause);
      throw new BmadflowException("project " + projectId + ": " + what + " refused: " + message, e);
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      throw new BmadflowException("project " + projectId + " has no running workflow; see `bmadflow status --project " + projectId + "`", e);
    }
  }

  /** What an update that timed out was still waiting for, and what to check. */
  private String stalled(String projectId, String what, UpdateCall.Stalled stage) {
    String waited = "project " + projectId + ": " + what + " got no answer within " + updateTimeout.toSeconds() + " s";
    if (stage == UpdateCall.Stalled.NOT_FINISHED) {
      return waited + ": the workflow accepted it and is still working on it (a checkpoint still being written, say); "
          + "it will finish without you: see `bmadflow status --project " + projectId + "` and, for a checkpoint, "
          + "`bmadflow checkpoint list --project " + projectId + "`";
    }
    WorkflowTaskProblem problem;
    try {
      problem = WorkflowTaskProblem.of(temporal, describe(projectId));
    } catch (RuntimeException e) {
      return waited + ": the workflow has not accepted it, and Temporal could not describe it either (" + e.getMessage() + ")";
    }
    return waited + ": the workflow has not accepted it; " + (problem != null ? problem.describe(projectId)
        : "is a worker running (`bmadflow worker`) against namespace " + temporal.getOptions().getNamespace()
            + "? See `bmadflow status --project " + projectId + "`. A worker that takes the update up later may still apply it");
  }

  private DescribeWorkflowExecutionResponse describe(String projectId) {
    String workflowId = ProjectIds.workflowId(projectId);
    try {
      return temporal.getWorkflowServiceStubs().blockingStub()
          .describeWorkflowExecution(
              DescribeWorkflowExecutionRequest.newBuilder()
                  .setNamespace(temporal.getOptions().getNamespace())
                  .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                  .build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        throw new BmadflowException(
            "project " + projectId + " has no workflow (" + workflowId + ") in namespace "
                + temporal.getOptions().getNamespace() + "; start it with `bmadflow start --project "
                + projectId + "`");
      }
      throw new BmadflowException("project " + projectId + ": Temporal could not describe " + workflowId + " ("
          + e.getStatus().getCode() + (e.getStatus().getDescription() != null ? ": " + e.getStatus().getDescription() : "") + ")", e);
    }
  }

  /** The project's committed checkpoints in storage, oldest first. */
  public List<CheckpointSummary> checkpoints(String projectId) {
    return store.list(ProjectIds.requireValid(projectId));
  }

  /** Verifies every file of a checkpoint. */
  public VerificationReport verify(String projectId, String checkpointId) {
    return store.verify(ProjectIds.requireValid(projectId), CheckpointIds.requireValid(checkpointId));
  }

  /** Where a checkpoint is stored. */
  public String location(String projectId, String checkpointId) {
    return store.location(projectId, checkpointId);
  }

  // ---- recovery ------------------------------------------------------------------------------

  /** A new recovery id, for {@link #recover}. */
  public static String newRecoveryId() {
    return RecoveryIds.of(System.currentTimeMillis(), java.util.UUID.randomUUID());
  }

  /**
   * Runs a recovery workflow and waits for its report (stored beside the checkpoints unless it
   * is a dry run). A worker must be running: the recovery's steps run there.
   *
   * @throws IllegalArgumentException when the request names a bad id, component or strategy
   *     (nothing is started)
   * @throws BmadflowException when the recovery could not run at all (its own failures are in
   *     the report, with outcome {@code failed})
   */
  public RecoveryReport recover(RecoveryRequest request, Duration timeout) throws TimeoutException {
    ProjectIds.requireValid(request.projectId());
    RecoveryIds.requireValid(request.recoveryId());
    if (request.checkpointId() != null) {
      CheckpointIds.requireValid(request.checkpointId());
    }
    for (String component : request.components()) {
      String problem = ComponentRestore.problem(component);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }
    RecoveryWorkflow workflow = temporal.newWorkflowStub(RecoveryWorkflow.class, WorkflowOptions.newBuilder()
        .setWorkflowId(RecoveryIds.workflowId(request.recoveryId()))
        .setTaskQueue(TaskQueues.ORCHESTRATION)
        .setMemo(Map.of("project", request.projectId(), "strategy", request.strategy().wire()))
        .build());
    try {
      WorkflowClient.start(workflow::run, request);
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw new BmadflowException("recovery " + request.recoveryId() + " already runs or ran; see `bmadflow recovery show "
          + request.recoveryId() + "`");
    }
    try {
      return WorkflowStub.fromTyped(workflow).getResultAsync(RecoveryReport.class)
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause() instanceof io.temporal.client.WorkflowFailedException f ? f.getCause() : e.getCause();
      throw new BmadflowException("recovery " + request.recoveryId() + " of project " + request.projectId() + " failed: "
          + (cause instanceof io.temporal.failure.ApplicationFailure af ? af.getOriginalMessage() : String.valueOf(cause)), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BmadflowException("interrupted while waiting for recovery " + request.recoveryId(), e);
    }
  }

  /** A stored recovery report; the project is looked up when null. */
  public RecoveryReport recoveryReport(String projectId, String recoveryId) {
    RecoveryIds.requireValid(recoveryId);
    String project = projectId != null ? ProjectIds.requireValid(projectId) : store.projectOfRecovery(recoveryId);
    byte[] json = project == null ? null : store.readRecoveryFile(project, recoveryId, RecoveryReports.JSON);
    if (json == null) {
      throw new BmadflowException("no report of recovery " + recoveryId + (project == null ? " in any project"
          : " at " + store.recoveryLocation(project, recoveryId)) + "; a dry run stores none");
    }
    try {
      return PackageJson.read(json, RecoveryReport.class);
    } catch (java.io.IOException e) {
      throw new BmadflowException("the report of recovery " + recoveryId + " does not parse: " + e.getMessage(), e);
    }
  }

  // ---- listing -------------------------------------------------------------------------------

  /** How many projects {@link #list} returns unless told otherwise. */
  public static final int LIST_DEFAULT_LIMIT = 100;
  /** The most projects one {@link #list} call returns. */
  public static final int LIST_MAX_LIMIT = 10_000;
  /** The values bmadflow writes to {@code BmadflowStatus}, which {@link #list} filters by. */
  public static final List<String> LIST_STATUSES = List.of("running", "paused", "waiting-for-operator", "complete");
  /** The values bmadflow writes to {@code BmadflowPhase}, in a project's order, which {@link #list} filters by. */
  public static final List<String> LIST_PHASES = listPhases();
  private static final String PROJECT_WORKFLOW_TYPE = "ProjectWorkflow";
  private static final int LIST_PAGE_SIZE = 1000;
  private static final long LIST_DEADLINE_SECONDS = 30;

  private static List<String> listPhases() {
    List<String> phases = new java.util.ArrayList<>();
    phases.add("not-started");
    for (io.bmadflow.workflows.definition.Phase phase : io.bmadflow.workflows.definition.Phase.values()) {
      phases.add(phase.wire());
    }
    phases.add(ProjectSnapshot.COMPLETE);
    return List.copyOf(phases);
  }

  /**
   * Lists projects from Temporal's visibility: one row per project, its latest run, newest start
   * first, read from the search attributes bmadflow sets (no worker needs to answer).
   *
   * <p>Filters match what the latest run shows: a project whose older run matched but whose latest
   * does not is left out. Pages through the server's results; at most {@code 10 * limit + 1000}
   * runs are read, so a namespace with many resets of the same projects may list fewer than it
   * holds ({@link ProjectSummary.Listing#truncated} is then set). Visibility is eventually
   * consistent: a change a moment old may not show yet.
   *
   * @param status a {@code BmadflowStatus} value from {@link #LIST_STATUSES}, or null for any
   * @param phase a {@code BmadflowPhase} value from {@link #LIST_PHASES}, or null for any
   * @param limit how many projects at most, 1 to {@link #LIST_MAX_LIMIT}
   * @throws IllegalArgumentException for a status, phase or limit outside those values
   * @throws BmadflowException when Temporal cannot be reached, has no visibility queries, or the
   *     namespace lacks bmadflow's search attributes (the message says how to register them)
   */
  public ProjectSummary.Listing list(String status, String phase, int limit) {
    String problem = listProblem(status, phase, limit);
    if (problem != null) {
      throw new IllegalArgumentException(problem);
    }
    String namespace = temporal.getOptions().getNamespace();
    requireSearchAttributes(namespace);
    String query = listQuery(status, phase);
    boolean filtered = status != null || phase != null;
    long maxRuns = 10L * limit + LIST_PAGE_SIZE;
    long scanned = 0;
    java.util.Set<String> seen = new java.util.HashSet<>();
    List<ProjectSummary> accepted = new java.util.ArrayList<>();
    boolean truncated = false;
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    pages:
    do {
      io.temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse page;
      try {
        page = temporal.getWorkflowServiceStubs().blockingStub()
            .withDeadlineAfter(LIST_DEADLINE_SECONDS, TimeUnit.SECONDS)
            .listWorkflowExecutions(io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest.newBuilder()
                .setNamespace(namespace)
                .setQuery(query)
                .setPageSize((int) Math.min(LIST_PAGE_SIZE, limit + 1L))
                .setNextPageToken(token)
                .build());
      } catch (StatusRuntimeException e) {
        throw listFailure(namespace, query, e);
      }
      for (var info : page.getExecutionsList()) {
        if (++scanned > maxRuns) {
          truncated = true;
          break pages;
        }
        String workflowId = info.getExecution().getWorkflowId();
        // The server lists open runs first, then by close time, newest first: a project's first
        // row is its latest run. A filtered row is checked against the latest run all the same.
        if (!seen.add(workflowId)) {
          continue;
        }
        if (filtered && !isLatestRun(namespace, query, info.getExecution())) {
          continue;
        }
        if (accepted.size() == limit) {
          truncated = true;
          break pages;
        }
        accepted.add(summary(info));
      }
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    accepted.sort(java.util.Comparator.comparing((ProjectSummary p) -> java.time.Instant.parse(p.startTime())).reversed());
    return new ProjectSummary.Listing(accepted, truncated);
  }

  /**
   * What is wrong with {@link #list}'s arguments, naming the accepted values, or null when they
   * are fine.
   */
  public static String listProblem(String status, String phase, int limit) {
    if (status != null && !LIST_STATUSES.contains(status)) {
      return "status '" + status + "' is not one bmadflow writes; use one of " + String.join(", ", LIST_STATUSES);
    }
    if (phase != null && !LIST_PHASES.contains(phase)) {
      return "phase '" + phase + "' is not a phase name; use one of " + String.join(", ", LIST_PHASES);
    }
    if (limit < 1 || limit > LIST_MAX_LIMIT) {
      return "limit " + limit + " is out of range; use 1 to " + LIST_MAX_LIMIT;
    }
    return null;
  }

  /**
   * The visibility query {@link #list} sends: project workflows, without the runs that continued
   * as new (never a project's latest), filtered by the given values, each quoted and escaped.
   */
  static String listQuery(String status, String phase) {
    StringBuilder query = new StringBuilder("WorkflowType = ").append(quoted(PROJECT_WORKFLOW_TYPE))
        .append(" AND ExecutionStatus != ").append(quoted("ContinuedAsNew"));
    if (status != null) {
      query.append(" AND ").append(io.bmadflow.workflows.SearchAttributes.STATUS.getName()).append(" = ").append(quoted(status));
    }
    if (phase != null) {
      query.append(" AND ").append(io.bmadflow.workflows.SearchAttributes.PHASE.getName()).append(" = ").append(quoted(phase));
    }
    return query.toString();
  }

  /** A string literal of Temporal's visibility query language: double quotes, backslash escapes. */
  static String quoted(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\');
      }
      if (c < 0x20) {
        throw new IllegalArgumentException("a visibility query value may not hold control characters; remove them");
      }
      out.append(c);
    }
    return out.append('"').toString();
  }

  /** Whether the run is the workflow's latest (a reset or a restart made none newer). */
  private boolean isLatestRun(String namespace, String query, WorkflowExecution execution) {
    try {
      String latest = temporal.getWorkflowServiceStubs().blockingStub()
          .withDeadlineAfter(LIST_DEADLINE_SECONDS, TimeUnit.SECONDS)
          .describeWorkflowExecution(DescribeWorkflowExecutionRequest.newBuilder()
              .setNamespace(namespace)
              .setExecution(WorkflowExecution.newBuilder().setWorkflowId(execution.getWorkflowId()))
              .build())
          .getWorkflowExecutionInfo().getExecution().getRunId();
      return latest.equals(execution.getRunId());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return false;
      }
      throw listFailure(namespace, query, e);
    }
  }

  private static ProjectSummary summary(io.temporal.api.workflow.v1.WorkflowExecutionInfo info) {
    var fields = info.getSearchAttributes().getIndexedFieldsMap();
    String projectId = keyword(fields, io.bmadflow.workflows.SearchAttributes.PROJECT.getName());
    var start = info.getStartTime();
    return new ProjectSummary(
        projectId != null ? projectId : info.getExecution().getWorkflowId(),
        info.getExecution().getWorkflowId(),
        info.getExecution().getRunId(),
        workflowStatusName(info.getStatus()),
        keyword(fields, io.bmadflow.workflows.SearchAttributes.STATUS.getName()),
        keyword(fields, io.bmadflow.workflows.SearchAttributes.PHASE.getName()),
        keyword(fields, io.bmadflow.workflows.SearchAttributes.STEP.getName()),
        keyword(fields, io.bmadflow.workflows.SearchAttributes.LAST_CHECKPOINT.getName()),
        java.time.Instant.ofEpochSecond(start.getSeconds(), start.getNanos()).toString());
  }

  /** Temporal's CamelCase word for a run's status, as its CLI and Web UI show it: Running, ContinuedAsNew. */
  private static String workflowStatusName(WorkflowExecutionStatus status) {
    String[] words = status.name().replace("WORKFLOW_EXECUTION_STATUS_", "").split("_");
    StringBuilder out = new StringBuilder();
    for (String word : words) {
      out.append(word.charAt(0)).append(word.substring(1).toLowerCase(java.util.Locale.ROOT));
    }
    return out.toString();
  }

  /**
   * A string search attribute's value; null when absent or not a string. Anyone with access to
   * the namespace can set these, so callers treat the value as untrusted text.
   */
  private static String keyword(Map<String, io.temporal.api.common.v1.Payload> fields, String name) {
    var payload = fields.get(name);
    if (payload == null) {
      return null;
    }
    try {
      Object value = io.temporal.common.converter.DefaultDataConverter.STANDARD_INSTANCE
          .fromPayload(payload, Object.class, Object.class);
      if (value instanceof List<?> list && list.size() == 1) {
        value = list.get(0);
      }
      return value instanceof String s ? s : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Fails unless the namespace has bmadflow's search attributes with their types, naming the
   * missing ones and the commands that register them. A server that does not let this client
   * list them (Temporal Cloud's operator API) is not checked: its query errors say the same.
   */
  private void requireSearchAttributes(String namespace) {
    Map<String, io.temporal.api.enums.v1.IndexedValueType> known;
    var operator = io.temporal.serviceclient.OperatorServiceStubs.newServiceStubs(
        io.temporal.serviceclient.OperatorServiceStubsOptions.newBuilder()
            .setChannel(temporal.getWorkflowServiceStubs().getRawChannel())
            .validateAndBuildWithDefaults());
    try {
      known = operator.blockingStub().withDeadlineAfter(LIST_DEADLINE_SECONDS, TimeUnit.SECONDS)
          .listSearchAttributes(io.temporal.api.operatorservice.v1.ListSearchAttributesRequest.newBuilder()
              .setNamespace(namespace).build())
          .getCustomAttributesMap();
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNAVAILABLE || e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
        throw listFailure(namespace, null, e);
      }
      return;
    } finally {
      operator.shutdown();
    }
    List<String> missing = new java.util.ArrayList<>();
    for (var key : io.bmadflow.workflows.SearchAttributes.ALL) {
      if (known.get(key.getName()) != key.getValueType()) {
        missing.add(key.getName() + (known.containsKey(key.getName())
            ? " (registered as " + known.get(key.getName()).name().replace("INDEXED_VALUE_TYPE_", "") + ")" : ""));
      }
    }
    if (!missing.isEmpty()) {
      throw new BmadflowException("cannot list projects: namespace " + namespace + " lacks bmadflow's search attributes "
          + String.join(", ", missing) + "; " + registerAdvice(namespace));
    }
  }

  /**
   * How to register bmadflow's search attributes in a namespace: one command per attribute (the
   * CLI's {@code create} gives every name the one {@code --type}).
   */
  static String registerAdvice(String namespace) {
    StringBuilder advice = new StringBuilder("register them with ");
    String sep = "";
    for (var key : io.bmadflow.workflows.SearchAttributes.ALL) {
      String type = switch (key.getValueType()) {
        case INDEXED_VALUE_TYPE_TEXT -> "Text";
        case INDEXED_VALUE_TYPE_KEYWORD -> "Keyword";
        default -> key.getValueType().name();
      };
      advice.append(sep).append("`temporal operator search-attribute create --namespace ").append(namespace)
          .append(" --name ").append(key.getName()).append(" --type ").append(type).append('`');
      sep = ", ";
    }
    return advice.append(" (or start `bmadflow worker`, which registers them where the server allows; on Temporal Cloud"
        + " add them in the namespace's settings); runs started before that carry none and are not listed").toString();
  }

  private BmadflowException listFailure(String namespace, String query, StatusRuntimeException e) {
    Status.Code code = e.getStatus().getCode();
    String description = e.getStatus().getDescription() != null ? ": " + e.getStatus().getDescription() : "";
    String target = temporal.getWorkflowServiceStubs().getOptions().getTarget();
    String why = switch (code) {
      case UNAVAILABLE, DEADLINE_EXCEEDED -> "Temporal at " + target + " cannot be reached (" + code + description
          + "); check TEMPORAL_ADDRESS and that the server is running, then retry";
      case UNIMPLEMENTED -> "Temporal at " + target + " has no visibility queries (" + code + description
          + "); the dev stack's Java test server has none: list against a server with visibility, such as"
          + " `temporal server start-dev` or a cluster with advanced visibility";
      case INVALID_ARGUMENT -> "Temporal at " + target + " refused the visibility query " + query + " (" + code + description
          + "); the server needs advanced visibility (SQL 8+, Elasticsearch, `temporal server start-dev`) and namespace "
          + namespace + " needs bmadflow's search attributes: " + registerAdvice(namespace);
      default -> "Temporal at " + target + " failed the visibility query in namespace " + namespace + " (" + code + description + ")";
    };
    return new BmadflowException("cannot list projects: " + why, e);
  }

  /** The checkpoint's metadata (for a reset's Temporal coordinates). */
  public io.bmadflow.infra.checkpoint.CheckpointMetadata checkpointMetadata(String projectId, String checkpointId) {
    return store.metadata(ProjectIds.requireValid(projectId), CheckpointIds.requireValid(checkpointId));
  }
}
