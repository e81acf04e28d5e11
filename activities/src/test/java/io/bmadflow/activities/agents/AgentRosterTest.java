package io.bmadflow.activities.agents;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.activities.Workspace;
import io.bmadflow.workflows.agents.AgentStepRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The fallback runners {@link AgentRoster#fromEnvironment} configures, with real processes. */
class AgentRosterTest {
  private static final Runnable NO_PROGRESS = () -> {};

  @TempDir Path temp;
  private Workspace workspace;
  private BuiltInAgentRunner builtIn;

  @BeforeEach
  void setUp() {
    workspace = Workspace.of(temp.resolve("workspaces"), "my-app", null);
    builtIn = new BuiltInAgentRunner(Duration.ZERO);
  }

  @Test
  void fallbacksComeFromTheVariablesAndTheAgentsFileTheVariableWinning() throws IOException {
    Path agent = script("agent.sh", "echo \"$0 $*\"\n");
    Path file = Files.writeString(temp.resolve("agents.properties"), """
        game-designer = %1$s --designer
        fallback.game-designer = %1$s --designer-fallback
        fallback.pm = %1$s --pm-from-file
        fallback.analyst = builtin
        """.formatted(agent));
    Map<String, String> env = new HashMap<>();
    env.put("BMADFLOW_AGENTS_FILE", file.toString());
    env.put("BMADFLOW_AGENT_FALLBACK_PM", "  " + agent + "  --pm-from-env\t--model small ");
    env.put("BMADFLOW_AGENT_FALLBACK_UX_EXPERT", " builtin ");
    env.put("BMADFLOW_AGENT_FALLBACK_QA", " ");
    env.put("BMADFLOW_AGENT_FALLBACK_AFTER", "5");
    env.put("BMADFLOW_AGENT_TIMEOUT_SECONDS", "42");

    AgentRoster roster = AgentRoster.fromEnvironment(env, builtIn);

    assertEquals(List.of(agent.toString(), "--pm-from-env", "--model", "small"), command(roster.fallbackFor("pm")).command());
    assertEquals(Duration.ofSeconds(42), command(roster.fallbackFor("pm")).timeout());
    assertEquals(List.of(agent.toString(), "--designer-fallback"), command(roster.fallbackFor("game-designer")).command());
    assertEquals(List.of(agent.toString(), "--designer"), command(roster.commands().get("game-designer")).command());
    assertSame(builtIn, roster.fallbackFor("analyst"));
    assertSame(builtIn, roster.fallbackFor("ux-expert"));
    assertFalse(roster.hasFallback("qa"), "a blank variable configures nothing");
    assertFalse(roster.hasFallback("architect"));
    assertFalse(roster.hasFallback("after"), "BMADFLOW_AGENT_FALLBACK_AFTER names no agent");
    assertEquals(5, roster.fallbackAfter());
    assertEquals(List.of("game-designer"), List.copyOf(roster.commands().keySet()), "fallback lines are no agents");

    String primary = roster.run(request("pm"), workspace, NO_PROGRESS).summary();
    String fallback = roster.run(request("pm").withFallback(), workspace, NO_PROGRESS).summary();
    assertEquals("created docs/prd.md", primary, "the built-in pm is still the primary");
    assertEquals(agent + " --pm-from-env --model small", fallback);
  }

  @Test
  void theCatchAllFallbackServesEveryAgentWithoutItsOwn() {
    Path agent = script("agent.sh", "echo \"$0 $*\"\n");
    Path own = script("own.sh", "echo own\n");

    AgentRoster command = AgentRoster.fromEnvironment(Map.of(
        "BMADFLOW_AGENT_COMMAND", agent.toString(),
        "BMADFLOW_AGENT_FALLBACK", agent + " --any",
        "BMADFLOW_AGENT_FALLBACK_PM", own.toString()), builtIn);
    assertEquals(List.of(agent.toString(), "--any"), command(command.fallbackFor("analyst")).command());
    assertEquals(List.of(agent.toString(), "--any"), command(command.fallbackFor("game-designer")).command());
    assertEquals(List.of(own.toString()), command(command.fallbackFor("pm")).command());
    assertSame(command.fallbacks().anyAgent(), command.fallbackFor("analyst"));

    AgentRoster builtInAny = AgentRoster.fromEnvironment(Map.of(
        "BMADFLOW_AGENT_COMMAND_PM", agent.toString(),
        "BMADFLOW_AGENT_FALLBACK", "builtin",
        "BMADFLOW_AGENT_FALLBACK_ARCHITECT", own.toString()), builtIn);
    assertSame(builtIn, builtInAny.fallbackFor("pm"), "the built-in pm stands in for the pm command");
    assertSame(builtIn, builtInAny.fallbackFor("analyst"));
    assertEquals(List.of(own.toString()), command(builtInAny.fallbackFor("architect")).command());
    assertFalse(builtInAny.hasFallback("game-designer"), "the built-in runner does not play it");
    assertEquals("created docs/prd.md",
        builtInAny.run(request("pm").withFallback(), workspace, NO_PROGRESS).summary());
  }

  @Test
  void withoutFallbackVariablesNoAgentHasOneAndTheSwitchWouldComeAfterThreeAttempts() {
    AgentRoster roster = AgentRoster.fromEnvironment(Map.of(), builtIn);

    assertFalse(roster.hasFallback("pm"));
    assertNull(roster.fallbackFor("pm"));
    assertEquals(3, roster.fallbackAfter());
    assertFalse(roster.fallsBackAt("pm", 10));

    IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
        () -> roster.run(request("pm").withFallback(), workspace, NO_PROGRESS));
    assertTrue(none.getMessage().contains("'pm'"), none.getMessage());
    assertTrue(none.getMessage().contains("BMADFLOW_AGENT_FALLBACK_PM"), none.getMessage());
    assertTrue(none.getMessage().contains("fallback.pm=..."), none.getMessage());
  }

  @Test
  void theAutomaticSwitchComesFromAttemptNPlusOneForAgentsWithAFallbackAndZeroTurnsItOff() {
    Path agent = script("agent.sh", "echo ok\n");

    AgentRoster afterTwo = AgentRoster.fromEnvironment(Map.of(
        "BMADFLOW_AGENT_FALLBACK_PM", agent.toString(), "BMADFLOW_AGENT_FALLBACK_AFTER", " 2 "), builtIn);
    assertEquals(2, afterTwo.fallbackAfter());
    assertFalse(afterTwo.fallsBackAt("pm", 1));
    assertFalse(afterTwo.fallsBackAt("pm", 2));
    assertTrue(afterTwo.fallsBackAt("pm", 3));
    assertTrue(afterTwo.fallsBackAt("pm", 20));
    assertFalse(afterTwo.fallsBackAt("analyst", 3), "no fallback, no switch");

    AgentRoster off = AgentRoster.fromEnvironment(Map.of(
        "BMADFLOW_AGENT_FALLBACK_PM", agent.toString(), "BMADFLOW_AGENT_FALLBACK_AFTER", "0"), builtIn);
    assertEquals(0, off.fallbackAfter());
    assertTrue(off.hasFallback("pm"));
    assertFalse(off.fallsBackAt("pm", 1000));
  }

  @ParameterizedTest
  @ValueSource(strings = {"-1", "three", "2.5", "99999999999"})
  void aBadFallbackAfterIsRefusedNamingTheVariableAndTheValue(String value) {
    IllegalArgumentException failure = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_FALLBACK_AFTER", value), builtIn));

    assertTrue(failure.getMessage().contains("BMADFLOW_AGENT_FALLBACK_AFTER"), failure.getMessage());
    assertTrue(failure.getMessage().contains("'" + value + "'"), failure.getMessage());
    assertTrue(failure.getMessage().contains("0 or more"), failure.getMessage());
  }

  @Test
  void badFallbackVariablesAreRefusedNamingWhatIsWrong() throws IOException {
    Path agent = script("agent.sh", "echo ok\n");

    IllegalArgumentException badName = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_FALLBACK_ux-expert", agent.toString()), builtIn));
    assertTrue(badName.getMessage().contains("BMADFLOW_AGENT_FALLBACK_ux-expert names no agent"), badName.getMessage());

    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_FALLBACK_GAME_DESINGER", agent.toString()), builtIn));
    assertTrue(unknown.getMessage().contains("BMADFLOW_AGENT_FALLBACK_GAME_DESINGER"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("'game-desinger', which this worker does not run"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("BMADFLOW_AGENT_COMMAND_GAME_DESINGER"), unknown.getMessage());

    IllegalArgumentException notBuiltIn = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_COMMAND", agent.toString(),
            "BMADFLOW_AGENT_FALLBACK_GAME_DESIGNER", "builtin"), builtIn));
    assertTrue(notBuiltIn.getMessage().contains("BMADFLOW_AGENT_FALLBACK_GAME_DESIGNER"), notBuiltIn.getMessage());
    assertTrue(notBuiltIn.getMessage().contains("fallback of 'game-designer', which it does not play"),
        notBuiltIn.getMessage());

    Path notExecutable = Files.writeString(temp.resolve("plain.sh"), "echo\n");
    IllegalArgumentException program = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_FALLBACK_PM", notExecutable.toString()), builtIn));
    assertTrue(program.getMessage().contains("BMADFLOW_AGENT_FALLBACK_PM"), program.getMessage());
    assertTrue(program.getMessage().contains("not an executable file"), program.getMessage());

    IllegalArgumentException anyProgram = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_FALLBACK", notExecutable.toString()), builtIn));
    assertTrue(anyProgram.getMessage().contains("the variable BMADFLOW_AGENT_FALLBACK runs"), anyProgram.getMessage());

    IllegalArgumentException noBuiltIn = assertThrows(IllegalArgumentException.class,
        () -> AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENT_COMMAND", agent.toString(),
            "BMADFLOW_AGENT_FALLBACK", "builtin"), null));
    assertTrue(noBuiltIn.getMessage().contains("no built-in agents"), noBuiltIn.getMessage());
  }

  @Test
  void badFallbackLinesInTheAgentsFileAreRefusedNamingTheLine() throws IOException {
    Path agent = script("agent.sh", "echo ok\n");

    IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
        () -> fromFile("empty.properties", "fallback.pm =\n"));
    assertTrue(empty.getMessage().contains("'fallback.pm'") && empty.getMessage().contains("no command"),
        empty.getMessage());

    IllegalArgumentException nameless = assertThrows(IllegalArgumentException.class,
        () -> fromFile("nameless.properties", "fallback. = " + agent + "\n"));
    assertTrue(nameless.getMessage().contains("names no agent after 'fallback.'"), nameless.getMessage());

    IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
        () -> fromFile("unknown.properties", "fallback.game-designer = " + agent + "\n"));
    assertTrue(unknown.getMessage().contains("'fallback.game-designer'"), unknown.getMessage());
    assertTrue(unknown.getMessage().contains("which this worker does not run"), unknown.getMessage());

    IllegalArgumentException notBuiltIn = assertThrows(IllegalArgumentException.class,
        () -> fromFile("not-built-in.properties", "game-designer = " + agent + "\nfallback.game-designer = builtin\n"));
    assertTrue(notBuiltIn.getMessage().contains("which it does not play"), notBuiltIn.getMessage());
  }

  @Test
  void theVariableForAFallbackFollowsTheCommandsNaming() {
    assertEquals("BMADFLOW_AGENT_FALLBACK_UX_EXPERT", AgentRoster.fallbackVariableFor("ux-expert"));
    assertNull(AgentRoster.fallbackVariableFor("Game.Designer"));
    assertNull(AgentRoster.fallbackVariableFor("after"), "that variable is the switch's threshold");
    String help = AgentRoster.howToConfigureFallback("Game.Designer");
    assertFalse(help.contains("BMADFLOW_AGENT_FALLBACK_"), help);
    assertTrue(help.contains("'fallback.Game.Designer=...' in BMADFLOW_AGENTS_FILE"), help);
  }

  // ---- helpers ----------------------------------------------------------------------------

  private AgentRoster fromFile(String name, String content) throws IOException {
    Path file = Files.writeString(temp.resolve(name), content);
    return AgentRoster.fromEnvironment(Map.of("BMADFLOW_AGENTS_FILE", file.toString()), builtIn);
  }

  private static CommandAgentRunner command(AgentRunner runner) {
    assertNotNull(runner);
    return assertInstanceOf(CommandAgentRunner.class, runner);
  }

  private static AgentStepRequest request(String agent) {
    return new AgentStepRequest("my-app", null, "planning", 2, agent, null, "prd.md", null, null,
        List.of(), null, null, Map.of());
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
}
