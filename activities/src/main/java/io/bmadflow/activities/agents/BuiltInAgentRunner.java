package io.bmadflow.activities.agents;

import io.bmadflow.activities.Workspace;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.gates.GateResult;
import io.bmadflow.workflows.project.Decision;
import io.bmadflow.workflows.project.Risk;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The built-in deterministic agents: each writes real BMAD artifacts (brief, PRD, front-end spec,
 * architecture, PO checklist, epics, stories, implementation, QA gates, deployment plan) into the
 * workspace. The same request over the same inputs writes the same bytes, so runs are
 * reproducible and a retried step is harmless.
 *
 * <p>{@code stepWork} makes each step take that long (heartbeating), to stand in for real agent
 * work in demos and crash tests; the default is zero.
 */
public final class BuiltInAgentRunner implements AgentRunner {
  /** The stories the PO shards the documents into: epic 1 with two stories, epic 2 with one. */
  static final List<String> STORIES = List.of("1.1", "1.2", "2.1");

  /** The agents the built-in runner plays: the BMAD core agents and the custom spec agents, sorted. */
  private static final List<String> SERVED = List.of(
      "analyst", "architect", "backend-developer", "dev", "frontend-developer", "orchestrator", "pm", "po",
      "qa", "sm", "spec-planner", "spec-reviewer", "spec-tester", "spec-validator", "ux-expert");

  private final Duration stepWork;

  public BuiltInAgentRunner(Duration stepWork) {
    this.stepWork = stepWork;
  }

  /**
   * The agents this runner serves, sorted: the BMAD agents orchestrator, analyst, pm, ux-expert,
   * architect, po, sm, dev and qa, and the custom agents spec-planner, frontend-developer,
   * backend-developer, spec-tester, spec-reviewer and spec-validator.
   */
  public static List<String> served() {
    return SERVED;
  }

