package io.bmadflow.benchmarks;

import io.bmadflow.client.BmadflowClient;
import io.bmadflow.infra.definition.DefinitionLoader;
import io.bmadflow.infra.devstack.DevStackSession;
import io.bmadflow.infra.devstack.TemporalChoice;
import io.bmadflow.infra.temporal.TemporalLimits;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointPolicy;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import io.bmadflow.workflows.project.ProjectRequest;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.worker.BmadflowWorker;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowException;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How large a project runs on the real Temporal dev server before its limits stop it, and where
 * each limit bites. Writes {@code docs/limits.md}.
 *
 * <p>Part 1, default limits: projects of growing story counts (the bundled greenfield-fullstack
 * definition, {@link ScaledAgentRunner} writing 40 KB documents, 6 KB story files and 8 KB of code
 * per story, zero-time agents, the default checkpoint triggers), each measured from the server's
 * own figures: history bytes and events per run of the project workflow and of its largest phase,
 * the largest event and the largest payload. A fit of each figure against the story count gives
 * the story count at which the default limit would bite.
 *
 * <p>Part 2, lowered limits (through the dev server's dynamic config, {@link TemporalLimits}):
 * each limit in turn is set to what the fit predicts for a small project, and a bisection over the
 * story count finds the largest project that still completes, to check the fit (and so the
 * extrapolation to the default limits) against the server's real behaviour, and to show what
 * bmadflow and the server do when the limit bites.
 *
 * <p>Arguments: the output file (default {@code docs/limits.md}), then the story counts of part 1
 * (default {@code 5,10,20,40}).
 */
public final class LimitsBenchmark {
  static final int DOCUMENT_BYTES = 40 * 1024;
  static final int STORY_BYTES = 6 * 1024;
  static final int CODE_BYTES = 8 * 1024;

  private LimitsBenchmark() {}

  /** What bmadflow does about each limit: the same text every run. */
  static final String BEHAVIOUR = """

      ## What bmadflow does before a limit stops a workflow

      - **Tell bmadflow the limits.** `BMADFLOW_LIMIT_BLOB_BYTES`, `BMADFLOW_LIMIT_HISTORY_BYTES` and
        `BMADFLOW_LIMIT_HISTORY_EVENTS` (defaults: the server defaults above) describe the cluster; the embedded
        dev server is started with the same values as dynamic config, and `BMADFLOW_TEMPORAL_DYNAMIC_CONFIG`
        (`KEY=VALUE,...`) passes it any other key, such as `limit.historyCount.suggestContinueAsNew`.
      - **Warning at half the history limits.** Each time a workflow schedules an activity or a child, signals or
        continues as new, the worker compares the run's history (`Workflow.getInfo().getHistorySize()`,
        `getHistoryLength()`) with half of each limit; the first time a run passes one it logs a WARN line naming
        the workflow, run, figure and limit, and counts `bmadflow_history_limit_warnings_total{workflow_type,kind}`,
        which the `BmadflowWorkflowHistoryNearLimit` alert watches. No command is added, so no history changes.
      - **Continue-as-new inside long phases.** The project continues as new between phases (every 10,000 events
        or when the server suggests it); a phase's story loop continues as new every 20 stories, or sooner when the
        server suggests it (`isContinueAsNewSuggested()`, 4 MiB or 4,096 events by default), carrying its records,
        context and open gates (change id `phase-continue-as-new`, asked first in the phase's main method, so
        histories from before it replay on one run).
      - **Refusal of a payload over the blob limit.** bmadflow's data converter refuses, on the side that writes
        it, any payload over `BMADFLOW_LIMIT_BLOB_BYTES`, with a non-retryable `PayloadTooLarge` failure naming the
        value's type, the activity or workflow, its size and the limit. A refused checkpoint request is not taken
        (logged at ERROR, the first recorded as a risk in the project's state) and the project goes on; any other
        refused payload (a phase's request, the project's result) fails the workflow with that message. Without it
        the server fails the workflow task and terminates the run (`DevServerLimitsTest` shows both).
      - **What it cannot do yet.** The project workflow's own history grows with checkpoints times state within a
        phase (each checkpoint request carries the whole state), which is what bites first above; carrying changes
        instead of state is the scale issue's work.
      """;

  /** One project's figures. */
  record Measured(int stories, String outcome, boolean completed, double seconds, int steps, int checkpoints,
      HistoryFigures project, HistoryFigures largestPhase, long largestEvent, String largestEventWhere,
      long largestPayload, String largestPayloadWhere) {}

  public static void main(String[] args) throws Exception {
    Path out = Path.of(args.length > 0 ? args[0] : "docs/limits.md");
    List<Integer> sizes = new ArrayList<>();
    for (String s : (args.length > 1 ? args[1] : "5,10,20,40").split(",")) {
      sizes.add(Integer.parseInt(s.trim()));
    }
    WorkflowDefinition definition = DefinitionLoader.load(DefinitionLoader.DEFAULT).definition();
    Instant started = Instant.now();
    StringBuilder report = new StringBuilder();

    // Part 1: default limits.
    List<Measured> measured = new ArrayList<>();
    String serverVersion;
    try (Stack stack = new Stack(Map.of())) {
      serverVersion = stack.version();
      for (int n : sizes) {
        Measured m = stack.run(definition, "default-" + n, n);
        measured.add(m);
        System.out.println(row(m));
      }
    }
    double[] bytesFit = fit(measured, m -> m.project().maxBytes());
    // Events and payloads grow with the state, linearly; bytes with checkpoints times state.
    double[] eventsFit = linear(measured, m -> m.project().maxEvents());
    double[] phaseBytesFit = linear(measured, m -> m.largestPhase().maxBytes());
    double[] payloadFit = linear(measured, m -> m.largestPayload());
    TemporalLimits d = TemporalLimits.DEFAULTS;
    int biteBytes = solve(bytesFit, d.historyBytes());
    int biteEvents = solve(eventsFit, d.historyEvents());
    int bitePayload = solve(payloadFit, d.blobBytes());
    int warnBytes = solve(bytesFit, d.historyBytesWarning());

    // Part 2: lowered limits, bisected.
    int small = sizes.get(Math.min(1, sizes.size() - 1));
    long loweredBytes = Math.round(eval(bytesFit, small + 0.5));
    long loweredEvents = Math.round(eval(eventsFit, small + 0.5));
    long loweredBlob = Math.round(eval(payloadFit, small + 0.5));
    List<String[]> lowered = new ArrayList<>();
    if (Boolean.parseBoolean(System.getProperty("limits.lowered", "true"))) {
    lowered.add(bisect(definition, "history-bytes", Map.of(TemporalLimits.HISTORY_BYTES_VARIABLE, Long.toString(loweredBytes)),
        loweredBytes, bytesFit, small * 3));
    lowered.add(bisect(definition, "history-events", Map.of(TemporalLimits.HISTORY_EVENTS_VARIABLE, Long.toString(loweredEvents)),
        loweredEvents, eventsFit, small * 3));
    lowered.add(bisect(definition, "blob", Map.of(TemporalLimits.BLOB_VARIABLE, Long.toString(loweredBlob)),
        loweredBlob, payloadFit, small * 3));
    }

    report.append(String.format(Locale.ROOT, """
        # Limits: how large a project runs on a real Temporal server

        Generated by `benchmarks/run-limits` (`io.bmadflow.benchmarks.LimitsBenchmark`) on %s, %.0f s in all, on the
        Temporal dev server (CLI %s) through the dev stack, with a worker in the same JVM. Each project is the bundled
        greenfield-fullstack definition played by the built-in agents with files padded to %d KB per document, %d KB per
        story file and %d KB of code per story, agents taking no time, checkpoints on (default triggers). Figures are the
        server's own (`DescribeWorkflowExecution`: `historySizeBytes`, `historyLength`) for the run that grew most;
        the largest event and the largest payload (an activity's input or result, a signal's, a child's) are over every
        run of the project and of its phases.

        ## The server's limits (Temporal Server 1.32 defaults, dynamic config)

        | Key | Default | What happens |
        |---|---|---|
        | `limit.blobSize.error` | 2 MiB (2,097,152 bytes) | a payload over it is rejected; a workflow task that schedules it fails and the run is terminated |
        | `limit.blobSize.warn` | 512 KiB | server log only |
        | `limit.historySize.error` | 50 MiB (52,428,800 bytes) | the run is terminated |
        | `limit.historySize.warn` | 10 MiB | server log only |
        | `limit.historySize.suggestContinueAsNew` | 4 MiB | `isContinueAsNewSuggested()` turns true |
        | `limit.historyCount.error` | 51,200 events | the run is terminated |
        | `limit.historyCount.warn` | 10,240 events | server log only |
        | `limit.historyCount.suggestContinueAsNew` | 4,096 events | `isContinueAsNewSuggested()` turns true |

        ## Part 1: default limits

        | Stories | Outcome | Run time | Steps | Checkpoints | Project: runs, largest run (bytes / events) | Largest phase: runs, largest run (bytes / events) | Largest event | Largest payload |
        |---|---|---|---|---|---|---|---|---|
        """, started, 0.0, serverVersion, DOCUMENT_BYTES / 1024, STORY_BYTES / 1024, CODE_BYTES / 1024));
    for (Measured m : measured) {
      report.append(row(m)).append('\n');
    }
    report.append(String.format(Locale.ROOT, """

        Fits over the story count n (least squares over the sizes above; quadratic for history bytes, which grow
        as checkpoints times state, linear for the others). The largest phase run is bounded by the phase's
        continue-as-new (20 stories a run), so its fit only says where one run of 20 stories would sit.

        | Figure | Fit | Reaches the default limit at |
        |---|---|---|
        | project history bytes (largest run) | %s | %s stories (50 MiB); bmadflow's warning (25 MiB) at %s |
        | project history events (largest run) | %s | %s stories (51,200 events) |
        | largest phase history bytes | %s | %s stories (50 MiB) |
        | largest payload bytes | %s | %s stories (2 MiB) |

        So on a default server the largest project that runs is about **%s stories** (the first limit to bite:
        %s). Artifact sizes do not enter history (only references, hashes and sizes travel through it), so they do
        not move these limits; they set the S3 traffic and checkpoint time instead.

        ## Part 2: lowered limits, where each bites

        Each limit lowered in turn (bmadflow told the same through `BMADFLOW_LIMIT_*`), then a bisection over the
        story count for the largest project that still completes.

        | Limit | Lowered to | The fit predicts the largest at | Measured largest that completes | What stopped the next size |
        |---|---|---|---|---|
        """, formula(bytesFit), reach(biteBytes), reach(warnBytes), formula(eventsFit), reach(biteEvents),
        formula(phaseBytesFit), reach(solve(phaseBytesFit, d.historyBytes())), formula(payloadFit), reach(bitePayload),
        reach(Math.min(biteBytes, Math.min(biteEvents, bitePayload))),
        biteBytes <= biteEvents && biteBytes <= bitePayload ? "history size"
            : biteEvents <= bitePayload ? "history events" : "payload size"));
    for (String[] r : lowered) {
      report.append("| ").append(String.join(" | ", r)).append(" |\n");
    }
    report.append(BEHAVIOUR);
    String text = report.toString().replace("on " + started + ", 0 s in all", String.format(Locale.ROOT, "on %s, %.0f s in all",
        started, Duration.between(started, Instant.now()).toMillis() / 1000.0));
    Files.writeString(out, text);
    System.out.println(text);
  }

  /** Bisects the story count for the largest project that completes under a lowered limit. */
  private static String[] bisect(WorkflowDefinition definition, String name, Map<String, String> env, long limit,
      double[] fit, int upper) throws Exception {
    int predicted = solve(fit, limit);
    try (Stack stack = new Stack(env)) {
      int lo = 0;
      String loOutcome = "";
      int hi = upper;
      Measured atHi = stack.run(definition, name + "-" + hi, hi);
      System.out.println(name + ": " + row(atHi));
      if (atHi.completed()) {
        return new String[] {name, String.format(Locale.ROOT, "%,d", limit), reach(predicted), ">= " + hi, "(none failed)"};
      }
      String hiOutcome = atHi.outcome();
      while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        Measured m = stack.run(definition, name + "-" + mid, mid);
        System.out.println(name + ": " + row(m));
        if (m.completed()) {
          lo = mid;
          loOutcome = m.outcome();
        } else {
          hi = mid;
          hiOutcome = m.outcome();
        }
      }
      return new String[] {name, String.format(Locale.ROOT, "%,d", limit), reach(predicted),
          lo + " stories" + (loOutcome.isEmpty() ? "" : ""), hi + " stories: " + hiOutcome.replace("|", "/")};
    }
  }

  private static String reach(int n) {
    return n == Integer.MAX_VALUE ? "beyond 100,000" : String.format(Locale.ROOT, "%,d", n);
  }

  private static String row(Measured m) {
    HistoryFigures.Run p = m.project().runs().stream().max(java.util.Comparator.comparingLong(HistoryFigures.Run::bytes)).orElseThrow();
    HistoryFigures.Run ph = m.largestPhase() == null ? null
        : m.largestPhase().runs().stream().max(java.util.Comparator.comparingLong(HistoryFigures.Run::bytes)).orElseThrow();
    return String.format(Locale.ROOT, "| %d | %s | %.1f s | %d | %d | %d, %,d / %,d | %s | %,d (%s) | %,d (%s) |",
        m.stories(), m.outcome().replace("|", "/"), m.seconds(), m.steps(), m.checkpoints(), m.project().runs().size(),
        p.bytes(), p.events(),
        ph == null ? "-" : String.format(Locale.ROOT, "%s: %d, %,d / %,d", phaseName(m.largestPhase().workflowId()),
            m.largestPhase().runs().size(), ph.bytes(), ph.events()),
        m.largestEvent(), m.largestEventWhere(), m.largestPayload(), m.largestPayloadWhere());
  }

  private static String phaseName(String workflowId) {
    int slash = workflowId.lastIndexOf('/');
    int dash = workflowId.lastIndexOf('-');
    return workflowId.substring(Math.max(slash, dash) + 1);
  }

  interface Figure {
    double of(Measured m);
  }

  /** Least squares a + b n over the completed projects (c = 0). */
  static double[] linear(List<Measured> ms, Figure f) {
    double sn = 0, sy = 0, snn = 0, sny = 0;
    int k = 0;
    for (Measured m : ms) {
      if (m.completed()) {
        double n = m.stories();
        double y = f.of(m);
        sn += n;
        sy += y;
        snn += n * n;
        sny += n * y;
        k++;
      }
    }
    double b = (k * sny - sn * sy) / (k * snn - sn * sn);
    return new double[] {(sy - b * sn) / k, b, 0};
  }

  /** Least squares a + b n + c n^2 over the completed projects. */
  static double[] fit(List<Measured> ms, Figure f) {
    double[][] a = new double[3][4];
    for (Measured m : ms) {
      if (!m.completed()) {
        continue;
      }
      double n = m.stories();
      double[] x = {1, n, n * n};
      double y = f.of(m);
      for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
          a[i][j] += x[i] * x[j];
        }
        a[i][3] += x[i] * y;
      }
    }
    // Gaussian elimination.
    for (int i = 0; i < 3; i++) {
      int pivot = i;
      for (int r = i + 1; r < 3; r++) {
        if (Math.abs(a[r][i]) > Math.abs(a[pivot][i])) {
          pivot = r;
        }
      }
      double[] t = a[i];
      a[i] = a[pivot];
      a[pivot] = t;
      for (int r = 0; r < 3; r++) {
        if (r != i && a[i][i] != 0) {
          double k = a[r][i] / a[i][i];
          for (int c = i; c < 4; c++) {
            a[r][c] -= k * a[i][c];
          }
        }
      }
    }
    return new double[] {a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]};
  }

  static double eval(double[] fit, double n) {
    return fit[0] + fit[1] * n + fit[2] * n * n;
  }

  /** The smallest story count whose fitted figure exceeds {@code limit}, minus one: the largest that stays under. */
  static int solve(double[] fit, long limit) {
    for (int n = 1; n <= 100_000; n++) {
      if (eval(fit, n) > limit) {
        return n - 1;
      }
    }
    return Integer.MAX_VALUE;
  }

  private static String formula(double[] fit) {
    return String.format(Locale.ROOT, "%,.0f + %,.1f n + %,.2f n²", fit[0], fit[1], fit[2]);
  }

  /** A dev stack on its own dev server (with {@code env}'s limits) and a worker with the scaled agents. */
  private static final class Stack implements AutoCloseable {
    private final Path data;
    private final DevStackSession session;
    private final BmadflowClient client;
    private ScaledAgentRunner agents;
    private BmadflowWorker worker;

    Stack(Map<String, String> limits) throws Exception {
      data = Files.createTempDirectory("bmadflow-limits-bench");
      Map<String, String> env = new HashMap<>(System.getenv());
      env.putAll(limits);
      session = DevStackSession.open(data, TemporalChoice.DEV_SERVER, 0, 0, null, env);
      client = new BmadflowClient(session.temporal().client(), session.store());
    }

    String version() {
      return ((io.bmadflow.infra.devstack.TemporalDevServer) session.stack().temporal()).version();
    }

    Measured run(WorkflowDefinition definition, String id, int stories) throws Exception {
      if (worker != null) {
        worker.close();
      }
      agents = new ScaledAgentRunner(stories, DOCUMENT_BYTES, STORY_BYTES, CODE_BYTES);
      worker = BmadflowWorker.start(session.temporal(), session.store(),
          new BmadflowWorker.Options("limits-bench", data.resolve("workspaces"), agents));
      String projectId = "limits-" + id;
      long start = System.nanoTime();
      client.start(new ProjectRequest(projectId, definition, null, 0, null, 0, 0, CheckpointPolicy.defaults()));
      String outcome = "completed";
      boolean completed = true;
      int steps = 0;
      int checkpoints = 0;
      try {
        ProjectSnapshot end = client.awaitResult(projectId, Duration.ofMinutes(20)).finalState();
        steps = end.stepsCompleted();
        checkpoints = end.checkpoints().size();
      } catch (WorkflowException e) {
        completed = false;
        outcome = describeFailure(projectId, e);
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      var temporal = session.temporal().client();
      HistoryFigures project = HistoryFigures.of(temporal, ProjectIds.workflowId(projectId));
      HistoryFigures largestPhase = null;
      long largestEvent = project.largestEvent();
      String eventWhere = "project";
      HistoryFigures.Run payloadRun = project.largestPayloadRun();
      long largestPayload = payloadRun.largestPayload();
      String payloadWhere = "project " + payloadRun.largestPayloadEventType();
      for (String child : project.children()) {
        HistoryFigures phase;
        try {
          phase = HistoryFigures.of(temporal, child);
        } catch (RuntimeException notStarted) {
          continue;
        }
        if (!phase.newest().status().equals("completed")) {
          outcome += "; phase " + phaseName(child) + " " + phase.newest().status();
        }
        if (largestPhase == null || phase.maxBytes() > largestPhase.maxBytes()) {
          largestPhase = phase;
        }
        if (phase.largestEvent() > largestEvent) {
          largestEvent = phase.largestEvent();
          eventWhere = phaseName(child);
        }
        HistoryFigures.Run r = phase.largestPayloadRun();
        if (r.largestPayload() > largestPayload) {
          largestPayload = r.largestPayload();
          payloadWhere = phaseName(child) + " " + r.largestPayloadEventType();
        }
      }
      return new Measured(stories, outcome, completed, seconds, steps, checkpoints, project, largestPhase, largestEvent,
          eventWhere, largestPayload, payloadWhere);
    }

    private String describeFailure(String projectId, WorkflowException e) {
      List<HistoryEvent> events = session.temporal().client().fetchHistory(ProjectIds.workflowId(projectId)).getEvents();
      HistoryEvent last = events.get(events.size() - 1);
      if (last.hasWorkflowExecutionTerminatedEventAttributes()) {
        return "terminated by the server: " + last.getWorkflowExecutionTerminatedEventAttributes().getReason();
      }
      Throwable cause = e;
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      String message = cause instanceof ApplicationFailure af ? af.getType() + ": " + af.getOriginalMessage() : cause.toString();
      return "failed: " + (message.length() > 300 ? message.substring(0, 300) + "..." : message);
    }

    @Override
    public void close() {
      if (worker != null) {
        worker.close();
      }
      session.close();
    }
  }
}
