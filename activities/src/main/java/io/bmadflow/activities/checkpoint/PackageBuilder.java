package io.bmadflow.activities.checkpoint;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.PackageDigest;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.PackageSource;
import io.bmadflow.infra.checkpoint.RetentionPolicy;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.checkpoint.CheckpointRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.StepRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Builds a checkpoint package from a request: the seed's files, the validation that ran over
 * them, and the metadata. Content depends only on the request and the workspace files, never on
 * the clock or the worker, so a retry produces the same bytes.
 */
final class PackageBuilder {
  static final int FORMAT_VERSION = 1;

  /**
   * A captured package before storage.
   *
   * @param files the content files by path
   * @param validationDetails the outcome of each validation check ({@code valid} or a problem)
   * @param snapshot where copies of large workspace files wait to be stored, or null when none
   *     was needed; {@link #close} deletes it, once the package is stored
   */
  record Captured(List<PackageSource> files, Map<String, String> validationDetails, Path snapshot)
      implements AutoCloseable {
    @Override
    public void close() {
      Workspace.deleteQuietly(snapshot);
    }
  }

  /** One validation check, as {@code validation-report.json} lists it. */
  record Check(String name, String status, List<String> problems) {}

  /** {@code validation-report.json}. */
  record ValidationReport(String checkpointId, String status, List<Check> checks) {}

  /** {@code progress-snapshot.json}. */
  record ProgressSnapshot(
      String phase, String step, int stepsCompleted, int stepsPlanned, double progress,
      List<String> phases, List<StepRecord> steps, List<String> stories) {}

  /** {@code resource-snapshot.json}. */
  record ResourceSnapshot(
      String workspace, String definitionId, List<String> bmadAgents, List<String> customAgents,
      int artifacts, long artifactBytes) {}

  private PackageBuilder() {}

