package io.bmadflow.workflows.phase;

import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.agents.AgentActivities;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.definition.PhasePlan;
import io.bmadflow.workflows.project.ProjectWorkflow;
import io.bmadflow.workflows.project.StepFinished;
import io.bmadflow.workflows.project.StepRecord;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Runs a phase's steps in order; see {@link PhaseWorkflow}. */
public class PhaseWorkflowImpl implements PhaseWorkflow {

  private final AgentActivities agents =
      Workflow.newActivityStub(AgentActivities.class, ActivityProfiles.agentStep());

  private PhaseRequest request;
  private ProjectWorkflow project;
  private final Map<String, Boolean> flags = new HashMap<>();
  private final Map<String, ArtifactRef> artifacts = new TreeMap<>();
  private final List<String> stories = new ArrayList<>();
  private String lastAgent;
  private int stepRuns;

  @Override
  public PhaseResult run(PhaseRequest request) {
    this.request = request;
    this.project =
        Workflow.newExternalWorkflowStub(
            ProjectWorkflow.class, Workflow.getInfo().getParentWorkflowId().orElseThrow());
    flags.putAll(request.flags());
    artifacts.putAll(request.knownArtifacts());
    stories.addAll(request.stories());
    lastAgent = request.lastAgent();

    List<Integer> indexes = request.stepIndexes();
    int[] loop = PhasePlan.storyLoop(request.definition(), indexes);
    if (loop == null) {
      runSteps(indexes, null);
    } else {
      runSteps(indexes.subList(0, loop[0]), null);
      List<Integer> loopSteps = indexes.subList(loop[0], loop[1]);
      if (stories.isEmpty()) {
        for (int index : loopSteps) {
          skip(index, null, "no stories are defined, so the story loop has nothing to run");
        }
      } else {
        for (String story : List.copyOf(stories)) {
          runSteps(loopSteps, story);
        }
      }
      runSteps(indexes.subList(loop[1], indexes.size()), null);
    }
    return new PhaseResult(request.phase(), stepRuns);
  }

  private void runSteps(List<Integer> indexes, String storyId) {
    for (int index : indexes) {
      DefinitionStep step = request.definition().sequence().get(index);
      if (!step.isAgentStep()) {
        report(
            new StepRecord(
                index,
                request.phase(),
                step.label(),
                null,
                storyId,
                StepRecord.COMPLETED,
                "guidance step, no agent work",
                null),
            null);
      } else if (step.condition() != null && !flags.getOrDefault(step.condition(), false)) {
        skip(index, storyId, "condition '" + step.condition() + "' is false");
      } else {
        runAgent(index, step, storyId);
      }
    }
  }

  private void runAgent(int index, DefinitionStep step, String storyId) {
    String agent = resolveAgent(step.agent());
    AgentStepRequest stepRequest =
        new AgentStepRequest(
            request.projectId(),
            request.workspace(),
            request.phase(),
            index,
            agent,
            step.action(),
            step.creates(),
            step.updates(),
            step.validates(),
            step.requires(),
            storyId,
            handoffPrompt(agent),
            artifacts);
    AgentStepResult result = agents.runStep(stepRequest);
    result.artifacts().forEach(a -> artifacts.put(a.path(), a));
    flags.putAll(result.flags());
    for (String story : result.stories()) {
      if (!stories.contains(story)) {
        stories.add(story);
      }
    }
    lastAgent = agent;
    report(
        new StepRecord(
            index,
            request.phase(),
            step.label(),
            agent,
            storyId,
            StepRecord.COMPLETED,
            result.summary(),
            result.executedBy()),
        result);
  }

  private void skip(int index, String storyId, String why) {
    DefinitionStep step = request.definition().sequence().get(index);
    report(
        new StepRecord(
            index, request.phase(), step.label(), null, storyId, StepRecord.SKIPPED, why, null),
        null);
  }

  private void report(StepRecord record, AgentStepResult result) {
    project.stepFinished(new StepFinished(record, result));
    stepRuns++;
  }

  private String handoffPrompt(String agent) {
    if (lastAgent == null || lastAgent.equals(agent)) {
      return null;
    }
    String key = (lastAgent + "_to_" + agent).replace('-', '_').toLowerCase(Locale.ROOT);
    return request.definition().handoffPrompts().get(key);
  }

  /**
   * The agent that runs a step: the first of BMAD's alternatives ({@code analyst/pm}), and the
   * orchestrator for {@code various}.
   */
  static String resolveAgent(String agent) {
    String first = agent.split("/")[0].trim();
    return "various".equals(first) ? "orchestrator" : first;
  }
}
