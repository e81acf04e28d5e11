package io.bmadflow.activities.recovery;

import io.bmadflow.activities.Heartbeats;
import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackageFile;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.checkpoint.VerificationReport;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.infra.recovery.RecoveryReports;
import io.bmadflow.infra.temporal.ProjectLauncher;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.definition.PhasePlan;
import io.bmadflow.workflows.project.ComponentRestore;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.ProjectWorkflow;
import io.bmadflow.workflows.project.ProjectWorkflowImpl;
import io.bmadflow.workflows.recovery.Assessment;
import io.bmadflow.workflows.recovery.CheckpointChoice;
import io.bmadflow.workflows.recovery.RecoveryActivities;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.recovery.RestorePlan;
import io.bmadflow.workflows.recovery.ValidationCheck;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.activity.Activity;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The recovery workflow's side effects: reads the project's workflow through Temporal and its
 * packages through the checkpoint store, writes workspace files and reports. See
 * {@link RecoveryActivities}.
 */
public final class RecoveryActivitiesImpl implements RecoveryActivities {
  private static final Logger log = LoggerFactory.getLogger(RecoveryActivitiesImpl.class);
  private static final Pattern FAILING_AGENT = Pattern.compile("agent (\\S+), step");
  /** The memo key naming the recovery that started a project's run. */
  static final String MEMO_RECOVERY = "recovery";

  private final WorkflowClient temporal;
  private final CheckpointStore store;
  private final Path workspaceRoot;
  private final String workerName;
  private final io.bmadflow.infra.metrics.BmadflowMetrics metrics;

  /**
   * @param metrics where recoveries are counted and timed, or null for nowhere
   */
  public RecoveryActivitiesImpl(WorkflowClient temporal, CheckpointStore store, Path workspaceRoot, String workerName,
      io.bmadflow.infra.metrics.BmadflowMetrics metrics) {
    this.temporal = temporal;
    this.store = store;
    this.workspaceRoot = workspaceRoot;
    this.workerName = workerName;
    this.metrics = metrics;
  }

  // ---- assessment ----------------------------------------------------------------------------

