package io.bmadflow.infra.checkpoint;

import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One committed checkpoint, resolved once: its metadata is read and checked when the handle is
 * opened, its workflow state and recorded project request are parsed the first time they are asked
 * for, and its files are read through the metadata already held, never fetching it again.
 *
 * <p>A committed package never changes, so a handle stays valid as long as the package exists;
 * its files are still checked against their sizes and SHA-256s on every read. Thread-safe.
 */
public final class StoredCheckpoint {
  private final PackageReader reader;
  private final CheckpointMetadata metadata;
  private final byte[] metadataBytes;
  private final Map<String, String> workspaceFiles;
  private ProjectSnapshot state;
  private Optional<ProjectRequest> origin;

  StoredCheckpoint(PackageReader reader, PackageReader.MetadataRead read) {
    this.reader = reader;
    this.metadata = read.metadata();
    this.metadataBytes = read.bytes();
    Map<String, String> files = new LinkedHashMap<>();
    for (PackageFile f : metadata.integrityValidation().files()) {
      if (f.path().startsWith(PackagePaths.WORKSPACE)) {
        String sha = f.sha256().startsWith("sha256:") ? f.sha256().substring(7) : f.sha256();
        files.put(f.path().substring(PackagePaths.WORKSPACE.length()), sha);
      }
    }
    this.workspaceFiles = java.util.Collections.unmodifiableMap(files);
  }

  public String projectId() {
    return metadata.checkpointMetadata().projectId();
  }

  public String checkpointId() {
    return metadata.checkpointMetadata().checkpointId();
  }

  /** The package's metadata, as read strictly when the handle was opened. */
  public CheckpointMetadata metadata() {
    return metadata;
  }

  /**
   * The bytes of {@code checkpoint-metadata.json} the handle was opened from, exactly as stored
   * (and checked): a copy whose digest and signature still hold, with any fields of a newer minor
   * format this version does not bind.
   */
  public byte[] metadataBytes() {
    return metadataBytes.clone();
  }

  /**
   * The project's workflow state the checkpoint holds, parsed strictly.
   *
   * @throws CheckpointStoreException.Corrupt when the file fails its checks or does not parse
   */
  public synchronized ProjectSnapshot state() {
    if (state == null) {
      ProjectSnapshot parsed = parse(PackagePaths.WORKFLOW_STATE, ProjectSnapshot.class);
      Map<String, AgentState> agents = agentStates();
      state = agents.isEmpty() ? parsed : parsed.withAgents(agents);
    }
    return state;
  }

  /**
   * The agents' states as the package holds them under {@code agent-states-snapshot/bmad-agents/}
   * and {@code agent-states-snapshot/custom-agents/}, by agent name, sorted: what every recovery
   * restores the agents from. Each file must name its own agent and sit in its kind's folder.
   *
   * @throws CheckpointStoreException.Corrupt when a file fails its checks, does not parse or is
   *     misplaced
   */
  public Map<String, AgentState> agentStates() {
    Map<String, AgentState> agents = new TreeMap<>();
    for (PackageFile f : metadata.integrityValidation().files()) {
      String path = f.path();
      String folder = path.startsWith(PackagePaths.CUSTOM_AGENTS) ? PackagePaths.CUSTOM_AGENTS
          : path.startsWith(PackagePaths.BMAD_AGENTS) ? PackagePaths.BMAD_AGENTS : null;
      if (folder == null || !path.endsWith(".json")) {
        continue;
      }
      String name = path.substring(folder.length(), path.length() - ".json".length());
      AgentState agent = parse(path, AgentState.class);
      String kind = folder.equals(PackagePaths.CUSTOM_AGENTS) ? "custom" : "bmad";
      if (!name.equals(agent.agent()) || !kind.equals(agent.kind())) {
        throw new CheckpointStoreException.Corrupt("checkpoint " + checkpointId() + ": " + path + " holds the state of "
            + agent.kind() + " agent " + agent.agent() + "; the package is corrupt, use an earlier checkpoint");
      }
      agents.put(name, agent);
    }
    return agents;
  }

  /**
   * The request that started the project, as the package recorded it; empty for packages taken
   * before requests were recorded.
   *
   * @throws CheckpointStoreException.Corrupt when the file fails its checks or does not parse
   */
  public synchronized Optional<ProjectRequest> origin() {
    if (origin == null) {
      origin = holds(PackagePaths.PROJECT_REQUEST)
          ? Optional.of(parse(PackagePaths.PROJECT_REQUEST, ProjectRequest.class))
          : Optional.empty();
    }
    return origin;
  }

  /** The package's workspace files: path (without {@code workspace/}) to logical SHA-256 hex, in package order. */
  public Map<String, String> workspaceFiles() {
    return workspaceFiles;
  }

  /** Whether the package has a file at this path. */
  public boolean holds(String path) {
    return metadata.integrityValidation().files().stream().anyMatch(f -> f.path().equals(path));
  }

  /**
   * Reads one file after checking its sizes and SHA-256s; see {@link CheckpointStore#readFile}: a
   * file over the in-memory limit (64 MiB) is refused, stream it with {@link #copyFile}.
   */
  public byte[] readFile(String path) {
    return reader.readFile(metadata, path);
  }

  /** Streams one file's content to {@code sink}; see {@link CheckpointStore#copyFile} for when to trust it. */
  public void copyFile(String path, OutputStream sink) {
    reader.copyFile(metadata, path, sink);
  }

  private <T> T parse(String path, Class<T> type) {
    try {
      return PackageJson.read(readFile(path), type);
    } catch (PackageReader.TooLargeForMemory e) {
      // bmadflow writes snapshots of kilobytes: one this large was not written by it.
      throw new CheckpointStoreException.Corrupt(e.getMessage().replace("; stream it with copyFile instead", "")
          + "; the package is corrupt, use an earlier checkpoint", e);
    } catch (IOException e) {
      throw new CheckpointStoreException.Corrupt("checkpoint " + checkpointId() + ": " + path + " does not parse: "
          + e.getMessage(), e);
    }
  }
}