  @Override
  public AgentStepResult run(AgentStepRequest request, Workspace workspace, Runnable progress) {
    work(progress);
    String inputs = inputsLine(request, workspace);
    List<ArtifactRef> written = new ArrayList<>();
    List<String> stories = List.of();
    Map<String, Boolean> flags = new TreeMap<>();
    GateResult gate = null;
    List<Decision> decisions = new ArrayList<>();
    List<Risk> risks = new ArrayList<>();
    String agent = request.agent();
    String action = request.action() == null ? "" : request.action();
    String story = request.storyId();
    String summary;
    for (String optional : request.optionalSteps()) {
      // BMAD's optional sub-steps (brainstorming_session, market_research_prompt...) the project turned on.
      written.add(workspace.write("docs/" + fileName(optional), doc(request, title(agent, optional), inputs,
          "## Optional step\n" + optional + ", done before " + (request.creates() != null ? request.creates() : action)
              + ".\n")));
    }
    switch (action) {
      case "shard_documents" -> {
        written.add(workspace.write("docs/epics/epic-1.md",
            doc(request, "Epic 1: Foundation", inputs, "- Story 1.1: project skeleton and CI\n- Story 1.2: accounts and sign-in\n")));
        written.add(workspace.write("docs/epics/epic-2.md",
            doc(request, "Epic 2: Core feature", inputs, "- Story 2.1: the core workflow, end to end\n")));
        stories = STORIES;
        summary = "sharded the PRD and architecture into 2 epics and " + STORIES.size() + " stories";
      }
      case "create_story" -> {
        written.add(workspace.write(storyPath(story), storyDoc(request, story, "Approved", inputs)));
        summary = "drafted story " + story + " (Draft -> Approved)";
      }
      case "implement_story" -> {
        written.add(workspace.write("src/features/story-" + slug(story) + ".ts",
            "// Story " + story + " of project " + request.projectId() + "\n// " + inputs + "\n"
                + "export function story" + slug(story).replace("-", "_") + "(): string {\n"
                + "  return \"story " + story + " implemented\";\n}\n"));
        written.add(workspace.write("src/features/story-" + slug(story) + ".test.ts",
            "import { story" + slug(story).replace("-", "_") + " } from './story-" + slug(story) + "';\n"
                + "test('story " + story + "', () => expect(story" + slug(story).replace("-", "_")
                + "()).toContain('" + story + "'));\n"));
        written.add(workspace.write(storyPath(story), storyDoc(request, story, "Review", inputs)));
        summary = "implemented story " + story + " with tests (InProgress -> Review)";
      }
      case "review_implementation" -> {
        written.add(workspace.write("docs/qa/gates/" + slug(story) + "-gate.yml",
            "schema: 1\nstory: '" + story + "'\ngate: PASS\nstatus_reason: 'All acceptance criteria met; tests present.'\n"
                + "reviewer: qa\nquality_score: 100\ntop_issues: []\n"));
        written.add(workspace.write(storyPath(story), storyDoc(request, story, "Done", inputs)));
        flags.put("qa_left_unchecked_items", false);
        gate = new GateResult(GateResult.QA_GATE, "PASS", 100, List.of());
        summary = "QA gate PASS for story " + story + " (quality score 100)";
      }
      default -> {
        if (request.validates() != null) {
          written.add(workspace.write("docs/qa/po-master-checklist.md",
              doc(request, "PO Master Checklist", inputs,
                  "Overall readiness: APPROVED\n\n| Section | Status |\n|---|---|\n"
                      + "| Project setup | PASS |\n| Architecture | PASS |\n| Stories | PASS |\n")));
          flags.put("po_checklist_issues", false);
          gate = new GateResult(GateResult.PO_CHECKLIST, "APPROVED", null, List.of());
          summary = "validated all artifacts: APPROVED";
        } else {
          String target = DefinitionStep.artifactName(request.creates() != null ? request.creates() : request.updates());
          String path = "docs/" + (target != null ? fileName(target) : fileName(action.isEmpty() ? agent : action));
          written.add(workspace.write(path, doc(request, title(agent, target != null ? target : action), inputs,
              body(agent))));
          written.addAll(roleFiles(request, workspace, inputs));
          if ("architect".equals(agent)) {
            flags.put("architecture_suggests_prd_changes", false);
            decisions.add(new Decision(null, "Tech stack: TypeScript with React and Node.js, PostgreSQL, S3",
                "one language across the stack; managed storage", agent, true, null));
            risks.add(new Risk(null, "Third-party API rate limits slow the core workflow", 2, 3, agent, null));
          }
          if ("pm".equals(agent) && request.creates() != null) {
            risks.add(new Risk(null, "Scope grows beyond the two epics", 3, 2, agent, null));
          }
          if (agent.startsWith("spec-") && !"spec-planner".equals(agent)) {
            gate = new GateResult(GateResult.SPEC_SCORE, null, 92, List.of());
          }
          summary = (request.creates() != null ? "created " : "updated ") + path
              + (request.uses() != null ? " using " + request.uses() : "")
              + (request.optionalSteps().isEmpty() ? "" : " after " + String.join(", ", request.optionalSteps()));
        }
      }
    }
    return new AgentStepResult(agent, written, stories, flags, summary, null, gate, decisions, risks);
  }

  private void work(Runnable progress) {
    long end = System.nanoTime() + stepWork.toNanos();
    while (System.nanoTime() < end) {
      progress.run();
      try {
        Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("agent step interrupted", e);
      }
    }
    progress.run();
  }

  /** A line naming the inputs and their hashes, so each artifact is tied to what it was built from. */
  private static String inputsLine(AgentStepRequest request, Workspace workspace) {
    StringBuilder line = new StringBuilder("inputs:");
    request.knownArtifacts().values().stream()
        .filter(a -> a.path().startsWith("docs/") && !a.path().startsWith("docs/stories/"))
        .sorted((a, b) -> a.path().compareTo(b.path()))
        .forEach(a -> line.append(' ').append(a.path()).append('@').append(a.sha256(), 0, 12));
    return line.toString();
  }