  @Override
  public Assessment assess(String projectId, int reachabilityWaitSeconds) {
    ProjectIds.requireValid(projectId);
    List<String> notes = new ArrayList<>();
    long t0 = System.nanoTime();
    int attempts = 0;
    long backoff = 250;
    while (true) {
      attempts++;
      try {
        store.checkAccess();
        break;
      } catch (CheckpointStoreException e) {
        long waited = (System.nanoTime() - t0) / 1_000_000;
        if (waited >= reachabilityWaitSeconds * 1000L) {
          throw ApplicationFailure.newNonRetryableFailure("checkpoint storage stayed unreachable for " + waited
              + " ms (" + attempts + " attempts): " + e.getMessage(), Failures.INVALID_INPUT);
        }
        if (attempts == 1) {
          log.warn("recovery of {}: checkpoint storage unreachable, waiting up to {} s: {}", projectId,
              reachabilityWaitSeconds, e.getMessage());
        }
        Activity.getExecutionContext().heartbeat(attempts);
        sleep(backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
    long outage = attempts > 1 ? (System.nanoTime() - t0) / 1_000_000 : 0;
    List<CheckpointSummary> checkpoints = store.list(projectId);

    String workflowId = ProjectIds.workflowId(projectId);
    DescribeWorkflowExecutionResponse described;
    try {
      described = describe(workflowId);
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
      notes.add("Temporal has no workflow " + workflowId + " in namespace " + temporal.getOptions().getNamespace());
      return new Assessment(Assessment.NOT_FOUND, null, null, null, -1, false, null, List.of(), checkpoints.size(),
          newest(checkpoints), outage, attempts, notes);
    }
    var info = described.getWorkflowExecutionInfo();
    String status = info.getStatus().name().replace("WORKFLOW_EXECUTION_STATUS_", "");
    String runId = info.getExecution().getRunId();
    String failure = null;
    if ("FAILED".equals(status) || "TERMINATED".equals(status) || "TIMED_OUT".equals(status)) {
      failure = closingFailure(workflowId, runId);
    }
    List<Assessment.FailingActivity> failing = new ArrayList<>(failing(described));
    // Agent steps run in the phase workflows, the project's children: look at theirs too.
    for (var child : described.getPendingChildrenList()) {
      try {
        failing.addAll(failing(describe(child.getWorkflowId())));
      } catch (StatusRuntimeException e) {
        notes.add("phase workflow " + child.getWorkflowId() + " could not be described: " + e.getStatus().getCode());
      }
    }
    ProjectSnapshot state = null;
    if (!"TERMINATED".equals(status) && !"TIMED_OUT".equals(status)) {
      try {
        state = project(projectId).state();
      } catch (RuntimeException e) {
        notes.add("the workflow did not answer a state query: " + Failures.rootMessage(e));
      }
    }
    return new Assessment(status, runId, failure, state == null ? null : state.phase(),
        state == null ? -1 : state.stepsCompleted(), state != null && state.paused(),
        state == null ? null : state.workspace(), failing, checkpoints.size(), newest(checkpoints), outage, attempts, notes);
  }

  /** A workflow's pending activities that have failed at least once, with the agent their failure names. */
  private static List<Assessment.FailingActivity> failing(DescribeWorkflowExecutionResponse described) {
    List<Assessment.FailingActivity> out = new ArrayList<>();
    for (PendingActivityInfo pending : described.getPendingActivitiesList()) {
      if (pending.getAttempt() > 1 || pending.hasLastFailure()) {
        String message = pending.hasLastFailure() ? pending.getLastFailure().getMessage() : null;
        Matcher m = message == null ? null : FAILING_AGENT.matcher(message);
        out.add(new Assessment.FailingActivity(pending.getActivityType().getName(), pending.getAttempt(),
            m != null && m.find() ? m.group(1) : null, message));
      }
    }
    return out;
  }

  // ---- selection -----------------------------------------------------------------------------

  @Override
  public CheckpointChoice chooseCheckpoint(String projectId, String checkpointId, Long atMillis, List<String> files) {
    // Verifying and hashing can take longer than the heartbeat timeout: heartbeat from the side.
    return Heartbeats.during(() -> choose(projectId, checkpointId, atMillis, files));
  }

  private CheckpointChoice choose(String projectId, String checkpointId, Long atMillis, List<String> files) {
    ProjectIds.requireValid(projectId);
    List<String> candidates = new ArrayList<>();
    String why;
    if (checkpointId != null) {
      candidates.add(checkpointId);
      why = "named by the operator";
    } else {
      List<CheckpointSummary> all = new ArrayList<>(store.list(projectId));
      java.util.Collections.reverse(all);
      for (CheckpointSummary s : all) {
        if (atMillis == null || !Instant.parse(s.creationTimestamp()).isAfter(Instant.ofEpochMilli(atMillis))) {
          candidates.add(s.checkpointId());
        }
      }
      why = atMillis == null ? "the newest checkpoint that verifies"
          : "the newest checkpoint taken at or before " + Instant.ofEpochMilli(atMillis) + " that verifies";
      if (candidates.isEmpty()) {
        throw ApplicationFailure.newNonRetryableFailure("project " + projectId + " has no checkpoint"
            + (atMillis == null ? "" : " taken at or before " + Instant.ofEpochMilli(atMillis))
            + "; see `bmadflow checkpoint list --project " + projectId + "`", Failures.INVALID_INPUT);
      }
    }
    List<CheckpointChoice.Skipped> skipped = new ArrayList<>();
    for (String id : candidates) {
      String problem;
      ProjectSnapshot state = null;
      CheckpointMetadata metadata = null;
      try {
        VerificationReport report = store.verify(projectId, id);
        if (report.ok()) {
          metadata = store.metadata(projectId, id);
          state = snapshot(projectId, id);
          problem = projectId.equals(state.projectId()) ? incomplete(projectId, id, metadata, files)
              : "its state belongs to project " + state.projectId() + ", not " + projectId;
        } else {
          VerificationReport.FileCheck first = report.failures().get(0);
          problem = "does not verify: " + first.path() + ": " + first.problem()
              + (report.failures().size() > 1 ? " (and " + (report.failures().size() - 1) + " more)" : "");
        }
      } catch (CheckpointStoreException.NotFound e) {
        problem = "does not exist: " + e.getMessage();
      } catch (CheckpointStoreException.Corrupt | UncheckedIOException | IllegalArgumentException e) {
        problem = "cannot be read: " + e.getMessage();
      }
      if (problem == null) {
        if (!skipped.isEmpty()) {
          why += "; " + skipped.size() + " newer one(s) skipped";
        }
        log.info("recovery of {}: checkpoint {} chosen ({})", projectId, id, why);
        return new CheckpointChoice(id, Instant.parse(metadata.checkpointMetadata().creationTimestamp()).toEpochMilli(),
            metadata.checkpointMetadata().triggerReason(), state.phase(), state.step(), state.stepsCompleted(), why,
            skipped, List.copyOf(new TreeSet<>(state.agents().keySet())), state.workspace(), state.pausedByOperator());
      }
      log.warn("recovery of {}: checkpoint {} skipped: {}", projectId, id, problem);
      skipped.add(new CheckpointChoice.Skipped(id, problem));
    }
    if (checkpointId != null) {
      throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + " " + skipped.get(0).reason()
          + "; recover without --checkpoint to use the newest checkpoint that verifies", Failures.CHECKPOINT_CORRUPT);
    }
    throw ApplicationFailure.newNonRetryableFailure("no checkpoint of project " + projectId + " verifies: "
        + String.join("; ", skipped.stream().map(s -> s.checkpointId() + " " + s.reason()).toList()),
        Failures.CHECKPOINT_CORRUPT);
  }

  /**
   * Why a verified package cannot serve this restore, or null: a whole-project restore needs its
   * validation to have passed (a file an agent changed while the package was captured is missing
   * from it, so the workspace could not be put back as the state references it); a file restore
   * needs only the named files.
   */
  private String incomplete(String projectId, String checkpointId, CheckpointMetadata metadata, List<String> files) {
    if (files == null) {
      var validation = metadata.integrityValidation();
      if (!"passed".equalsIgnoreCase(validation.validationStatus())) {
        List<String> failed = validation.validationDetails().entrySet().stream()
            .filter(e -> !"valid".equals(e.getValue())).map(Map.Entry::getKey).toList();
        return "failed its validation when it was taken (" + String.join(", ", failed)
            + "), so it cannot restore the whole project";
      }
      return null;
    }
    Map<String, String> held = workspaceFiles(projectId, checkpointId);
    List<String> missing = files.stream().filter(f -> !held.containsKey(f)).toList();
    return missing.isEmpty() ? null : "does not hold " + String.join(", ", missing);
  }

  @Override
  public RestorePlan planRestore(String projectId, String checkpointId, List<String> components, List<String> files) {
    // Verifying and hashing can take longer than the heartbeat timeout: heartbeat from the side.
    return Heartbeats.during(() -> plan(projectId, checkpointId, components, files));
  }

  private RestorePlan plan(String projectId, String checkpointId, List<String> components, List<String> files) {
    ProjectSnapshot state = snapshot(projectId, checkpointId);
    Workspace workspace = workspace(projectId, state);
    Map<String, String> inPackage = workspaceFiles(projectId, checkpointId);
    List<String> scope;
    if (files == null) {
      scope = List.copyOf(inPackage.keySet());
    } else {
      for (String file : files) {
        checkSafe(workspace, file);
        if (!inPackage.containsKey(file)) {
          throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + " has no workspace file " + file
              + "; it has " + abbreviate(List.copyOf(inPackage.keySet())), Failures.INVALID_INPUT);
        }
      }
      scope = files;
    }
    List<String> toWrite = new ArrayList<>();
    int unchanged = 0;
    for (String path : scope) {
      byte[] onDisk = workspace.readIfExists(path);
      if (onDisk != null && Sha256.hex(onDisk).equals(inPackage.get(path))) {
        unchanged++;
      } else {
        toWrite.add(path);
      }
    }
    List<String> newer = new ArrayList<>();
    if (files == null && Files.isDirectory(workspace.root())) {
      try (Stream<Path> walk = Files.walk(workspace.root())) {
        walk.filter(Files::isRegularFile)
            .map(p -> workspace.root().relativize(p).toString().replace('\\', '/'))
            .filter(p -> !p.startsWith(".bmadflow/") && !inPackage.containsKey(p))
            .sorted()
            .forEach(newer::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list the workspace " + workspace.root() + ": " + e.getMessage(), e);
      }
    }
    return new RestorePlan(components, toWrite, unchanged, newer, List.of());
  }

  // ---- backup and restore --------------------------------------------------------------------

  @Override
  public String backup(String recoveryId, String projectId, String checkpointId, List<String> files) {
    ProjectSnapshot state = snapshot(projectId, checkpointId);
    Workspace workspace = workspace(projectId, state);
    Map<String, String> saved = new TreeMap<>();
    return Heartbeats.during(() -> {
      String current = null;
      try {
        ProjectSnapshot now = project(projectId).state();
        store.putRecoveryFile(projectId, recoveryId, RecoveryReports.BACKUP + PackagePaths.WORKFLOW_STATE,
            PackageJson.write(now), true);
        current = "the workflow's state (" + now.stepsCompleted() + " steps)";
      } catch (RuntimeException e) {
        // No workflow to ask (a lost cluster) or it does not answer: back up the files only.
        log.info("recovery {}: no workflow state to back up: {}", recoveryId, Failures.rootMessage(e));
      }
      for (String path : files) {
        byte[] bytes = workspace.readIfExists(path);
        if (bytes != null) {
          store.putRecoveryFile(projectId, recoveryId, RecoveryReports.BACKUP + PackagePaths.WORKSPACE + path, bytes, true);
          saved.put(path, Sha256.hex(bytes));
        }
      }
      if (current == null && saved.isEmpty()) {
        return "nothing to back up: no workflow state answers and no workspace file would be overwritten";
      }
      store.putRecoveryFile(projectId, recoveryId, RecoveryReports.BACKUP + "backup-manifest.json",
          PackageJson.write(Map.of("files", saved, "workflow_state", current != null)), false);
      return store.recoveryLocation(projectId, recoveryId) + RecoveryReports.BACKUP + ": " + saved.size()
          + " workspace file(s)" + (current == null ? "" : " and " + current);
    });
  }

  @Override
  public List<String> restoreFiles(String projectId, String checkpointId, List<String> files) {
    ProjectSnapshot state = snapshot(projectId, checkpointId);
    Workspace workspace = workspace(projectId, state);
    files.forEach(f -> checkSafe(workspace, f));
    return Heartbeats.during(() -> {
      List<String> written = new ArrayList<>();
      for (String path : files) {
        // copyFile checks size and hash only at the end: a corrupt object throws, and replace()
        // then discards the temp file, leaving the workspace file as it was.
        workspace.replace(path, out -> store.copyFile(projectId, checkpointId, PackagePaths.WORKSPACE + path, out));
        written.add(path);
      }
      log.info("project {}: {} workspace file(s) restored from {}", projectId, written.size(), checkpointId);
      return written;
    });
  }

  @Override
  public String restart(String recoveryId, String projectId, String checkpointId, boolean paused) {
    ProjectSnapshot state = snapshot(projectId, checkpointId);
    ProjectRequest origin = origin(projectId, checkpointId, state);
    List<String> phases = PhasePlan.of(origin.definition()).stream().map(p -> p.phase().wire()).toList();
    int nextPhase = ProjectWorkflowImpl.COMPLETE.equals(state.phase()) ? phases.size() : Math.max(0, phases.indexOf(state.phase()));
    ProjectRequest request = new ProjectRequest(projectId, origin.definition(), origin.workspace(), origin.maxHistoryEvents(),
        paused ? state.withPaused(true, ProjectSnapshot.RECOVERY_PAUSE + recoveryId + ": held until validated") : state, nextPhase, origin.agentAttempts(), origin.policy());
    String workflowId = ProjectIds.workflowId(projectId);
    try {
      DescribeWorkflowExecutionResponse described = describe(workflowId);
      var info = described.getWorkflowExecutionInfo();
      String startedBy = memo(info.getMemo().getFieldsMap().get(MEMO_RECOVERY));
      if (recoveryId.equals(startedBy)) {
        return info.getExecution().getRunId(); // This recovery's earlier attempt started it.
      }
      if (info.getStatus() == io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        temporal.newUntypedWorkflowStub(workflowId).terminate("recovery " + recoveryId + ": restarting from checkpoint "
            + checkpointId);
        log.warn("project {}: run {} terminated by recovery {}", projectId, info.getExecution().getRunId(), recoveryId);
      }
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
        throw e;
      }
    }
    try {
      String runId = ProjectLauncher.start(temporal, request, Map.of(MEMO_RECOVERY, recoveryId, "restored_from", checkpointId));
      log.info("project {}: restarted from {} at phase {} ({} steps done) as run {}", projectId, checkpointId,
          state.phase(), state.stepsCompleted(), runId);
      return runId;
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw ApplicationFailure.newFailure("project " + projectId + " was started again while recovery " + recoveryId
          + " restarted it (run " + e.getExecution().getRunId() + ")", Failures.INVALID_INPUT);
    }
  }

  @Override
  public String restoreComponents(String recoveryId, String projectId, String checkpointId, List<String> components) {
    ProjectSnapshot s = snapshot(projectId, checkpointId);
    ComponentRestore restore = new ComponentRestore(recoveryId, checkpointId, components, s.agents(), s.artifacts(),
        s.flags(), s.stories(), s.steps(), s.communicationLog());
    try {
      return project(projectId).restoreComponents(restore);
    } catch (WorkflowUpdateException e) {
      throw ApplicationFailure.newNonRetryableFailure("project " + projectId + " refused the restore: " + Failures.rootMessage(e),
          Failures.INVALID_INPUT);
    }
  }

  @Override
  public String replaceAgent(String projectId, String agent) {
    try {
      return project(projectId).replaceAgent(agent);
    } catch (WorkflowUpdateException e) {
      throw ApplicationFailure.newNonRetryableFailure("project " + projectId + " refused to replace agent " + agent + ": "
          + Failures.rootMessage(e), Failures.INVALID_INPUT);
    }
  }

  // ---- validation ----------------------------------------------------------------------------

  @Override
  public ValidationCheck check(String name, String projectId, String checkpointId) {
    long t0 = System.nanoTime();
    ValidationCheck check = Heartbeats.during(() -> {
      try {
        return runCheck(name, projectId, checkpointId);
      } catch (RuntimeException e) {
        return new ValidationCheck(name, false, 0, Failures.rootMessage(e));
      }
    });
    return check.withDuration((System.nanoTime() - t0) / 1_000_000);
  }

  private ValidationCheck runCheck(String name, String projectId, String checkpointId) {
    ProjectSnapshot expected = snapshot(projectId, checkpointId);
    if (name.startsWith(ComponentRestore.FILE_PREFIX)) {
      String path = name.substring(ComponentRestore.FILE_PREFIX.length());
      String want = workspaceFiles(projectId, checkpointId).get(path);
      byte[] onDisk = workspace(projectId, expected).readIfExists(path);
      boolean ok = want != null && onDisk != null && Sha256.hex(onDisk).equals(want);
      return new ValidationCheck(name, ok, 0, ok ? path + " matches the checkpoint's SHA-256"
          : onDisk == null ? path + " is missing from the workspace" : path + " differs from the checkpoint");
    }
    if (ValidationCheck.CONTEXT.equals(name)) {
      return contextCheck(projectId, checkpointId, expected);
    }
    ProjectSnapshot current = project(projectId).state();
    List<String> problems = new ArrayList<>();
    if (ValidationCheck.WORKFLOW_STATE.equals(name)) {
      if (!projectId.equals(current.projectId())) {
        problems.add("the workflow answers for project " + current.projectId());
      }
      if (!java.util.Objects.equals(expected.definitionId(), current.definitionId())) {
        problems.add("definition " + current.definitionId() + ", the checkpoint has " + expected.definitionId());
      }
      Set<String> keys = new TreeSet<>();
      current.steps().forEach(r -> keys.add(r.phase() + "/" + r.key()));
      List<String> missing = expected.steps().stream().map(r -> r.phase() + "/" + r.key()).filter(k -> !keys.contains(k)).toList();
      if (!missing.isEmpty()) {
        problems.add("step records missing: " + abbreviate(missing));
      }
      if (current.stepsCompleted() < expected.stepsCompleted()) {
        problems.add(current.stepsCompleted() + " steps completed, fewer than the checkpoint's " + expected.stepsCompleted());
      }
      return verdict(name, problems, "project state holds the checkpoint's " + expected.stepsCompleted()
          + " step records (now " + current.stepsCompleted() + "), phase " + current.phase());
    }
    List<String> agents = ValidationCheck.AGENT_STATES.equals(name) ? List.copyOf(expected.agents().keySet())
        : name.startsWith(ComponentRestore.AGENT_PREFIX) ? List.of(name.substring(ComponentRestore.AGENT_PREFIX.length())) : null;
    if (agents == null) {
      throw ApplicationFailure.newNonRetryableFailure("unknown validation check '" + name + "'", Failures.INVALID_INPUT);
    }
    for (String agent : agents) {
      AgentState want = expected.agents().get(agent);
      AgentState have = current.agents().get(agent);
      if (want == null) {
        problems.add("the checkpoint has no state for agent " + agent);
      } else if (have == null) {
        problems.add("agent " + agent + " has no state in the workflow");
      } else if (have.tasksCompleted() < want.tasksCompleted() || !have.artifacts().containsAll(want.artifacts())
          || !have.decisions().containsAll(want.decisions())) {
        problems.add("agent " + agent + " is behind the checkpoint (" + have.tasksCompleted() + " tasks, the checkpoint has "
            + want.tasksCompleted() + ")");
      }
    }
    return verdict(name, problems, agents.size() + " agent state(s) match or are ahead of the checkpoint: " + abbreviate(agents));
  }

  /** Every artifact the checkpoint references, re-read from disk and hashed. */
  private ValidationCheck contextCheck(String projectId, String checkpointId, ProjectSnapshot expected) {
    Workspace workspace = workspace(projectId, expected);
    List<String> problems = new ArrayList<>();
    int checked = 0;
    for (ArtifactRef ref : new TreeMap<>(expected.artifacts()).values()) {
      byte[] onDisk = workspace.readIfExists(ref.path());
      checked++;
      if (onDisk == null) {
        problems.add(ref.path() + " is missing");
      } else if (!Sha256.hex(onDisk).equals(ref.sha256())) {
        problems.add(ref.path() + " differs from its reference");
      }
    }
    return verdict(ValidationCheck.CONTEXT, problems, checked + " workspace file(s) match the checkpoint's hashes");
  }

  private static ValidationCheck verdict(String name, List<String> problems, String ok) {
    return new ValidationCheck(name, problems.isEmpty(), 0, problems.isEmpty() ? ok : String.join("; ", problems));
  }

  // ---- resumption and reporting --------------------------------------------------------------

  @Override
  public void setPaused(String projectId, boolean paused, String reason) {
    ProjectWorkflow project = project(projectId);
    try {
      if (paused) {
        project.pause(reason);
      } else {
        project.resume(reason);
      }
    } catch (io.temporal.client.WorkflowNotFoundException finished) {
      // A project restored at its end completes at once: there is nothing to pause or resume.
      log.info("project {} has no running workflow to {} ({})", projectId, paused ? "pause" : "resume", finished.getMessage());
    }
  }

  @Override
  public long awaitProgress(String projectId, int stepsCompleted, int timeoutSeconds) {
    long t0 = System.nanoTime();
    long deadline = t0 + timeoutSeconds * 1_000_000_000L;
    ProjectWorkflow project = project(projectId);
    while (System.nanoTime() < deadline) {
      ProjectSnapshot state = project.state();
      if (state.stepsCompleted() > stepsCompleted || ProjectWorkflowImpl.COMPLETE.equals(state.phase())) {
        return (System.nanoTime() - t0) / 1_000_000;
      }
      Activity.getExecutionContext().heartbeat(state.stepsCompleted());
      sleep(50);
    }
    return -1;
  }

  @Override
  public String ping() {
    return workerName;
  }

  @Override
  public String writeReport(RecoveryReport report) {
    store.putRecoveryFile(report.projectId(), report.recoveryId(), RecoveryReports.JSON, PackageJson.write(report), false);
    store.putRecoveryFile(report.projectId(), report.recoveryId(), RecoveryReports.MARKDOWN,
        RecoveryReports.markdown(report).getBytes(java.nio.charset.StandardCharsets.UTF_8), false);
    if (metrics != null) {
      metrics.recordRecovery(report.strategy() == null ? "none" : report.strategy(), report.outcome(),
          (report.finishedAtMillis() - report.startedAtMillis()) / 1000.0);
    }
    return store.recoveryLocation(report.projectId(), report.recoveryId());
  }

  // ---- helpers -------------------------------------------------------------------------------

  private ProjectWorkflow project(String projectId) {
    return temporal.newWorkflowStub(ProjectWorkflow.class, ProjectIds.workflowId(projectId));
  }

  private DescribeWorkflowExecutionResponse describe(String workflowId) {
    return temporal.getWorkflowServiceStubs().blockingStub().describeWorkflowExecution(
        DescribeWorkflowExecutionRequest.newBuilder()
            .setNamespace(temporal.getOptions().getNamespace())
            .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
            .build());
  }

  /** Why a closed run ended, from its last history event. */
  private String closingFailure(String workflowId, String runId) {
    try {
      HistoryEvent last = temporal.fetchHistory(workflowId, runId).getLastEvent();
      if (last.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED) {
        return last.getWorkflowExecutionFailedEventAttributes().getFailure().getMessage();
      }
      if (last.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED) {
        return "terminated: " + last.getWorkflowExecutionTerminatedEventAttributes().getReason();
      }
      return last.getEventType().name();
    } catch (RuntimeException e) {
      return "unknown (" + Failures.rootMessage(e) + ")";
    }
  }

  /** The checkpoint's workflow state, parsed strictly. */
  private ProjectSnapshot snapshot(String projectId, String checkpointId) {
    String key = projectId + "/" + checkpointId;
    synchronized (snapshots) {
      ProjectSnapshot cached = snapshots.get(key);
      if (cached != null) {
        return cached;
      }
    }
    ProjectSnapshot read;
    try {
      read = PackageJson.read(store.readFile(projectId, checkpointId, PackagePaths.WORKFLOW_STATE), ProjectSnapshot.class);
    } catch (IOException e) {
      throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + ": " + PackagePaths.WORKFLOW_STATE
          + " does not parse: " + e.getMessage(), Failures.CHECKPOINT_CORRUPT);
    }
    synchronized (snapshots) {
      snapshots.put(key, read);
    }
    return read;
  }