  static Captured capture(CheckpointRequest request, Workspace workspace) {
    ProjectSnapshot state = request.snapshot();
    // Maps arrive in whatever order the payload had: sort them, so equal states give equal bytes.
    Map<String, AgentState> agents = new TreeMap<>(state.agents());
    Map<String, ArtifactRef> artifacts = new TreeMap<>(state.artifacts());
    SortedMap<String, byte[]> files = new TreeMap<>();
    files.put(PackagePaths.WORKFLOW_STATE, PackageJson.write(state));
    if (request.origin() != null) {
      files.put(PackagePaths.PROJECT_REQUEST, PackageJson.write(request.origin()));
    }
    List<String> bmad = new ArrayList<>();
    List<String> custom = new ArrayList<>();
    // Each agent's state is captured on its own, in parallel.
    Map<String, byte[]> agentFiles = agents.values().parallelStream().collect(java.util.stream.Collectors.toMap(
        agent -> ("custom".equals(agent.kind()) ? PackagePaths.CUSTOM_AGENTS : PackagePaths.BMAD_AGENTS) + agent.agent() + ".json",
        PackageJson::write));
    files.putAll(agentFiles);
    for (AgentState agent : agents.values()) {
      ("custom".equals(agent.kind()) ? custom : bmad).add(agent.agent());
    }
    files.put(PackagePaths.PROGRESS, PackageJson.write(new ProgressSnapshot(
        state.phase(), state.step(), state.stepsCompleted(), state.stepsPlanned(), state.progress(),
        state.phases(), state.steps(), state.stories())));
    long artifactBytes = artifacts.values().stream().mapToLong(ArtifactRef::size).sum();
    files.put(PackagePaths.RESOURCES, PackageJson.write(new ResourceSnapshot(
        state.workspace(), state.definitionId(), bmad, custom, artifacts.size(), artifactBytes)));
    files.put(PackagePaths.COMMUNICATION_LOG, PackageJson.write(state.communicationLog()));

    // Context: the documents as they are on disk now, checked against the hashes in the state.
    // Each is read once, so the package holds one consistent snapshot while agents keep writing:
    // a file up to Workspace.inMemoryLimit() into memory (as it always was), a larger one copied
    // by streaming into a snapshot under .bmadflow/ (which checkpoints leave out) and stored from
    // there. A symbolic link counts as a missing file and is never followed (see Workspace).
    List<String> contextProblems = new ArrayList<>();
    Map<String, byte[]> inMemory = new TreeMap<>();
    List<PackageSource> large = new ArrayList<>();
    Path[] snapshot = {null};
    try {
      for (ArtifactRef artifact : artifacts.values()) {
        String path = artifact.path();
        byte[] bytes = null;
        Sha256.Sum sum;
        Path copy = null;
        try {
          bytes = workspace.readIfExists(path);
          sum = bytes == null ? null : new Sha256.Sum(Sha256.hex(bytes), bytes.length);
        } catch (IllegalArgumentException tooLargeForMemory) {
          if (snapshot[0] == null) {
            snapshot[0] = workspace.snapshotDirectory();
          }
          copy = snapshot[0].resolve(large.size() + ".bin");
          sum = workspace.copyIfExists(path, copy);
        }
        if (sum == null) {
          contextProblems.add(path + " is missing from the workspace");
        } else if (!sum.hex().equals(artifact.sha256())) {
          contextProblems.add(path + " changed on disk since the agent wrote it");
        } else if (bytes != null) {
          inMemory.put(path, bytes);
        } else {
          large.add(PackageSource.of(PackagePaths.requireSafe(PackagePaths.WORKSPACE + path), copy));
        }
      }
    } catch (RuntimeException e) {
      Workspace.deleteQuietly(snapshot[0]);
      throw e;
    }
    // The workspace files themselves, as the agents wrote them, for point-in-time restores of the
    // workspace. Incremental packages upload only the ones that changed.
    inMemory.forEach((path, bytes) -> files.put(PackagePaths.requireSafe(PackagePaths.WORKSPACE + path), bytes));
    files.put(PackagePaths.CONTEXT + "project-context.md", projectContext(request, state, artifacts));
    files.put(PackagePaths.CONTEXT + "business-context.md",
        concat(inMemory, artifacts, "docs/project-brief.md", "docs/prd.md"));
    files.put(PackagePaths.CONTEXT + "technical-context.md",
        concat(inMemory, artifacts, "docs/fullstack-architecture.md", "docs/front-end-spec.md"));

    List<String> crossProblems = new ArrayList<>();
    for (AgentState agent : agents.values()) {
      for (String path : agent.artifacts()) {
        if (!state.artifacts().containsKey(path)) {
          crossProblems.add("agent " + agent.agent() + " lists " + path + ", which the project does not");
        }
      }
    }
    if (state.steps().size() != state.stepsCompleted()) {
      crossProblems.add("steps completed is " + state.stepsCompleted() + " but " + state.steps().size() + " are recorded");
    }
    List<String> agentProblems = new ArrayList<>();
    agents.forEach((name, agent) -> {
      if (!name.equals(agent.agent()) || agent.tasksCompleted() < 0) {
        agentProblems.add("agent state " + name + " is inconsistent");
      }
    });
    List<String> stateProblems = new ArrayList<>();
    if (state.projectId() == null || state.phase() == null) {
      stateProblems.add("the workflow state has no project id or phase");
    }
    List<Check> checks = List.of(
        check("workflow_state", stateProblems),
        check("agent_states", agentProblems),
        check("context_states", contextProblems),
        check("cross_references", crossProblems));
    Map<String, String> details = new LinkedHashMap<>();
    checks.forEach(c -> details.put(c.name(), c.status()));
    String status = details.values().stream().allMatch("valid"::equals) ? "passed" : "failed";
    files.put(PackagePaths.VALIDATION_REPORT,
        PackageJson.write(new ValidationReport(request.checkpointId(), status, checks)));
    List<PackageSource> sources = new ArrayList<>();
    files.forEach((path, bytes) -> sources.add(PackageSource.of(path, bytes)));
    sources.addAll(large);
    sources.sort(java.util.Comparator.comparing(PackageSource::path));
    return new Captured(List.copyOf(sources), details, snapshot[0]);
  }

