package io.bmadflow.benchmarks;

import io.bmadflow.activities.Workspace;
import io.bmadflow.activities.agents.AgentRunner;
import io.bmadflow.activities.agents.BuiltInAgentRunner;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The built-in agents at a chosen scale, for the limits benchmark: the PO shards the documents
 * into {@code stories} stories (epics of ten), and every file an agent writes is padded to a
 * realistic size (documents under {@code docs/}, story files under {@code docs/stories/}, and code
 * under {@code src/}), so the workspace, the checkpoints and the S3 traffic are those of a real
 * project of that size. The padding is markdown comment lines, so the files stay valid.
 */
final class ScaledAgentRunner implements AgentRunner {
  private final BuiltInAgentRunner builtIn = new BuiltInAgentRunner(Duration.ZERO);
  private final int stories;
  private final int documentBytes;
  private final int storyBytes;
  private final int codeBytes;

  ScaledAgentRunner(int stories, int documentBytes, int storyBytes, int codeBytes) {
    this.stories = stories;
    this.documentBytes = documentBytes;
    this.storyBytes = storyBytes;
    this.codeBytes = codeBytes;
  }

  /** The story ids of a project of {@code n} stories: {@code 1.1} to {@code 1.10}, {@code 2.1}, ... */
  static List<String> storyIds(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add((i / 10 + 1) + "." + (i % 10 + 1));
    }
    return ids;
  }

  @Override
  public AgentStepResult run(AgentStepRequest request, Workspace workspace, Runnable progress) {
    AgentStepResult result = builtIn.run(request, workspace, progress);
    List<ArtifactRef> padded = new ArrayList<>();
    for (ArtifactRef a : result.artifacts()) {
      padded.add(pad(workspace, a));
    }
    List<String> ids = result.stories().isEmpty() ? result.stories() : storyIds(stories);
    return new AgentStepResult(result.agent(), padded, ids, result.flags(), result.summary(), result.executedBy(),
        result.gate(), result.decisions(), result.risks());
  }

  private ArtifactRef pad(Workspace workspace, ArtifactRef a) {
    int target = a.path().startsWith("docs/stories/") ? storyBytes : a.path().startsWith("src/") ? codeBytes
        : a.path().startsWith("docs/") ? documentBytes : 0;
    if (a.size() >= target) {
      return a;
    }
    try {
      String content = Files.readString(workspace.resolve(a.path()), StandardCharsets.UTF_8);
      String line = a.path().startsWith("src/") ? "// padding to a realistic file size for the limits benchmark\n"
          : "<!-- padding to a realistic document size for the limits benchmark -->\n";
      StringBuilder out = new StringBuilder(target + line.length()).append(content);
      while (out.length() < target) {
        out.append(line);
      }
      return workspace.write(a.path(), out.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
