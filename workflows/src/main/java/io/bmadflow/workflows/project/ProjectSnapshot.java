package io.bmadflow.workflows.project;

import io.bmadflow.workflows.agents.AgentState;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.gates.GateRecord;
import java.util.List;
import java.util.Map;

/**
 * The project's state at one moment: what queries return and what a checkpoint captures.
 *
 * <p>It holds references (paths, hashes, ids), never file bodies, so it stays small enough to
 * travel through workflow history.
 *
 * @param projectId the project
 * @param definitionId the workflow definition it runs
 * @param workspace the workspace directory
 * @param phases the phases of the plan, in order
 * @param phase the current phase ({@code complete} when done)
 * @param step the label of the current or last step
 * @param stepsCompleted steps completed or skipped so far
 * @param stepsPlanned steps planned in all (grows when stories are defined)
 * @param artifacts workspace files the agents wrote, by path
 * @param agents each agent's state, by name
 * @param stories the story ids the PO defined
 * @param flags state flags agents set, read by step conditions
 * @param steps the outcome of every step so far
 * @param communicationLog the handoffs so far
 * @param checkpoints the checkpoints committed so far
 * @param decisions the decision log, append-only
 * @param risks the risk log, append-only
 * @param gates the gates decided so far
 * @param pendingGate a gate waiting for an operator decision, or null
 * @param paused whether an operator paused the project
 * @param runs how many runs (continue-as-new generations) the project has had
 * @param openGates the gate steps ({@code phase/stepId}) whose improvement loop is running: a
 *     resumed phase runs them again instead of counting them done
 * @param fallbackAgents the agents a hot recovery switched to their fallback runners
 * @param pauseReason why the project is paused (the pause's reason), or null when it is not
 * @param triggerMemory what the checkpoint trigger detector has seen, or null in a snapshot taken
 *     before it was carried (a project restored from one starts with a detector that saw nothing)
 */
public record ProjectSnapshot(
    String projectId,
    String definitionId,
    String workspace,
    List<String> phases,
    String phase,
    String step,
    int stepsCompleted,
    int stepsPlanned,
    Map<String, ArtifactRef> artifacts,
    Map<String, AgentState> agents,
    List<String> stories,
    Map<String, Boolean> flags,
    List<StepRecord> steps,
    List<Handoff> communicationLog,
    List<CheckpointRef> checkpoints,
    List<Decision> decisions,
    List<Risk> risks,
    List<GateRecord> gates,
    GateRecord pendingGate,
    boolean paused,
    int runs,
    List<String> openGates,
    List<String> fallbackAgents,
    String pauseReason,
    TriggerMemory triggerMemory) {

  public ProjectSnapshot {
    decisions = decisions == null ? List.of() : decisions;
    risks = risks == null ? List.of() : risks;
    gates = gates == null ? List.of() : gates;
    openGates = openGates == null ? List.of() : openGates;
    fallbackAgents = fallbackAgents == null ? List.of() : fallbackAgents;
  }

  /** The phase a finished project reports. */
  public static final String COMPLETE = "complete";

  /** The prefix of the pause reason a recovery holds a restarted project with until it validated it. */
  public static final String RECOVERY_PAUSE = "recovery ";

  /** The same state, paused (with the reason) or not: how a recovery starts a project it validates first. */
  public ProjectSnapshot withPaused(boolean value, String reason) {
    return new ProjectSnapshot(projectId, definitionId, workspace, phases, phase, step, stepsCompleted,
        stepsPlanned, artifacts, agents, stories, flags, steps, communicationLog, checkpoints, decisions, risks,
        gates, pendingGate, value, runs, openGates, fallbackAgents, value ? reason : null, triggerMemory);
  }

  /** The same state with these agent states: how a checkpoint's agent-states-snapshot files are restored. */
  public ProjectSnapshot withAgents(Map<String, io.bmadflow.workflows.agents.AgentState> value) {
    return new ProjectSnapshot(projectId, definitionId, workspace, phases, phase, step, stepsCompleted,
        stepsPlanned, artifacts, value, stories, flags, steps, communicationLog, checkpoints, decisions, risks,
        gates, pendingGate, paused, runs, openGates, fallbackAgents, pauseReason, triggerMemory);
  }

  /**
   * Whether an operator paused the project (not a recovery holding it while it validates): a
   * checkpoint taken during that hold must not make a later recovery leave the project paused.
   */
  public boolean pausedByOperator() {
    return paused && (pauseReason == null || !pauseReason.startsWith(RECOVERY_PAUSE));
  }

  /** Progress from 0 to 1. */
  public double progress() {
    return stepsPlanned == 0 ? 0 : Math.min(1.0, (double) stepsCompleted / stepsPlanned);
  }
}
