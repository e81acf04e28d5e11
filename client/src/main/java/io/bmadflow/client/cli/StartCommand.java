package io.bmadflow.client.cli;

import io.bmadflow.infra.config.WorkspaceRoot;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.workflows.ProjectIds;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bmadflow start}: starts a project's workflow. */
@Command(name = "start", mixinStandardHelpOptions = true, description = "Starts a project's workflow.")
public class StartCommand implements Callable<Integer> {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Mixin ProjectOption project;

  @Option(
      names = "--definition",
      defaultValue = DefinitionLoader.DEFAULT,
      description = "A bundled definition name or a BMAD v4 workflow YAML file (default: ${DEFAULT-VALUE}).")
  String definition;

  @Option(names = "--workspace", description = "The workspace directory, strictly under $BMADFLOW_WORKSPACE_ROOT or a"
      + " directory of $BMADFLOW_WORKSPACE_ALLOW (default: <BMADFLOW_WORKSPACE_ROOT>/<project> on the worker).")
  Path workspace;

  @Override
  public Integer call() {
    DefinitionLoader.Loaded loaded = DefinitionLoader.load(definition);
    if (!loaded.ignoredKeys().isEmpty()) {
      spec.commandLine().getErr().println(
          "bmadflow: warning: definition " + loaded.source() + " has keys bmadflow does not model"
              + " (ignored): " + String.join(", ", loaded.ignoredKeys()));
    }
    String dir = workspace == null ? null : workspace.toAbsolutePath().normalize().toString();
    // Checked here, before Temporal is dialled, against the same variables the workers read.
    WorkspaceRoot workspaces = WorkspaceRoot.fromEnvironment(parent.services().env());
    try {
      workspaces.resolve(project.get(), dir);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--workspace: " + e.getMessage());
    }
    String runId = parent.services().client().withWorkspaceRoot(workspaces).start(project.get(), loaded.definition(), dir);
    String note = parent.services().client().awaitStarted(project.get(), java.time.Duration.ofSeconds(10));
    spec.commandLine().getOut().printf(
        "started project %s: workflow %s, run %s, definition %s%n",
        project.get(), ProjectIds.workflowId(project.get()), runId, loaded.definition().id());
    if (note != null) {
      spec.commandLine().getErr().println("bmadflow: warning: " + note);
    }
    return BmadflowCommand.OK;
  }
}
