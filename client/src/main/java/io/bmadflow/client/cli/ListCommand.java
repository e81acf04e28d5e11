package io.bmadflow.client.cli;

import io.bmadflow.client.BmadflowClient;
import io.bmadflow.client.ProjectSummary;
import io.bmadflow.infra.json.PackageJson;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code bmadflow list}: the projects Temporal's visibility knows, one row per project (its
 * latest run), from the search attributes bmadflow sets; no worker needs to answer.
 */
@Command(name = "list", mixinStandardHelpOptions = true,
    description = "Lists projects from Temporal's visibility (their latest runs, newest first).")
public class ListCommand implements Callable<Integer> {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Option(names = "--status", paramLabel = "S",
      description = "Only projects whose BmadflowStatus is S: running, paused, waiting-for-operator, complete.")
  String status;

  @Option(names = "--phase", paramLabel = "P",
      description = "Only projects in phase P: not-started, analysis, planning, solutioning, implementation, deployment, complete.")
  String phase;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "" + BmadflowClient.LIST_DEFAULT_LIMIT,
      description = "At most N projects (default ${DEFAULT-VALUE}, at most " + BmadflowClient.LIST_MAX_LIMIT + ").")
  int limit;

  private static final int MAX_CELL = 120;

  @Option(names = "--json", description = "Print a JSON array instead of a table.")
  boolean json;

  @Override
  public Integer call() {
    String problem = BmadflowClient.listProblem(status, phase, limit);
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), problem);
    }
    ProjectSummary.Listing listing = parent.services().client().list(status, phase, limit);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new String(PackageJson.write(listing.projects()), StandardCharsets.UTF_8));
    } else if (listing.projects().isEmpty()) {
      out.println("no projects" + (status != null || phase != null ? " match" : "")
          + " (visibility may take a moment to show a project just started)");
    } else {
      String format = "%-24s %-14s %-20s %-14s %-32s %-40s %s%n";
      out.printf(format, "PROJECT", "WORKFLOW", "STATUS", "PHASE", "STEP", "LAST CHECKPOINT", "STARTED");
      for (ProjectSummary p : listing.projects()) {
        out.printf(format, dash(p.projectId()), p.workflowStatus(), dash(p.status()), dash(p.phase()), dash(p.step()),
            dash(p.lastCheckpoint()), p.startTime());
      }
    }
    if (listing.truncated()) {
      spec.commandLine().getErr().println("bmadflow: more projects match than the " + limit
          + " shown; narrow with --status or --phase, or raise --limit (at most " + BmadflowClient.LIST_MAX_LIMIT + ")");
    }
    return BmadflowCommand.OK;
  }

  /**
   * A value from visibility as one table cell: "-" when empty, control characters (terminal
   * escapes included) replaced by "?", at most 120 characters. Anyone with access to the
   * namespace can set a search attribute, so the value is untrusted.
   */
  static String dash(String value) {
    if (value == null || value.isEmpty()) {
      return "-";
    }
    StringBuilder cell = new StringBuilder();
    value.codePoints().limit(MAX_CELL).forEach(c -> cell.appendCodePoint(Character.isISOControl(c) ? '?' : c));
    return value.codePointCount(0, value.length()) > MAX_CELL ? cell.append("...").toString() : cell.toString();
  }
}