  /**
   * Checkpoint states already read and verified, by {@code project/checkpoint}: a recovery's
   * steps (plan, backup, restore, restart, each check) all need the same one, and a committed
   * package never changes. The few most recent are kept.
   */
  private final Map<String, ProjectSnapshot> snapshots = new java.util.LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ProjectSnapshot> eldest) {
      return size() > 8;
    }
  };

  /** What restarts the project: the package's recorded request, or (older packages) the bundled definition by id. */
  private ProjectRequest origin(String projectId, String checkpointId, ProjectSnapshot state) {
    boolean recorded = store.metadata(projectId, checkpointId).integrityValidation().files().stream()
        .anyMatch(f -> f.path().equals(PackagePaths.PROJECT_REQUEST));
    if (recorded) {
      try {
        return PackageJson.read(store.readFile(projectId, checkpointId, PackagePaths.PROJECT_REQUEST), ProjectRequest.class);
      } catch (IOException e) {
        throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + ": " + PackagePaths.PROJECT_REQUEST
            + " does not parse: " + e.getMessage(), Failures.CHECKPOINT_CORRUPT);
      }
    }
    if (!DefinitionLoader.BUNDLED.contains(state.definitionId())) {
      throw ApplicationFailure.newNonRetryableFailure("checkpoint " + checkpointId + " predates recorded project requests and"
          + " its definition " + state.definitionId() + " is not bundled; restart the project from a newer checkpoint",
          Failures.INVALID_INPUT);
    }
    return new ProjectRequest(projectId, DefinitionLoader.load(state.definitionId()).definition(), state.workspace());
  }

  /** The package's workspace files: path (without {@code workspace/}) to logical SHA-256 hex. */
  private Map<String, String> workspaceFiles(String projectId, String checkpointId) {
    Map<String, String> files = new LinkedHashMap<>();
    for (PackageFile f : store.metadata(projectId, checkpointId).integrityValidation().files()) {
      if (f.path().startsWith(PackagePaths.WORKSPACE)) {
        String sha = f.sha256().startsWith("sha256:") ? f.sha256().substring(7) : f.sha256();
        files.put(f.path().substring(PackagePaths.WORKSPACE.length()), sha);
      }
    }
    return files;
  }

  private Workspace workspace(String projectId, ProjectSnapshot state) {
    try {
      return Workspace.of(workspaceRoot, projectId, state.workspace());
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
  }

  private static void checkSafe(Workspace workspace, String path) {
    try {
      workspace.resolve(path);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(e.getMessage(), Failures.INVALID_INPUT);
    }
  }

  private static String memo(Payload payload) {
    if (payload == null) {
      return null;
    }
    try {
      return DefaultDataConverter.STANDARD_INSTANCE.fromPayload(payload, String.class, String.class);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String newest(List<CheckpointSummary> checkpoints) {
    return checkpoints.isEmpty() ? null : checkpoints.get(checkpoints.size() - 1).checkpointId();
  }

  private static String abbreviate(List<String> items) {
    return items.size() <= 5 ? String.join(", ", items) : String.join(", ", items.subList(0, 5)) + " and " + (items.size() - 5) + " more";
  }


  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
