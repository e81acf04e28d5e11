package io.bmadflow.client.cli;

import io.bmadflow.client.ProjectStatus;
import io.bmadflow.infra.json.PackageJson;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bmadflow status}: a project's workflow status, phase, step and progress. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Shows a project's status.")
public class StatusCommand implements Callable<Integer> {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Mixin ProjectOption project;

  @Option(names = "--json", description = "Print JSON instead of text.")
  boolean json;

  @Override
  public Integer call() {
    ProjectStatus status = parent.services().client().status(project.get());
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new String(PackageJson.write(status), StandardCharsets.UTF_8));
    } else {
      out.printf("project:    %s%n", status.projectId());
      out.printf("workflow:   %s (run %s)%n", status.workflowId(), status.runId());
      out.printf("status:     %s%n", status.status());
      String link = webUiLink(parent.services().env(), status.workflowId());
      if (link != null) {
        out.printf("web ui:     %s%n", link);
      }
      if (status.phase() != null) {
        out.printf("phase:      %s%n", status.phase());
        out.printf("step:       %s%n", status.step() == null ? "-" : status.step());
        out.printf("progress:   %d/%d steps (%.0f%%)%n",
            status.stepsCompleted(), status.stepsPlanned(), status.progress() * 100);
        out.printf("checkpoints: %d%s%n", status.checkpoints(),
            status.lastCheckpoint() == null ? "" : ", last " + status.lastCheckpoint());
        out.printf("logs:       %d decisions, %d risks%s%n", status.decisions(), status.risks(),
            status.risks() == 0 ? "" : " (highest score " + status.highestRisk() + ")");
        for (String line : status.guidance()) {
          out.printf("guidance:   %s%n", line);
        }
        if (status.paused()) {
          out.println("paused:     yes (`bmadflow resume --project " + status.projectId() + "`)");
        }
        if (status.pendingGate() != null) {
          out.printf("waiting:    gate %s; decide with `bmadflow gate approve|waive --project %s --reason ...`%n",
              status.pendingGate(), status.projectId());
        }
      }
      if (status.workflowTaskProblem() != null) {
        out.printf("problem:    %s%n", status.workflowTaskProblem());
      }
      if (status.note() != null) {
        out.printf("note:       %s%n", status.note());
      }
    }
    return BmadflowCommand.OK;
  }

  /** The variable naming the Temporal Web UI's address; {@code bmadflow dev} prints it with the others. */
  static final String WEB_UI_VARIABLE = "BMADFLOW_TEMPORAL_UI";

  /**
   * The project's workflow page in the Temporal Web UI, when {@value #WEB_UI_VARIABLE} names the
   * UI (for example {@code http://127.0.0.1:8233}); null otherwise.
   */
  static String webUiLink(java.util.Map<String, String> env, String workflowId) {
    String ui = env.get(WEB_UI_VARIABLE);
    if (ui == null || ui.isBlank()) {
      return null;
    }
    String namespace = env.getOrDefault("TEMPORAL_NAMESPACE", "default");
    return ui.replaceAll("/+$", "") + "/namespaces/" + java.net.URLEncoder.encode(namespace, StandardCharsets.UTF_8)
        + "/workflows/" + java.net.URLEncoder.encode(workflowId, StandardCharsets.UTF_8);
  }
}
