package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.temporal.TemporalConnection;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code bmadflow dev} and {@code demo} on the real dev server: the first line says which server
 * runs, the Web UI and the project's page are printed and answer, the export lines give a
 * production-default worker, and SIGTERM leaves no server running.
 */
class DevServerCommandTest {
  private static final Pattern FIRST_LINE = Pattern.compile(
      "temporal: dev server \\S+ \\(Server \\S+\\) at 127\\.0\\.0\\.1:(\\d+), UI (http://127\\.0\\.0\\.1:\\d+)");

  @Test
  void devPrintsTheServerAndTheUiAndStopsTheServerOnSigterm(@TempDir Path dataDir) throws Exception {
    DevServerFixture.cli();
    Process process = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"),
        Main.class.getName(), "dev", "--temporal", "dev-server", "--data-dir", dataDir.toString(),
        "--temporal-port", "0", "--s3-port", "0")
        .redirectError(dataDir.resolve("dev.err").toFile())
        .start();
    Map<String, String> env = new LinkedHashMap<>();
    List<String> lines = new ArrayList<>();
    List<ProcessHandle> children;
    try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null && !line.equals("Ctrl-C to stop.")) {
        lines.add(line);
        if (line.startsWith("export ")) {
          String[] kv = line.substring("export ".length()).split("=", 2);
          env.put(kv[0], kv[1]);
        }
      }
      assertFalse(lines.isEmpty(), "dev printed nothing; see " + dataDir.resolve("dev.err"));
      Matcher first = FIRST_LINE.matcher(lines.get(0));
      assertTrue(first.matches(), lines.get(0));
      String ui = first.group(2);
      assertTrue(lines.contains("  Web UI    " + ui), lines.toString());
      assertTrue(lines.contains("  projects  " + ui + "/namespaces/default/workflows/bmadflow-project-<project-id>"), lines.toString());
      assertEquals("127.0.0.1:" + first.group(1), env.get("TEMPORAL_ADDRESS"));
      assertFalse(env.containsKey("BMADFLOW_DEV_STACK"), "a worker of the dev server must keep production defaults");
      try (TemporalConnection temporal = TemporalConnection.fromEnvironment(env)) {
        assertFalse(temporal.isDevStack());
      }
      assertEquals(200, HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ui)).GET().build(),
          HttpResponse.BodyHandlers.discarding()).statusCode());
      children = process.descendants().toList();
      assertFalse(children.isEmpty(), "the dev server is not a child process of dev");

      process.destroy(); // SIGTERM
      assertTrue(process.waitFor(30, TimeUnit.SECONDS), "dev did not stop on SIGTERM");
      assertEquals(143, process.exitValue());
    } finally {
      process.destroyForcibly();
    }
    for (ProcessHandle child : children) {
      child.onExit().get(10, TimeUnit.SECONDS);
      assertFalse(child.isAlive(), "the dev server (pid " + child.pid() + ") was left running");
    }
  }

  @Test
  void demoRunsOnTheDevServerAndPrintsTheProjectsPage(@TempDir Path dataDir) throws Exception {
    DevServerFixture.cli();
    CommandLine cli = Main.commandLine(System.getenv());
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(new StringWriter(), true));
    int code;
    try (var services = ((io.bmadflow.client.cli.BmadflowCommand) cli.getCommand()).services()) {
      code = cli.execute("demo", "--temporal", "dev-server", "--data-dir", dataDir.toString(), "--agent-step-ms", "20",
          "--kill-after-steps", "3");
    }
    String text = out.toString();
    assertEquals(0, code, text);
    assertTrue(FIRST_LINE.matcher(text.lines().findFirst().orElse("")).matches(), text);
    Matcher link = Pattern.compile("Web UI: (http://127\\.0\\.0\\.1:\\d+/namespaces/default/workflows/bmadflow-project-greenfield-demo-\\S+)")
        .matcher(text);
    assertTrue(link.find(), text);
    assertTrue(text.contains("inspect it in the Web UI: " + link.group(1)), text);
    assertTrue(text.contains("COMPLETED"), text);
  }
}