  private static String doc(AgentStepRequest request, String title, String inputs, String body) {
    return "# " + title + "\n\n"
        + "Project: " + request.projectId() + "  \n"
        + "Author: " + request.agent() + " (bmadflow built-in agent)  \n"
        + "Phase: " + request.phase() + "  \n"
        + (request.handoffPrompt() != null ? "Handoff: " + request.handoffPrompt() + "  \n" : "")
        + "Provenance: " + inputs + "\n\n" + body;
  }

  private static String storyDoc(AgentStepRequest request, String story, String status, String inputs) {
    return "# Story " + story + "\n\n## Status\n" + status + "\n\n## Story\n"
        + "As a user of " + request.projectId() + ", I want story " + story + " delivered,\n"
        + "so that the epic's goal moves forward.\n\n## Acceptance Criteria\n"
        + "1. The feature of story " + story + " works end to end.\n2. It has automated tests.\n\n"
        + "## Dev Notes\nProvenance: " + inputs + "\n";
  }

  private static String body(String agent) {
    return switch (agent) {
      case "analyst" -> "## Problem\nTeams lose work when long delivery workflows fail.\n\n"
          + "## Users\nDelivery teams and their operators.\n\n## Goals\n- Durable runs\n- Verifiable checkpoints\n";
      case "pm" -> "## Goals\n- Run BMAD projects durably\n\n## Functional Requirements\n"
          + "- FR1: start a project\n- FR2: checkpoint its state\n\n## Non-Functional Requirements\n"
          + "- NFR1: recover from any single failure\n\n## Epics\n1. Foundation\n2. Core feature\n";
      case "ux-expert" -> "## Information Architecture\n- Dashboard\n- Project view\n\n"
          + "## Key Flows\n1. Start a project\n2. Inspect checkpoints\n";
      case "architect" -> "## Tech Stack\n| Layer | Choice |\n|---|---|\n| Frontend | TypeScript, React |\n"
          + "| Backend | TypeScript, Node.js |\n| Storage | PostgreSQL, S3 |\n\n"
          + "## Components\n- web app\n- API service\n- worker\n";
      case "spec-planner" -> "## Task Decomposition\n| Task | Owner | Estimate (points) | Depends on |\n|---|---|---|---|\n"
          + SPEC_TASKS.stream().map(t -> "| " + t[0] + ": " + t[1] + " | " + t[2] + " | " + t[3] + " | " + t[4] + " |\n")
              .reduce("", String::concat)
          + "\nTotal estimate: " + SPEC_TASKS.stream().mapToInt(t -> Integer.parseInt(t[3])).sum() + " points\n";
      case "backend-developer" -> "## API\n- GET /api/projects\n- POST /api/projects\n\n## Files\n"
          + "- src/api/projects.ts\n- src/api/projects.test.ts\n\n## Tasks done\n" + tasksOf("backend-developer");
      case "frontend-developer" -> "## Components\n- ProjectList (reads GET /api/projects)\n- NewProjectForm (POST /api/projects)\n\n"
          + "## Files\n- src/web/ProjectList.tsx\n- src/web/ProjectList.test.tsx\n\n## Tasks done\n" + tasksOf("frontend-developer");
      case "spec-tester" -> "## Acceptance Tests\n| Task | Test | Result |\n|---|---|---|\n"
          + SPEC_TASKS.stream().map(t -> "| " + t[0] + " | tests/acceptance/" + t[0] + ".test.ts | PASS |\n").reduce("", String::concat)
          + "\n" + SPEC_TASKS.size() + " of " + SPEC_TASKS.size() + " acceptance tests pass.\n";
      case "spec-reviewer" -> "## Review\n| Area | Finding | Severity |\n|---|---|---|\n"
          + "| API | input validation present on POST /api/projects | none |\n"
          + "| UI | loading state shown while the list loads | none |\n"
          + "| Tests | every planned task has an acceptance test | none |\n\nQuality score: 92\nVerdict: ACCEPTED\n";
      case "spec-validator" -> "## Deployment Readiness\n| Check | Status |\n|---|---|\n"
          + "| All planned tasks implemented | PASS |\n| Acceptance tests pass | PASS |\n| Review accepted | PASS |\n"
          + "| Rollback plan | PASS |\n\nReadiness: READY\nScore: 92\n";
      default -> "## Notes\nWritten by the " + agent + " agent.\n";
    };
  }

