package io.bmadflow.activities.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.Workspace;
import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import io.bmadflow.workflows.agents.ArtifactRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link CommandAgentRunner} and {@link AgentRoster} with real processes: shell scripts in a temp dir. */
class CommandAgentRunnerTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Runnable NO_PROGRESS = () -> {};

  @TempDir Path temp;
  private Workspace workspace;

  @BeforeEach
  void setUp() {
    workspace = Workspace.of(temp.resolve("workspaces"), "my-app", null);
  }

  @Test
  void scriptAgentWritesAnArtifactReportsItAndLeavesATranscript() throws IOException {
    Path agent = script("pm.sh", """
        cat > "$BMADFLOW_WORKSPACE/../prompt-seen.md"
        mkdir -p docs
        printf '# PRD\\n\\nGoals: durable runs.\\n' > docs/prd.md
        echo "thinking about the requirements" >&2
        echo "BMADFLOW-ARTIFACT: docs/prd.md"
        echo "BMADFLOW-FLAG: po_checklist_issues=false"
        echo "BMADFLOW-STORY: 1.1"
        echo "BMADFLOW-STORY: 1.2"
        echo "wrote the PRD"
        echo ""
        """);
    AgentStepRequest request = request("pm", null, "prd.md", Map.of("docs/project-brief.md",
        new ArtifactRef("docs/project-brief.md", "ab".repeat(32), 123)));

    AgentStepResult result = runner(agent).run(request, workspace, NO_PROGRESS);

    byte[] prd = Files.readAllBytes(workspace.root().resolve("docs/prd.md"));
    assertEquals(List.of(new ArtifactRef("docs/prd.md", Sha256.hex(prd), prd.length)), result.artifacts());
    assertEquals(Map.of("po_checklist_issues", false), result.flags());
    assertEquals(List.of("1.1", "1.2"), result.stories());
    assertEquals("wrote the PRD", result.summary());
    assertEquals("pm", result.agent());

    String transcript = Files.readString(workspace.root().resolve(".bmadflow/transcripts/2-pm.log"));
    assertTrue(transcript.contains("wrote the PRD"), transcript);
    assertTrue(transcript.contains("BMADFLOW-ARTIFACT: docs/prd.md"), transcript);
    assertTrue(transcript.contains("thinking about the requirements"), transcript);
    assertTrue(transcript.contains("outcome: exit code 0"), transcript);

    String prompt = Files.readString(workspace.root().resolveSibling("prompt-seen.md"));
    for (String expected : List.of("my-app", "planning", "pm", "Creates: prd.md", "docs/prd.md",
        "Requires", "project_brief", "Hand over the PRD.", "docs/project-brief.md", "BMADFLOW-ARTIFACT:")) {
      assertTrue(prompt.contains(expected), "the prompt lacks '" + expected + "':\n" + prompt);
    }
  }

  @Test
  void aV4StepGivesTheAgentItsUsesNotesAndOptionalStepsAndItsRemarkedArtifactByItsName() throws IOException {
    Path agent = script("ux.sh", """
        cat > "$BMADFLOW_WORKSPACE/../prompt-v4.md"
        env | grep '^BMADFLOW_' | sort > "$BMADFLOW_WORKSPACE/../env-v4.txt"
        mkdir -p docs
        printf '# AI UI prompt\\n' > docs/v0_prompt.md
        echo "wrote the generator prompt"
        """);
    AgentStepRequest request = new AgentStepRequest("my-app", null, "planning", 3, "ux-expert", null,
        "v0_prompt (optional)", null, null, List.of("front-end-spec.md"), null, null, Map.of(), false,
        "generate-ai-frontend-prompt", List.of("user_research_prompt"), "Only when the user wants one.\nThen stop.");

    AgentStepResult result = runner(agent).run(request, workspace, NO_PROGRESS);

    // The agent reported no file: the conventional path of the artifact's name (without its remark) counts.
    assertEquals(List.of("docs/v0_prompt.md"), result.artifacts().stream().map(ArtifactRef::path).toList());
    String prompt = Files.readString(workspace.root().resolveSibling("prompt-v4.md"));
    for (String expected : List.of("Uses: generate-ai-frontend-prompt", "## Optional steps to do first\n- user_research_prompt",
        "## Notes from the workflow definition\nOnly when the user wants one.\nThen stop.",
        "conventionally at docs/v0_prompt.md")) {
      assertTrue(prompt.contains(expected), "the prompt lacks '" + expected + "':\n" + prompt);
    }
    String env = Files.readString(workspace.root().resolveSibling("env-v4.txt"));
    assertTrue(env.contains("BMADFLOW_USES=generate-ai-frontend-prompt\n"), env);
    assertTrue(env.contains("BMADFLOW_OPTIONAL_STEPS=user_research_prompt\n"), env);
  }

  @Test
  void nonZeroExitFailsNamingTheAgentTheExitCodeAndStderr() {
    Path agent = script("failing.sh", """
        echo "starting"
        echo "model quota exceeded, try later" >&2
        exit 3
        """);

    IllegalStateException failure = assertThrows(IllegalStateException.class,
        () -> runner(agent).run(request("pm", null, null, Map.of()), workspace, NO_PROGRESS));

    assertTrue(failure.getMessage().contains("agent pm"), failure.getMessage());
    assertTrue(failure.getMessage().contains("exit code 3"), failure.getMessage());
    assertTrue(failure.getMessage().contains("model quota exceeded, try later"), failure.getMessage());
    assertTrue(Files.isRegularFile(workspace.root().resolve(".bmadflow/transcripts/2-pm.log")));
  }

  @Test
  void timeoutDestroysTheCommandAndItsChildrenEvenWhenTheyIgnoreSigterm() throws Exception {
    Path pids = temp.resolve("pids");
    Path agent = script("stuck.sh", """
        trap '' TERM
        sleep 60 &
        echo "$$ $!" > '%s'
        echo "still working" >&2
        wait
        """.formatted(pids));
    CommandAgentRunner runner = new CommandAgentRunner(List.of(agent.toString()), Duration.ofSeconds(1));

    long start = System.nanoTime();
    IllegalStateException failure = assertThrows(IllegalStateException.class,
        () -> runner.run(request("dev", "1.1", null, Map.of()), workspace, NO_PROGRESS));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertTrue(failure.getMessage().contains("timeout of 1 s"), failure.getMessage());
    assertTrue(failure.getMessage().contains("agent dev"), failure.getMessage());
    assertTrue(took.compareTo(Duration.ofSeconds(15)) < 0, "took " + took);
    for (String pid : Files.readString(pids).strip().split(" ")) {
      assertTrue(gone(Long.parseLong(pid), Duration.ofSeconds(10)), "process " + pid + " is still alive");
    }
    String transcript = Files.readString(workspace.root().resolve(".bmadflow/transcripts/5-1.1-dev.log"));
    assertTrue(transcript.contains("timed out"), transcript);
    assertTrue(transcript.contains("still working"), transcript);
  }

  @ParameterizedTest
  @ValueSource(strings = {"../escape.md", "/etc/passwd", "docs\\prd.md"})
  void unsafeArtifactPathsAreRefusedNamingThePath(String path) throws IOException {
    Files.createDirectories(workspace.root());
    Files.writeString(workspace.root().resolveSibling("escape.md"), "outside");
    Path agent = script("escaping.sh", "echo 'BMADFLOW-ARTIFACT: " + path + "'\n");

    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> runner(agent).run(request("pm", null, null, Map.of()), workspace, NO_PROGRESS));

    assertTrue(failure.getMessage().contains("'" + path + "'"), failure.getMessage());
    assertTrue(failure.getMessage().contains("agent pm"), failure.getMessage());
  }

  @Test
  void anArtifactLinkingOutOfTheWorkspaceIsRefused() throws IOException {
    Path outside = Files.writeString(temp.resolve("secret.txt"), "secret");
    Files.createDirectories(workspace.root().resolve("docs"));
    Files.createSymbolicLink(workspace.root().resolve("docs/link.md"), outside);
    Path agent = script("linking.sh", "echo 'BMADFLOW-ARTIFACT: docs/link.md'\n");

    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> runner(agent).run(request("pm", null, null, Map.of()), workspace, NO_PROGRESS));

    assertTrue(failure.getMessage().contains("docs/link.md"), failure.getMessage());
    assertTrue(failure.getMessage().contains("symbolic link"), failure.getMessage());
  }

  @Test
  void aReportedFileThatDoesNotExistAndMalformedProtocolLinesAreRefused() {
    Path missing = script("missing.sh", "echo 'BMADFLOW-ARTIFACT: docs/never-written.md'\n");
    IllegalArgumentException noFile = assertThrows(IllegalArgumentException.class,
        () -> runner(missing).run(request("pm", null, null, Map.of()), workspace, NO_PROGRESS));
    assertTrue(noFile.getMessage().contains("docs/never-written.md"), noFile.getMessage());
    assertTrue(noFile.getMessage().contains("no such file"), noFile.getMessage());

    Path badFlag = script("bad-flag.sh", "echo 'BMADFLOW-FLAG: po_checklist_issues=maybe'\n");
    IllegalArgumentException flag = assertThrows(IllegalArgumentException.class,
        () -> runner(badFlag).run(request("po", null, null, Map.of()), workspace, NO_PROGRESS));
    assertTrue(flag.getMessage().contains("po_checklist_issues=maybe"), flag.getMessage());

    Path badStory = script("bad-story.sh", "echo 'BMADFLOW-STORY: ../1'\n");
    IllegalArgumentException story = assertThrows(IllegalArgumentException.class,
        () -> runner(badStory).run(request("po", null, null, Map.of()), workspace, NO_PROGRESS));
    assertTrue(story.getMessage().contains("'../1'"), story.getMessage());
  }

  @Test
  void heartbeatsWhileTheCommandRuns() {
    Path agent = script("slow.sh", "sleep 2.5\necho done\n");
    AtomicInteger beats = new AtomicInteger();

    runner(agent).run(request("architect", null, null, Map.of()), workspace, beats::incrementAndGet);

    assertTrue(beats.get() >= 2, "only " + beats.get() + " heartbeats in 2.5 s");
  }

  @Test
  void theStepsEnvironmentReachesTheCommandAndTheWorkersSettingsDoNot() throws IOException {
    Path seen = temp.resolve("env-seen.txt");
    String printEnv = """
        for name in BMADFLOW_PROJECT_ID BMADFLOW_PHASE BMADFLOW_AGENT BMADFLOW_STEP_INDEX \\
            BMADFLOW_STORY_ID BMADFLOW_CREATES BMADFLOW_WORKSPACE; do
          eval "echo $name=\\${$name-unset}"
        done > '%s'
        echo "cwd=$(pwd -P)" >> '%s'
        """.formatted(seen, seen);
    Path agent = script("env.sh", printEnv);

    runner(agent).run(request("sm", "1.2", "story.md", Map.of()), workspace, NO_PROGRESS);
    Map<String, String> env = readPairs(seen);
    assertEquals("my-app", env.get("BMADFLOW_PROJECT_ID"));
    assertEquals("planning", env.get("BMADFLOW_PHASE"));
    assertEquals("sm", env.get("BMADFLOW_AGENT"));
    assertEquals("2", env.get("BMADFLOW_STEP_INDEX"));
    assertEquals("1.2", env.get("BMADFLOW_STORY_ID"));
    assertEquals("story.md", env.get("BMADFLOW_CREATES"));
    assertEquals(workspace.root().toString(), env.get("BMADFLOW_WORKSPACE"));
    assertEquals(workspace.root().toRealPath().toString(), env.get("cwd"));

    runner(agent).run(request("analyst", null, null, Map.of()), workspace, NO_PROGRESS);
    Map<String, String> without = readPairs(seen);
    assertEquals("unset", without.get("BMADFLOW_STORY_ID"));
    assertEquals("unset", without.get("BMADFLOW_CREATES"));
  }

  @Test
  void anAgentGetsTheAllowListedEnvironmentAndNoneOfTheWorkersSecrets() throws IOException {
    // The worker's environment as a worker on a cloud host has it, the agent command being env itself.
    Map<String, String> worker = new TreeMap<>();
    worker.put("PATH", "/usr/local/bin:/usr/bin:/bin");
    worker.put("LANG", "C.UTF-8");
    worker.put("TERM", "xterm");
    worker.put("HOME", "/root");
    worker.put("USER", "root");
    worker.put("SSH_AUTH_SOCK", "/tmp/ssh-agent.sock");
    worker.put("AWS_ACCESS_KEY_ID", "AKIA-WORKER");
    worker.put("AWS_SECRET_ACCESS_KEY", "worker-aws-secret");
    worker.put("AWS_SESSION_TOKEN", "worker-aws-session");
    worker.put("GITHUB_TOKEN", "worker-github-token");
    worker.put("BMADFLOW_S3_SECRET_KEY", "worker-s3-secret");
    worker.put("BMADFLOW_CHECKPOINT_KEY", "worker-checkpoint-key");
    worker.put("TEMPORAL_API_KEY", "worker-temporal-key");
    worker.put("ANTHROPIC_API_KEY", "sk-ant-for-agents");
    worker.put("BMADFLOW_AGENT_ENV", " ANTHROPIC_API_KEY, OPENAI_API_KEY,,");
    worker.put("BMADFLOW_AGENT_COMMAND_PM", "/usr/bin/env");
    AgentRoster roster = AgentRoster.fromEnvironment(worker, new BuiltInAgentRunner(Duration.ZERO));

    roster.run(request("pm", "1.2", "prd.md", Map.of()), workspace, NO_PROGRESS);

    String transcript = Files.readString(workspace.root().resolve(".bmadflow/transcripts/2-1.2-pm.log"));
    String stdout = transcript.substring(transcript.indexOf("## stdout\n") + 10, transcript.indexOf("\n## stderr"));
    Map<String, String> env = new TreeMap<>();
    for (String line : stdout.strip().split("\n")) {
      env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
    }
    Path home = workspace.root().resolve(".bmadflow/home/pm");
    Path tmp = workspace.root().resolve(".bmadflow/tmp/pm");
    Map<String, String> expected = new TreeMap<>(Map.ofEntries(
        Map.entry("PATH", "/usr/local/bin:/usr/bin:/bin"),
        Map.entry("LANG", "C.UTF-8"),
        Map.entry("TERM", "xterm"),
        Map.entry("HOME", home.toString()),
        Map.entry("TMPDIR", tmp.toString()),
        Map.entry("ANTHROPIC_API_KEY", "sk-ant-for-agents"),
        Map.entry("BMADFLOW_PROJECT_ID", "my-app"),
        Map.entry("BMADFLOW_PHASE", "planning"),
        Map.entry("BMADFLOW_AGENT", "pm"),
        Map.entry("BMADFLOW_STEP_INDEX", "2"),
        Map.entry("BMADFLOW_WORKSPACE", workspace.root().toString()),
        Map.entry("BMADFLOW_STORY_ID", "1.2"),
        Map.entry("BMADFLOW_CREATES", "prd.md")));
    assertEquals(expected, env);
    assertTrue(Files.isDirectory(home) && Files.isDirectory(tmp), "the agent's own directories exist");
    for (String secret : List.of("AKIA-WORKER", "worker-aws-secret", "worker-aws-session", "worker-github-token",
        "worker-s3-secret", "worker-checkpoint-key", "worker-temporal-key", "/root")) {
      assertFalse(stdout.contains(secret), "the agent saw '" + secret + "':\n" + stdout);
    }
    assertEquals(List.of("ANTHROPIC_API_KEY", "OPENAI_API_KEY"),
        command(roster.commands().get("pm")).environment().passedThrough());
  }

  @Test
  void theRunnerWithoutAnEnvironmentGivesOnlyTheBaseVariablesOfThisJvm() throws IOException {
    Path seen = temp.resolve("names-seen.txt");
    // export -p lists what the shell was given (dash adds PWD and, without PATH, nothing else).
    Path agent = script("names.sh", "export -p | sed -e 's/^export //' -e 's/=.*//' | sort > '" + seen + "'\n");

    runner(agent).run(request("analyst", null, null, Map.of()), workspace, NO_PROGRESS);

    Set<String> names = new java.util.TreeSet<>(Files.readAllLines(seen));
    names.remove("PWD");
    Set<String> allowed = new java.util.TreeSet<>(AgentEnvironment.BASE);
    allowed.addAll(List.of("HOME", "TMPDIR", "BMADFLOW_PROJECT_ID", "BMADFLOW_PHASE", "BMADFLOW_AGENT",
        "BMADFLOW_STEP_INDEX", "BMADFLOW_WORKSPACE"));
    assertTrue(allowed.containsAll(names), "unexpected variables: " + names);
    assertTrue(names.contains("HOME") && names.contains("BMADFLOW_AGENT"), names.toString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"BMADFLOW_S3_SECRET_KEY", "TEMPORAL_API_KEY", "HOME", "TMPDIR", "OPENAI_API_KEY=sk-secret",
      "NOT A NAME"})
  void aPassThroughListNamingWhatAgentsMayNotGetStopsTheWorkerNamingTheEntry(String entry) {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_ENV", "ANTHROPIC_API_KEY," + entry),
            new BuiltInAgentRunner(Duration.ZERO)));
    String message = refused.getMessage();
    assertTrue(message.startsWith("BMADFLOW_AGENT_ENV lists "), message);
    String name = entry.contains("=") ? entry.substring(0, entry.indexOf('=')) : entry;
    assertTrue(message.contains(name), message);
    assertFalse(message.contains("sk-secret"), "a value in the list is not repeated: " + message);
    assertTrue(message.contains("remove") || message.contains("list names"), message);
  }

  @Test
  void anAwsNameTheOperatorListsIsPassed() {
    AgentEnvironment environment = AgentEnvironment.fromEnvironment(Map.of(
        "BMADFLOW_AGENT_ENV", "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID", "AKIA-AGENT", "AWS_SECRET_ACCESS_KEY", "agent-secret", "AWS_SESSION_TOKEN", "not-listed"));
    Map<String, String> env = environment.forStep(request("dev", "1.1", null, Map.of()), workspace.root());
    assertEquals("AKIA-AGENT", env.get("AWS_ACCESS_KEY_ID"));
    assertEquals("agent-secret", env.get("AWS_SECRET_ACCESS_KEY"));
    assertFalse(env.containsKey("AWS_SESSION_TOKEN"));
  }

  @Test
  void anAgentHomeThatLinksOutOfTheWorkspaceIsRefused() throws IOException {
    Path outside = Files.createDirectories(temp.resolve("elsewhere"));
    Files.createDirectories(workspace.root().resolve(".bmadflow/home"));
    Files.createSymbolicLink(workspace.root().resolve(".bmadflow/home/pm"), outside);
    Path agent = script("pm.sh", "echo ran > \"$HOME/ran\"\n");

    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> runner(agent).run(request("pm", null, null, Map.of()), workspace, NO_PROGRESS));

    assertTrue(refused.getMessage().contains("agent pm: its home .bmadflow/home/pm leads out of the workspace"),
        refused.getMessage());
    assertFalse(Files.exists(outside.resolve("ran")), "the command did not run");
    assertEquals("_.", AgentEnvironment.directoryName(".."));
    assertEquals("game_designer", AgentEnvironment.directoryName("game/designer"));
  }

  @Test
  void withoutAReportTheConventionalPathOfWhatTheStepCreatesIsTheArtifact() throws IOException {
    Path agent = script("quiet.sh", "mkdir -p docs && echo spec > docs/front-end-spec.md\n");

    AgentStepResult result =
        runner(agent).run(request("ux-expert", null, "front-end-spec", Map.of()), workspace, NO_PROGRESS);

    byte[] spec = Files.readAllBytes(workspace.root().resolve("docs/front-end-spec.md"));
    assertEquals(List.of(new ArtifactRef("docs/front-end-spec.md", Sha256.hex(spec), spec.length)),
        result.artifacts());
    assertEquals("ux-expert finished", result.summary());
    assertEquals("docs/prd.md", CommandAgentRunner.conventionalPath("prd.md"));
    assertEquals("docs/prd.md", CommandAgentRunner.conventionalPath("prd"));
  }

  @Test
  void theRosterRoutesConfiguredAgentsToTheirCommandAndOthersToTheBuiltInAgents() {
    Path agent = script("pm.sh", "echo 'the command pm ran'\n");
    AgentRoster roster = AgentRoster.fromEnvironment(
        Map.of("BMADFLOW_AGENT_COMMAND_PM", agent.toString()), new BuiltInAgentRunner(Duration.ZERO));

    assertEquals("the command pm ran",
        roster.run(request("pm", null, "prd.md", Map.of()), workspace, NO_PROGRESS).summary());
    AgentStepResult analyst = roster.run(request("analyst", null, "project-brief.md", Map.of()), workspace, NO_PROGRESS);
    assertEquals("created docs/project-brief.md", analyst.summary());
    assertTrue(roster.serves("pm") && roster.serves("analyst") && roster.serves("spec-validator"));
    assertFalse(roster.serves("game-designer"));
    assertEquals(BuiltInAgentRunner.served(), roster.served());

    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> roster.run(request("game-designer", null, null, Map.of()), workspace, NO_PROGRESS));
    assertTrue(unknown.getMessage().contains("'game-designer'"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains(String.join(", ", BuiltInAgentRunner.served())), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("BMADFLOW_AGENT_COMMAND_GAME_DESIGNER"), unknown.getMessage());
  }

  @Test
  void fromEnvironmentReadsTheVariablesAndTheAgentsFile() throws IOException {
    Path agent = script("agent.sh", "echo ok\n");
    Path file = Files.writeString(temp.resolve("agents.properties"), """
        # agents of an expansion pack
        game-designer = %1$s --role designer
        pm=%1$s --from-file
        """.formatted(agent));
    Map<String, String> env = new HashMap<>();
    env.put("BMADFLOW_AGENT_COMMAND_UX_EXPERT", "  " + agent + "   --fast\t--model  small ");
    env.put("BMADFLOW_AGENT_COMMAND_PM", agent + " --from-env");
    env.put("BMADFLOW_AGENT_COMMAND_QA", " ");
    env.put("BMADFLOW_AGENTS_FILE", file.toString());
    env.put("BMADFLOW_AGENT_TIMEOUT_SECONDS", "42");

    AgentRoster roster = AgentRoster.fromEnvironment(env, new BuiltInAgentRunner(Duration.ZERO));

    Map<String, AgentRunner> commands = roster.commands();
    assertEquals(List.of("game-designer", "pm", "ux-expert"), commands.keySet().stream().sorted().toList());
    assertEquals(List.of(agent.toString(), "--fast", "--model", "small"), command(commands.get("ux-expert")).command());
    assertEquals(List.of(agent.toString(), "--from-env"), command(commands.get("pm")).command());
    assertEquals(List.of(agent.toString(), "--role", "designer"), command(commands.get("game-designer")).command());
    assertEquals(Duration.ofSeconds(42), command(commands.get("pm")).timeout());
    assertTrue(roster.serves("game-designer"));
    assertTrue(roster.served().contains("game-designer") && roster.served().contains("qa"));
    assertEquals(null, roster.anyAgent());

    AgentRoster catchAll = AgentRoster.fromEnvironment(
        Map.of("BMADFLOW_AGENT_COMMAND", agent.toString()), new BuiltInAgentRunner(Duration.ZERO));
    assertTrue(catchAll.serves("any-expansion-agent"));
    assertEquals(AgentRoster.DEFAULT_TIMEOUT, command(catchAll.anyAgent()).timeout());
    assertEquals("ok",
        catchAll.run(request("analyst", null, null, Map.of()), workspace, NO_PROGRESS).summary());
  }

  @Test
  void fromEnvironmentRefusesABadConfigurationNamingWhatIsWrong() throws IOException {
    BuiltInAgentRunner builtIn = new BuiltInAgentRunner(Duration.ZERO);
    IllegalArgumentException timeout = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_TIMEOUT_SECONDS", "soon"), builtIn));
    assertTrue(timeout.getMessage().contains("BMADFLOW_AGENT_TIMEOUT_SECONDS"), timeout.getMessage());

    Path notExecutable = Files.writeString(temp.resolve("plain.sh"), "echo\n");
    IllegalArgumentException program = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_COMMAND_PM", notExecutable.toString()), builtIn));
    assertTrue(program.getMessage().contains("BMADFLOW_AGENT_COMMAND_PM"), program.getMessage());
    assertTrue(program.getMessage().contains("not an executable file"), program.getMessage());

    Path missing = temp.resolve("no-such-agents.properties");
    IllegalArgumentException file = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENTS_FILE", missing.toString()), builtIn));
    assertTrue(file.getMessage().contains(missing.toString()), file.getMessage());

    Path empty = Files.writeString(temp.resolve("empty.properties"), "pm =\n");
    IllegalArgumentException blank = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENTS_FILE", empty.toString()), builtIn));
    assertTrue(blank.getMessage().contains("'pm'") && blank.getMessage().contains("no command"), blank.getMessage());
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static CommandAgentRunner runner(Path script) {
    return new CommandAgentRunner(List.of(script.toString()), TIMEOUT);
  }

  private static CommandAgentRunner command(AgentRunner runner) {
    assertNotNull(runner);
    return assertInstanceOf(CommandAgentRunner.class, runner);
  }

  private AgentStepRequest request(String agent, String storyId, String creates, Map<String, ArtifactRef> known) {
    int stepIndex = storyId != null && agent.equals("dev") ? 5 : 2;
    return new AgentStepRequest("my-app", null, "planning", stepIndex, agent, null, creates, null, null,
        List.of("project_brief"), storyId, "Hand over the PRD.", known);
  }

  private Path script(String name, String body) {
    try {
      Path bin = Files.createDirectories(temp.resolve("bin"));
      Path script = bin.resolve(name);
      Files.writeString(script, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
      return script;
    } catch (IOException e) {
      throw new AssertionError("cannot write the script " + name, e);
    }
  }

  /** Whether the process is gone within the wait; an orphan's zombie lasts until init reaps it. */
  private static boolean gone(long pid, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(50);
    }
    return true;
  }

  private static Map<String, String> readPairs(Path file) throws IOException {
    Map<String, String> pairs = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      int eq = line.indexOf('=');
      pairs.put(line.substring(0, eq), line.substring(eq + 1));
    }
    return pairs;
  }
}
