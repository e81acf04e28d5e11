package io.bmadflow.client.cli;

import io.bmadflow.workflows.ProjectIds;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code --project} option every project command takes, validated while the command line is
 * parsed: a malformed id is a usage error (exit 2) before anything is read or written.
 */
public class ProjectOption {
  @Spec(Spec.Target.MIXEE)
  CommandSpec spec;

  private String project;

  @Option(names = "--project", required = true, description = "The project id (1-64 letters, digits, '-' or '_').")
  void setProject(String value) {
    String problem = ProjectIds.problem(value);
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), "--project: " + problem);
    }
    project = value;
  }

  /** The validated project id. */
  public String get() {
    return project;
  }
}
