package io.bmadflow.infra.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The worker's metrics: one Prometheus registry, served as text at {@code /metrics} by a small
 * JDK HTTP server, holding bmadflow's checkpoint meters and (through {@link #temporalScope()}) the
 * Temporal SDK's client and worker metrics.
 *
 * <p>Checkpoint meters are tagged by type, trigger and outcome, never by checkpoint id, so their
 * number stays bounded; only the stored-bytes gauge is per project:
 * <ul>
 *   <li>{@code bmadflow_checkpoint_creations_total{type,trigger,outcome}}: outcome
 *       {@code committed}, {@code already_committed} (a retry found its package) or {@code failed}
 *   <li>{@code bmadflow_checkpoint_validations_total{outcome}}: {@code passed} or {@code failed},
 *       the validation status of each package committed
 *   <li>{@code bmadflow_checkpoint_creation_seconds{type,trigger,outcome}}: a histogram of how long
 *       each creation took
 *   <li>{@code bmadflow_checkpoint_bytes_written_total{type,trigger}}: bytes uploaded by commits
 *   <li>{@code bmadflow_checkpoint_stored_bytes{project}}: the stored size of the project's newest
 *       checkpoint
 *   <li>{@code bmadflow_history_limit_warnings_total{workflow_type,kind}}: runs whose history
 *       reached half of Temporal's history size ({@code kind=size}) or event ({@code events}) limit
 *   <li>{@code bmadflow_recoveries_total{strategy,outcome}} and
 *       {@code bmadflow_recovery_duration_seconds{strategy}} (a histogram): recoveries
 *   <li>{@code bmadflow_recovery_tests_total{scenario,outcome}},
 *       {@code bmadflow_drill_last_run_timestamp_seconds{scenario}},
 *       {@code bmadflow_drill_last_result{scenario}}: recovery drills
 *   <li>readiness per project: {@code bmadflow_recovery_points}, {@code
 *       bmadflow_recovery_newest_point_age_seconds}, {@code bmadflow_recovery_capability_score},
 *       {@code bmadflow_recovery_estimated_seconds{strategy}}, {@code
 *       bmadflow_recovery_plan_age_seconds}; and {@code bmadflow_storage_capacity_bytes}
 * </ul>
 *
 * <p>Configuration: {@code BMADFLOW_METRICS_PORT} (default {@value #DEFAULT_PORT}, {@code 0} any
 * free port, {@code off} no endpoint) and the address to bind, from a command's
 * {@code --metrics-bind}, else {@code BMADFLOW_METRICS_BIND}, else the older
 * {@code BMADFLOW_METRICS_HOST}, else {@value #DEFAULT_BIND} (loopback only): the endpoint is
 * unauthenticated, so {@code 0.0.0.0} (all interfaces) or one interface's address exposes it on
 * purpose only. The address must be an IP literal (or {@code localhost}); no name is resolved.
 */
public final class BmadflowMetrics implements AutoCloseable {
  public static final int DEFAULT_PORT = 9464;
  /** The address the endpoint binds when nothing else is configured: loopback only. */
  public static final String DEFAULT_BIND = "127.0.0.1";
  public static final String PATH = "/metrics";
  public static final String COMMITTED = "committed";
  public static final String ALREADY_COMMITTED = "already_committed";
  public static final String FAILED = "failed";

  /** How often the Temporal SDK's metrics are pushed into the registry. */
  static final Duration TEMPORAL_REPORT_INTERVAL = Duration.ofSeconds(1);

  private final PrometheusMeterRegistry registry;
  private final HttpServer server;
  private final ExecutorService executor;
  private final InetAddress requested;
  private final Map<String, AtomicLong> storedBytes = new ConcurrentHashMap<>();
  private Scope temporalScope;

  private BmadflowMetrics(PrometheusMeterRegistry registry, HttpServer server, ExecutorService executor, InetAddress requested) {
    this.requested = requested;
    this.registry = registry;
    this.server = server;
    this.executor = executor;
  }

  /**
   * Serves a new registry on {@code host:port} ({@code 0}: any free port); throws naming the
   * address when it cannot be bound.
   */
  public static BmadflowMetrics start(String host, int port) {
    InetAddress address = bindAddress(host, "the metrics bind address");
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(address, port), 0);
    } catch (BindException e) {
      registry.close();
      throw new IllegalStateException("metrics endpoint cannot listen on " + host + ":" + port + " (" + e.getMessage()
          + "); set BMADFLOW_METRICS_PORT to a free port, 0 for any, or off, and --metrics-bind or BMADFLOW_METRICS_BIND"
          + " to an address of this machine (default " + DEFAULT_BIND + ")", e);
    } catch (IOException e) {
      registry.close();
      throw new UncheckedIOException("metrics endpoint cannot listen on " + host + ":" + port, e);
    }
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread thread = new Thread(r, "bmadflow-metrics");
      thread.setDaemon(true);
      return thread;
    });
    server.createContext(PATH, exchange -> serve(registry, exchange));
    server.setExecutor(executor);
    server.start();
    return new BmadflowMetrics(registry, server, executor, address);
  }

  /**
   * The endpoint the environment asks for, bound as {@link #bindSetting} says, or null when
   * {@code BMADFLOW_METRICS_PORT=off}.
   *
   * @param bindFlag the address a command line option names, or null to take it from the
   *     environment (default {@value #DEFAULT_BIND})
   * @param anyPortWhenBusy whether a busy default port falls back to any free one (the dev stack
   *     does; a worker fails instead, since its port is what Prometheus scrapes)
   */
  public static BmadflowMetrics fromEnvironment(Map<String, String> env, String bindFlag, boolean anyPortWhenBusy) {
    String host = bindSetting(env, bindFlag);
    String portSetting = env.getOrDefault("BMADFLOW_METRICS_PORT", "").trim();
    if (portSetting.equalsIgnoreCase("off")) {
      return null;
    }
    int port;
    if (portSetting.isEmpty()) {
      port = DEFAULT_PORT;
    } else {
      try {
        port = Integer.parseInt(portSetting);
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("BMADFLOW_METRICS_PORT is '" + portSetting
            + "': a port number, 0 for any free port, or off");
      }
    }
    try {
      return start(host, port);
    } catch (IllegalStateException busy) {
      if (anyPortWhenBusy && portSetting.isEmpty()) {
        return start(host, 0);
      }
      throw busy;
    }
  }

  /**
   * The address to bind: {@code bindFlag} when given, else {@code BMADFLOW_METRICS_BIND}, else
   * {@code BMADFLOW_METRICS_HOST} (the older name), else {@value #DEFAULT_BIND}; checked to be an
   * IP literal, so a typo fails here with the setting's name instead of at bind time.
   */
  public static String bindSetting(Map<String, String> env, String bindFlag) {
    String source;
    String value;
    if (bindFlag != null) {
      source = "--metrics-bind";
      value = bindFlag.trim();
    } else if (!env.getOrDefault("BMADFLOW_METRICS_BIND", "").isBlank()) {
      source = "BMADFLOW_METRICS_BIND";
      value = env.get("BMADFLOW_METRICS_BIND").trim();
    } else if (!env.getOrDefault("BMADFLOW_METRICS_HOST", "").isBlank()) {
      source = "BMADFLOW_METRICS_HOST";
      value = env.get("BMADFLOW_METRICS_HOST").trim();
    } else {
      return DEFAULT_BIND;
    }
    bindAddress(value, source);
    return value;
  }

  /** The address of an IP literal or {@code localhost}, never a name lookup; throws naming {@code source}. */
  private static InetAddress bindAddress(String value, String source) {
    String literal = value.startsWith("[") && value.endsWith("]") ? value.substring(1, value.length() - 1) : value;
    if (literal.equalsIgnoreCase("localhost")) {
      return InetAddress.getLoopbackAddress();
    }
    try {
      if (literal.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
        String[] parts = literal.split("\\.");
        byte[] bytes = new byte[4];
        boolean inRange = true;
        for (int i = 0; i < 4; i++) {
          int octet = Integer.parseInt(parts[i]);
          inRange &= octet <= 255;
          bytes[i] = (byte) octet;
        }
        if (inRange) {
          return InetAddress.getByAddress(bytes);
        }
      } else if (literal.matches("[0-9A-Fa-f]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?")) {
        // In brackets the JDK parses an IPv6 literal and never falls back to a name lookup.
        return InetAddress.getByName("[" + literal + "]");
      }
    } catch (UnknownHostException e) {
      // Not a literal after all: the error below.
    }
    throw new IllegalArgumentException(source + " is '" + value + "': not an IP address; use " + DEFAULT_BIND
        + " (the default, this machine only), 0.0.0.0 to serve metrics on all interfaces, or one interface's address");
  }

  private static void serve(PrometheusMeterRegistry registry, HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(200, -1);
        return;
      }
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /**
   * Records one checkpoint creation.
   *
   * @param type the checkpoint type ({@code automatic}, ...)
   * @param trigger its trigger ({@code phase_transition}, ...)
   * @param outcome {@link #COMMITTED}, {@link #ALREADY_COMMITTED} or {@link #FAILED}
   * @param seconds how long the creation took
   * @param bytesWritten bytes uploaded (0 when nothing was written)
   * @param storedBytes the package's stored size, or a negative number when unknown
   * @param projectId the project, for the stored-bytes gauge; null when unknown
   * @param validationStatus the metadata's validation status, or null when no validation ran
   */
  public void recordCheckpoint(String type, String trigger, String outcome, double seconds, long bytesWritten,
      long storedBytes, String projectId, String validationStatus) {
    String typeTag = tag(type);
    String triggerTag = tag(trigger);
    String outcomeTag = tag(outcome);
    Counter.builder("bmadflow.checkpoint.creations")
        .description("Checkpoint creations by type, trigger and outcome")
        .tags("type", typeTag, "trigger", triggerTag, "outcome", outcomeTag)
        .register(registry)
        .increment();
    Timer.builder("bmadflow.checkpoint.creation")
        .description("How long checkpoint creations take")
        .tags("type", typeTag, "trigger", triggerTag, "outcome", outcomeTag)
        .publishPercentileHistogram()
        .register(registry)
        .record(Duration.ofNanos((long) (Math.max(0, seconds) * 1e9)));
    if (bytesWritten > 0) {
      Counter.builder("bmadflow.checkpoint.bytes.written")
          .description("Bytes uploaded by checkpoint commits")
          .tags("type", typeTag, "trigger", triggerTag)
          .register(registry)
          .increment(bytesWritten);
    }
    if (validationStatus != null) {
      Counter.builder("bmadflow.checkpoint.validations")
          .description("Validation results of committed checkpoints")
          .tag("outcome", "passed".equalsIgnoreCase(validationStatus) ? "passed" : "failed")
          .register(registry)
          .increment();
    }
    if (projectId != null && storedBytes >= 0) {
      storedBytes(projectId).set(storedBytes);
    }
  }

  private AtomicLong storedBytes(String projectId) {
    return this.storedBytes.computeIfAbsent(projectId, project -> {
      AtomicLong value = new AtomicLong();
      Gauge.builder("bmadflow.checkpoint.stored.bytes", value, AtomicLong::doubleValue)
          .description("Stored size of the project's newest checkpoint")
          .tag("project", project)
          .register(registry);
      return value;
    });
  }

  /**
   * A workflow run's history reached half the server's limit:
   * {@code bmadflow_history_limit_warnings_total{workflow_type,kind}} ({@code kind} {@code size} or
   * {@code events}); tagged by workflow type, never by id, so the series stay few.
   */
  public void recordHistoryLimitWarning(String workflowType, String kind) {
    Counter.builder("bmadflow.history.limit.warnings")
        .description("Workflow runs whose history reached half of Temporal's history size or event limit")
        .tags("workflow_type", tag(workflowType), "kind", tag(kind))
        .register(registry)
        .increment();
  }

  // ---- recovery and readiness ----------------------------------------------------------------

  private final Map<String, java.util.concurrent.atomic.AtomicReference<Double>> gauges = new ConcurrentHashMap<>();

  /** A recovery finished: {@code bmadflow_recoveries_total} and {@code bmadflow_recovery_duration_seconds}. */
  public void recordRecovery(String strategy, String outcome, double seconds) {
    Counter.builder("bmadflow.recoveries")
        .description("Recoveries by strategy and outcome (recovered, failed, planned, nothing-to-recover)")
        .tags("strategy", tag(strategy), "outcome", tag(outcome))
        .register(registry).increment();
    if (!"planned".equals(outcome)) {
      Timer.builder("bmadflow.recovery.duration")
          .description("How long recoveries took, from initiation to their report")
          .tag("strategy", tag(strategy))
          .publishPercentileHistogram()
          .register(registry).record(Duration.ofMillis(Math.round(seconds * 1000)));
    }
  }

  /** A recovery drill ran: {@code bmadflow_recovery_tests_total} and the drill gauges. */
  public void recordRecoveryTest(String scenario, boolean passed, long finishedAtEpochSeconds) {
    Counter.builder("bmadflow.recovery.tests")
        .description("Recovery drills by scenario and outcome (passed, failed)")
        .tags("scenario", tag(scenario), "outcome", passed ? "passed" : "failed")
        .register(registry).increment();
    gauge("bmadflow.drill.last.run.timestamp.seconds", "When the scenario's last drill finished (Unix seconds)",
        finishedAtEpochSeconds, "scenario", tag(scenario));
    gauge("bmadflow.drill.last.result", "1 when the scenario's last drill recovered with nothing lost, else 0",
        passed ? 1 : 0, "scenario", tag(scenario));
  }

  /** The recovery readiness indicators of one project; see {@code ReadinessCalculator}. */
  public void recordReadiness(String project, int recoveryPoints, double newestAgeSeconds, double score,
      Map<String, Double> estimatedSeconds, double planAgeSeconds) {
    gauge("bmadflow.recovery.points", "Verified checkpoints the project can be recovered to", recoveryPoints, "project", project);
    if (newestAgeSeconds >= 0) {
      gauge("bmadflow.recovery.newest.point.age.seconds", "Age of the project's newest verified checkpoint",
          newestAgeSeconds, "project", project);
    }
    gauge("bmadflow.recovery.capability.score", "Recovery capability score, 0-100 (see docs/monitoring.md)", score,
        "project", project);
    estimatedSeconds.forEach((strategy, seconds) -> gauge("bmadflow.recovery.estimated.seconds",
        "Estimated recovery time by strategy", seconds, "project", project, "strategy", tag(strategy)));
    if (planAgeSeconds >= 0) {
      gauge("bmadflow.recovery.plan.age.seconds", "Time since the project's recovery was last exercised (a recovery or a passed drill)",
          planAgeSeconds, "project", project);
    }
  }

  /** The storage capacity checkpoints may use ({@code BMADFLOW_STORAGE_CAPACITY_BYTES}), for the capacity alert. */
  public void recordStorageCapacity(long bytes) {
    gauge("bmadflow.storage.capacity.bytes", "Capacity of the checkpoint storage, as configured", bytes);
  }

  private void gauge(String name, String description, double value, String... tags) {
    String key = name + java.util.Arrays.toString(tags);
    gauges.computeIfAbsent(key, k -> {
      java.util.concurrent.atomic.AtomicReference<Double> holder = new java.util.concurrent.atomic.AtomicReference<>(0.0);
      Gauge.builder(name, holder, java.util.concurrent.atomic.AtomicReference::get)
          .description(description)
          .tags(tags)
          .register(registry);
      return holder;
    }).set(value);
  }

  private static String tag(String value) {
    return value == null || value.isBlank() ? "unknown" : value.toLowerCase(Locale.ROOT);
  }

  /** The registry, for more meters. */
  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text of every meter, as {@code /metrics} serves it. */
  public String scrape() {
    return registry.scrape();
  }

  /**
   * A Temporal metrics scope reporting into this registry (every second), for
   * {@code WorkflowServiceStubsOptions.setMetricsScope}; the same scope on every call.
   */
  public synchronized Scope temporalScope() {
    if (temporalScope == null) {
      temporalScope = new RootScopeBuilder()
          .reporter(new MicrometerClientStatsReporter(registry))
          .reportEvery(com.uber.m3.util.Duration.ofMillis(TEMPORAL_REPORT_INTERVAL.toMillis()));
    }
    return temporalScope;
  }

  /** The port the endpoint listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  /**
   * The address the endpoint is bound to, as the socket reports it; the wildcard as it was asked
   * for ({@code 0.0.0.0} or {@code ::}), since a dual-stack socket reports {@code ::} for both.
   */
  public String boundAddress() {
    InetAddress bound = server.getAddress().getAddress();
    return (bound.isAnyLocalAddress() ? requested : bound).getHostAddress();
  }

  /** Whether the endpoint listens on every interface of the machine, not one address. */
  public boolean listensOnAllInterfaces() {
    return server.getAddress().getAddress().isAnyLocalAddress();
  }

  /** The endpoint's URL with the address actually bound ({@code http://0.0.0.0:9464/metrics} for all interfaces). */
  public String url() {
    String shown = boundAddress();
    int zone = shown.indexOf('%');
    if (zone >= 0) {
      shown = shown.substring(0, zone);
    }
    if (shown.contains(":")) {
      shown = "[" + shown + "]";
    }
    return "http://" + shown + ":" + port() + PATH;
  }

  /** The URL and, when the endpoint listens on every interface, a note saying so; what commands print. */
  public String describe() {
    return url() + (listensOnAllInterfaces() ? " (all interfaces)" : "");
  }

  /** Stops the endpoint and the Temporal scope's reporting. */
  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    synchronized (this) {
      if (temporalScope != null) {
        try {
          temporalScope.close();
        } catch (Exception e) {
          // closing flushes a last report; nothing to do when that fails
        }
      }
    }
    registry.close();
  }
}