  static CheckpointMetadata metadata(
      CheckpointRequest request, String requestSha256, Map<String, String> validationDetails, PackageDigest digest,
      double restoreBytesPerSecond) {
    boolean valid = validationDetails.values().stream().allMatch("valid"::equals);
    ProjectSnapshot state = request.snapshot();
    int gatesPassed = (int) state.gates().stream().filter(g -> g.verdict().proceeds()).count();
    int criticalDecisions = (int) state.decisions().stream().filter(d -> d.critical()).count();
    double sizeMb = digest.storedBytes() / (1024.0 * 1024.0);
    String retention = RetentionPolicy.classOf(request.priority().wire(), request.trigger().wire());
    Instant expires = digest.retention().expiresAt(retention, Instant.ofEpochMilli(request.createdAtMillis()));
    // Restoring reads the whole package back: its size over the restore rate the activity measured
    // reading the parent package (or, for a first checkpoint, over the rate it was written at).
    double restoreSeconds = digest.storedBytes() / Math.max(1.0, restoreBytesPerSecond);
    return new CheckpointMetadata(
        new CheckpointMetadata.Info(
            request.checkpointId(),
            Instant.ofEpochMilli(request.createdAtMillis()).toString(),
            request.type().wire(),
            request.trigger().wire(),
            request.reason(),
            request.priority().wire(),
            request.createdBy(),
            state.projectId(),
            state.phase(),
            state.definitionId(),
            FORMAT_VERSION,
            requestSha256),
        new CheckpointMetadata.StateSummary(
            round(state.progress(), 4),
            state.agents().size(),
            state.stepsCompleted(),
            Math.max(0, state.stepsPlanned() - state.stepsCompleted()),
            gatesPassed,
            criticalDecisions,
            state.artifacts().size(),
            state.stories().size()),
        new CheckpointMetadata.RecoveryMetadata(
            describeSeconds(restoreSeconds),
            complexity(sizeMb, digest.incrementalDepth(), state.agents().size()),
            List.of("temporal-reachable", "s3-reachable", "workspace-available"),
            List.of("state-integrity", "agent-readiness", "context-consistency"),
            valid),
        new CheckpointMetadata.IntegrityValidation(
            digest.checksum(),
            Instant.now().toString(),
            valid ? "passed" : "failed",
            validationDetails,
            digest.files()),
        new CheckpointMetadata.StorageMetadata(
            round(sizeMb, 6),
            round((double) digest.storedBytes() / Math.max(1, digest.logicalBytes()), 4),
            "cloud",
            retention,
            expires == null ? null : expires.toString(),
            digest.location(),
            digest.logicalBytes(),
            digest.storedBytes(),
            digest.bytesWritten(),
            digest.parentCheckpointId(),
            digest.incrementalDepth(),
            digest.references()),
        new CheckpointMetadata.TemporalReference(
            request.workflowId(), request.runId(), request.historyEventId()));
  }

  private static Check check(String name, List<String> problems) {
    return new Check(name, problems.isEmpty() ? "valid" : "invalid", List.copyOf(problems));
  }

  private static byte[] projectContext(CheckpointRequest request, ProjectSnapshot state, Map<String, ArtifactRef> artifacts) {
    StringBuilder md = new StringBuilder("# Project context: ").append(state.projectId()).append("\n\n")
        .append("- Definition: ").append(state.definitionId()).append('\n')
        .append("- Phase: ").append(state.phase()).append('\n')
        .append("- Progress: ").append(state.stepsCompleted()).append('/').append(state.stepsPlanned()).append(" steps\n")
        .append("- Checkpoint reason: ").append(request.reason()).append("\n\n## Artifacts\n\n| Path | SHA-256 | Bytes |\n|---|---|---|\n");
    artifacts.values().forEach(a ->
        md.append("| ").append(a.path()).append(" | ").append(a.sha256()).append(" | ").append(a.size()).append(" |\n"));
    return md.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The named documents one after the other, as captured; one too large to hold in memory
   * ({@link Workspace#inMemoryLimit()}) is named, not inlined.
   */
  private static byte[] concat(Map<String, byte[]> inMemory, Map<String, ArtifactRef> artifacts, String... paths) {
    StringBuilder md = new StringBuilder();
    for (String path : paths) {
      byte[] bytes = inMemory.get(path);
      ArtifactRef ref = artifacts.get(path);
      String note = bytes != null ? ""
          : ref != null && ref.size() > Workspace.inMemoryLimit() ? ": " + ref.size() + " bytes, too large to inline; see workspace/" + path
          : ": not written yet";
      md.append("<!-- ").append(path).append(note).append(" -->\n");
      if (bytes != null) {
        md.append(new String(bytes, StandardCharsets.UTF_8)).append('\n');
      }
    }
    return md.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Simple: small, shallow and few agents; complex: large or a long incremental chain. */
  static String complexity(double sizeMb, int incrementalDepth, int agents) {
    if (sizeMb < 1 && incrementalDepth <= 1 && agents <= 10) {
      return "simple";
    }
    return sizeMb < 50 && incrementalDepth <= 5 ? "moderate" : "complex";
  }

  private static String describeSeconds(double seconds) {
    if (seconds < 1) {
      return "under 1 second";
    }
    if (seconds < 60) {
      return (long) Math.ceil(seconds) + " seconds";
    }
    long minutes = (long) Math.ceil(seconds / 60);
    return minutes + "-" + (minutes * 2) + " minutes";
  }

  private static double round(double value, int places) {
    double scale = Math.pow(10, places);
    return Math.round(value * scale) / scale;
  }
}