  /** The spec planner's tasks: id, title, owner, estimate in points, dependency. */
  private static final List<String[]> SPEC_TASKS = List.of(
      new String[] {"T1", "projects API", "backend-developer", "3", "-"},
      new String[] {"T2", "projects storage", "backend-developer", "2", "T1"},
      new String[] {"T3", "project list view", "frontend-developer", "2", "T1"},
      new String[] {"T4", "new project form", "frontend-developer", "3", "T3"});

  private static String tasksOf(String owner) {
    return SPEC_TASKS.stream().filter(t -> t[2].equals(owner)).map(t -> "- [x] " + t[0] + ": " + t[1] + "\n")
        .reduce("", String::concat);
  }

  /** The code and test files the custom spec agents write besides their document. */
  private static List<ArtifactRef> roleFiles(AgentStepRequest request, Workspace workspace, String inputs) {
    String header = "// " + request.agent() + " for project " + request.projectId() + "\n// " + inputs + "\n";
    List<ArtifactRef> out = new ArrayList<>();
    switch (request.agent()) {
      case "spec-planner" -> out.add(workspace.write("docs/spec/tasks.yaml", "# " + request.agent() + " for project "
          + request.projectId() + "\ntasks:\n" + SPEC_TASKS.stream().map(t -> "  - id: " + t[0] + "\n    title: " + t[1]
              + "\n    owner: " + t[2] + "\n    estimate: " + t[3] + "\n    depends_on: '" + t[4] + "'\n")
              .reduce("", String::concat)));
      case "backend-developer" -> {
        out.add(workspace.write("src/api/projects.ts", header
            + "export interface Project { id: string; name: string }\n"
            + "const projects: Project[] = [];\n"
            + "export function listProjects(): Project[] { return [...projects]; }\n"
            + "export function createProject(name: string): Project {\n"
            + "  if (!name.trim()) throw new Error('name is required');\n"
            + "  const p = { id: String(projects.length + 1), name };\n  projects.push(p);\n  return p;\n}\n"));
        out.add(workspace.write("src/api/projects.test.ts", header
            + "import { createProject, listProjects } from './projects';\n"
            + "test('create then list', () => { createProject('a'); expect(listProjects()).toHaveLength(1); });\n"));
      }
      case "frontend-developer" -> {
        out.add(workspace.write("src/web/ProjectList.tsx", header
            + "import { Project } from '../api/projects';\n"
            + "export function ProjectList({ projects }: { projects: Project[] }) {\n"
            + "  return <ul>{projects.map(p => <li key={p.id}>{p.name}</li>)}</ul>;\n}\n"));
        out.add(workspace.write("src/web/ProjectList.test.tsx", header
            + "import { render } from '@testing-library/react';\nimport { ProjectList } from './ProjectList';\n"
            + "test('lists projects', () => { render(<ProjectList projects={[{ id: '1', name: 'a' }]} />); });\n"));
      }
      case "spec-tester" -> {
        for (String[] t : SPEC_TASKS) {
          out.add(workspace.write("tests/acceptance/" + t[0] + ".test.ts", header
              + "test('" + t[0] + ": " + t[1] + "', () => { /* acceptance test of " + t[0] + " (" + t[2] + ") */ });\n"));
        }
      }
      default -> {
      }
    }
    return out;
  }

  private static String title(String agent, String target) {
    return agent + ": " + target;
  }

  private static String fileName(String target) {
    String name = target.replaceAll("[^A-Za-z0-9._-]+", "-");
    return name.endsWith(".md") ? name : name + ".md";
  }

  private static String storyPath(String story) {
    return "docs/stories/" + story + ".story.md";
  }

  private static String slug(String story) {
    return story == null ? "none" : story.replace('.', '-');
  }
}
