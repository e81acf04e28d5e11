package io.bmadflow.activities.agents;

import io.bmadflow.activities.Workspace;
import io.bmadflow.workflows.agents.AgentStepRequest;
import io.bmadflow.workflows.agents.AgentStepResult;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Routes each agent step to the runner that plays the agent: a command configured for that agent
 * first, then the catch-all command, then the built-in runner for the agents it serves. An agent
 * nobody serves is refused with {@link IllegalArgumentException}, which fails the step without
 * retries. A step that asks for its agent's fallback ({@link AgentStepRequest#useFallback()}) runs
 * the agent's {@link AgentFallbacks fallback runner} instead.
 *
 * <p>{@link #fromEnvironment} reads the worker's configuration:
 *
 * <ul>
 *   <li>{@code BMADFLOW_AGENT_COMMAND_<NAME>}: the command for one agent, {@code NAME} being the
 *       agent's name upper-cased with {@code -} as {@code _} ({@code BMADFLOW_AGENT_COMMAND_UX_EXPERT}
 *       for {@code ux-expert});
 *   <li>{@code BMADFLOW_AGENTS_FILE}: a Java properties file of {@code agent-name=command line}
 *       lines, for any agent name (expansion packs add their own agents); a variable above wins
 *       over the file for the same agent;
 *   <li>{@code BMADFLOW_AGENT_COMMAND}: the catch-all command for every agent not configured by
 *       name, built-in ones included;
 *   <li>{@code BMADFLOW_AGENT_TIMEOUT_SECONDS}: how long a command may run per step (default 1800);
 *   <li>{@code BMADFLOW_AGENT_FALLBACK_<NAME>}: the fallback of one agent, named like the commands
 *       above: a command line, or {@code builtin} for the built-in runner of that agent (only for
 *       the agents it serves). In the agents file, a {@code fallback.<agent-name>=...} line does the
 *       same for any agent name (so no agent's name may start with {@code fallback.}); the variable
 *       wins over the file for the same agent. A fallback for an agent this worker does not run is
 *       refused, which catches misspelt names. ({@code AFTER} is not an agent: see below; an agent
 *       named {@code after} gets its fallback from the file);
 *   <li>{@code BMADFLOW_AGENT_FALLBACK}: the fallback of every agent without its own; with
 *       {@code builtin}, of every agent the built-in runner serves;
 *   <li>{@code BMADFLOW_AGENT_FALLBACK_AFTER}: how many attempts of a step fail before the worker
 *       runs the agent's fallback by itself (default 3, so attempt 4 runs it); 0 turns this off,
 *       leaving the fallback to steps that ask for it;
 *   <li>{@code BMADFLOW_AGENT_ENV}: the names of the worker's variables that agent commands get,
 *       comma-separated ({@code ANTHROPIC_API_KEY,OPENAI_API_KEY}); a command gets nothing else of
 *       the worker's environment but {@code PATH}, the locale, {@code TERM} and {@code TZ} (see
 *       {@link AgentEnvironment}). Names of the worker's own settings ({@code BMADFLOW_*},
 *       {@code TEMPORAL_*}), {@code HOME}, {@code TMPDIR} and {@code NAME=value} entries are
 *       refused; an {@code AWS_*} name is passed with a warning logged.
 * </ul>
 *
 * <p>A command line is split on whitespace, with no quoting and no shell: for anything more
 * complex (quoted arguments, pipes, redirections) point it at a script. A program given with a
 * {@code /} is resolved against the worker's working directory (the command itself runs in the
 * project's workspace) and must be an executable file; a bare name is looked up on the
 * {@code PATH}. Blank values are ignored. See {@link CommandAgentRunner} for how commands run.
 */
public final class AgentRoster implements AgentRunner {
  /** The prefix of the per-agent command variables. */
  public static final String COMMAND_PREFIX = "BMADFLOW_AGENT_COMMAND_";
  /** The catch-all command variable. */
  public static final String COMMAND_ANY = "BMADFLOW_AGENT_COMMAND";
  /** The variable naming the agents properties file. */
  public static final String AGENTS_FILE = "BMADFLOW_AGENTS_FILE";
  /** The per-step timeout variable, in seconds. */
  public static final String TIMEOUT_SECONDS = "BMADFLOW_AGENT_TIMEOUT_SECONDS";
  /** The default per-step timeout. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1800);
  /** The prefix of the per-agent fallback variables. */
  public static final String FALLBACK_PREFIX = "BMADFLOW_AGENT_FALLBACK_";
  /** The catch-all fallback variable. */
  public static final String FALLBACK_ANY = "BMADFLOW_AGENT_FALLBACK";
  /** The variable of how many failed attempts make the worker switch to the fallback by itself. */
  public static final String FALLBACK_AFTER = "BMADFLOW_AGENT_FALLBACK_AFTER";
  /** The prefix of fallback lines in the agents file: {@code fallback.<agent-name>=...}. */
  public static final String FILE_FALLBACK_PREFIX = "fallback.";
  /** The fallback value that means the built-in runner of the agent. */
  public static final String BUILTIN = "builtin";

  private static final Pattern AGENT_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern SPLIT = Pattern.compile("\\s+");

  private final Map<String, AgentRunner> byAgent;
  private final AgentRunner anyAgent;
  private final AgentRunner builtIn;
  private final Set<String> builtInServes;
  private final AgentFallbacks fallbacks;

  /**
   * A roster without fallbacks.
   *
   * @param byAgent the runners for named agents
   * @param anyAgent the runner for every other agent, or null
   * @param builtIn the runner for the agents in {@code builtInServes} that no runner above serves,
   *     or null
   * @param builtInServes the agents {@code builtIn} serves
   */
  public AgentRoster(Map<String, AgentRunner> byAgent, AgentRunner anyAgent, AgentRunner builtIn,
      Collection<String> builtInServes) {
    this(byAgent, anyAgent, builtIn, builtInServes, AgentFallbacks.NONE);
  }

  /**
   * A roster with fallbacks.
   *
   * @param byAgent the runners for named agents
   * @param anyAgent the runner for every other agent, or null
   * @param builtIn the runner for the agents in {@code builtInServes} that no runner above serves,
   *     or null
   * @param builtInServes the agents {@code builtIn} serves
   * @param fallbacks the runners a step switches to when its agent's runner keeps failing
   */
  public AgentRoster(Map<String, AgentRunner> byAgent, AgentRunner anyAgent, AgentRunner builtIn,
      Collection<String> builtInServes, AgentFallbacks fallbacks) {
    this.byAgent = Map.copyOf(byAgent);
    this.anyAgent = anyAgent;
    this.builtIn = builtIn;
    this.builtInServes = builtIn == null ? Set.of() : Set.copyOf(builtInServes);
    this.fallbacks = fallbacks == null ? AgentFallbacks.NONE : fallbacks;
  }

  /**
   * The roster the environment configures, with {@code builtIn} serving the agents of
   * {@link BuiltInAgentRunner#served()} that no command is configured for.
   *
   * @throws IllegalArgumentException naming the variable or file when the configuration is wrong
   */
  public static AgentRoster fromEnvironment(Map<String, String> env, AgentRunner builtIn) {
    Duration timeout = timeout(env.get(TIMEOUT_SECONDS));
    AgentEnvironment agentEnvironment = AgentEnvironment.fromEnvironment(env);
    int fallbackAfter = fallbackAfter(env.get(FALLBACK_AFTER));
    Set<String> builtInServes = builtIn == null ? Set.of() : Set.copyOf(BuiltInAgentRunner.served());
    Map<String, AgentRunner> byAgent = new TreeMap<>();
    Map<String, AgentRunner> fallbackByAgent = new TreeMap<>();
    Map<String, String> fallbackWhere = new TreeMap<>(); // Where each fallback was configured, for errors.
    String file = env.get(AGENTS_FILE);
    if (file != null && !file.isBlank()) {
      readAgentsFile(Path.of(file.strip()), timeout, agentEnvironment, builtIn, builtInServes, byAgent,
          fallbackByAgent, fallbackWhere);
    }
    for (Map.Entry<String, String> entry : new TreeMap<>(env).entrySet()) {
      String name = entry.getKey();
      if (entry.getValue() == null || entry.getValue().isBlank()) {
        continue;
      }
      if (name.startsWith(FALLBACK_PREFIX) && !name.equals(FALLBACK_AFTER)) {
        String agent = agentOfVariable(name, FALLBACK_PREFIX);
        String where = "the variable " + name;
        fallbackByAgent.put(agent, fallbackRunner(entry.getValue(), agent, where, timeout, agentEnvironment, builtIn,
            builtInServes));
        fallbackWhere.put(agent, where);
        continue;
      }
      if (!name.startsWith(COMMAND_PREFIX)) {
        continue;
      }
      String agent = agentOfVariable(name, COMMAND_PREFIX);
      byAgent.put(agent, new CommandAgentRunner(commandLine(entry.getValue(), "the variable " + name), timeout,
          agentEnvironment));
    }
    String any = env.get(COMMAND_ANY);
    AgentRunner anyAgent = any == null || any.isBlank() ? null
        : new CommandAgentRunner(commandLine(any, "the variable " + COMMAND_ANY), timeout, agentEnvironment);
    for (Map.Entry<String, String> configured : fallbackWhere.entrySet()) {
      String agent = configured.getKey();
      if (anyAgent == null && !byAgent.containsKey(agent) && !builtInServes.contains(agent)) {
        String variable = variableFor(agent);
        throw new IllegalArgumentException(configured.getValue() + " sets a fallback for the agent '" + agent
            + "', which this worker does not run (it runs " + namesOrNone(union(byAgent.keySet(), builtInServes))
            + "); check the name, or configure the agent's command first with "
            + (variable != null ? variable + ", " : "") + AGENTS_FILE + " or " + COMMAND_ANY);
      }
    }
    AgentRunner anyFallback = null;
    String anyFallbackLine = env.get(FALLBACK_ANY);
    if (anyFallbackLine != null && !anyFallbackLine.isBlank()) {
      if (anyFallbackLine.strip().equals(BUILTIN)) {
        if (builtIn == null) {
          throw new IllegalArgumentException("the variable " + FALLBACK_ANY + " is '" + BUILTIN
              + "', but this worker has no built-in agents; give a command line instead");
        }
        builtInServes.forEach(agent -> fallbackByAgent.putIfAbsent(agent, builtIn));
      } else {
        anyFallback = new CommandAgentRunner(commandLine(anyFallbackLine, "the variable " + FALLBACK_ANY), timeout,
            agentEnvironment);
      }
    }
    return new AgentRoster(byAgent, anyAgent, builtIn, builtInServes,
        new AgentFallbacks(fallbackByAgent, anyFallback, fallbackAfter));
  }

  /** The agent a per-agent variable names: its suffix lower-cased with {@code _} as {@code -}. */
  private static String agentOfVariable(String name, String prefix) {
    String suffix = name.substring(prefix.length());
    if (!suffix.matches("[A-Z0-9_]+")) {
      throw new IllegalArgumentException("the variable " + name + " names no agent: after " + prefix
          + " comes the agent's name upper-cased with - as _ (like " + prefix
          + "UX_EXPERT); use " + AGENTS_FILE + " for other names");
    }
    return suffix.toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** A fallback's runner: {@value #BUILTIN} for the built-in runner, otherwise a command line. */
  private static AgentRunner fallbackRunner(String line, String agent, String where, Duration timeout,
      AgentEnvironment agentEnvironment, AgentRunner builtIn, Set<String> builtInServes) {
    if (!line.strip().equals(BUILTIN)) {
      return new CommandAgentRunner(commandLine(line, where), timeout, agentEnvironment);
    }
    if (!builtInServes.contains(agent)) {
      throw new IllegalArgumentException(where + " makes the built-in runner the fallback of '" + agent
          + "', which it does not play (it plays " + namesOrNone(builtInServes) + "); give a command line instead");
    }
    return builtIn;
  }

  private static String namesOrNone(Set<String> agents) {
    return agents.isEmpty() ? "no agent" : String.join(", ", new TreeSet<>(agents));
  }

  private static Set<String> union(Set<String> a, Set<String> b) {
    Set<String> all = new TreeSet<>(a);
    all.addAll(b);
    return all;
  }

  /** The variable that configures a command for the agent, or null when its name cannot be one. */
  public static String variableFor(String agent) {
    return agent != null && agent.matches("[a-z0-9-]+")
        ? COMMAND_PREFIX + agent.toUpperCase(Locale.ROOT).replace('-', '_') : null;
  }

  /**
   * The variable that configures a fallback for the agent, or null when its name cannot be one
   * (then only the agents file or {@value #FALLBACK_ANY} can).
   */
  public static String fallbackVariableFor(String agent) {
    return agent != null && agent.matches("[a-z0-9-]+") && !agent.equals("after")
        ? FALLBACK_PREFIX + agent.toUpperCase(Locale.ROOT).replace('-', '_') : null;
  }

  /** How to configure a fallback for the agent, for error messages. */
  public static String howToConfigureFallback(String agent) {
    String variable = fallbackVariableFor(agent);
    return "set " + (variable != null ? variable + " (a command line or '" + BUILTIN + "'), " : "")
        + "a line '" + FILE_FALLBACK_PREFIX + agent + "=...' in " + AGENTS_FILE + " or " + FALLBACK_ANY
        + " on the workers";
  }

  /** The agent names this roster runs, sorted; with a catch-all command it runs any other too. */
  public List<String> served() {
    return List.copyOf(union(byAgent.keySet(), builtInServes));
  }

  /** Whether this roster runs the agent. */
  public boolean serves(String agent) {
    return runnerFor(agent) != null;
  }

  /** The runners configured by agent name (not the catch-all, nor the fallback). */
  public Map<String, AgentRunner> commands() {
    return byAgent;
  }

  /** The catch-all runner, or null. */
  public AgentRunner anyAgent() {
    return anyAgent;
  }

  /** The fallback runners and when the worker switches to them by itself. */
  public AgentFallbacks fallbacks() {
    return fallbacks;
  }

  /** The agent's fallback runner, or null when it has none. */
  public AgentRunner fallbackFor(String agent) {
    return fallbacks.runnerFor(agent);
  }

  /** Whether the agent has a fallback runner. */
  public boolean hasFallback(String agent) {
    return fallbacks.runnerFor(agent) != null;
  }

  /**
   * How many attempts of a step fail before the worker runs the agent's fallback by itself
   * ({@value #FALLBACK_AFTER}); 0 when it never does.
   */
  public int fallbackAfter() {
    return fallbacks.after();
  }

  /**
   * Whether the given attempt of one of the agent's steps runs its fallback by itself.
   *
   * @param attempt the attempt, counting from 1
   * @see AgentFallbacks#switchesAt
   */
  public boolean fallsBackAt(String agent, int attempt) {
    return fallbacks.switchesAt(agent, attempt);
  }

  /**
   * Runs the step with its agent's runner, or with its fallback when the request asks for it.
   *
   * @throws IllegalArgumentException when no runner serves the agent, or the request asks for a
   *     fallback the agent does not have
   */
  @Override
  public AgentStepResult run(AgentStepRequest request, Workspace workspace, Runnable progress) {
    if (request.useFallback()) {
      AgentRunner fallback = fallbacks.runnerFor(request.agent());
      if (fallback == null) {
        throw new IllegalArgumentException("the step asks for the fallback of the agent '" + request.agent()
            + "', which has none on this worker; " + howToConfigureFallback(request.agent()));
      }
      return fallback.run(request, workspace, progress);
    }
    AgentRunner runner = runnerFor(request.agent());
    if (runner == null) {
      String variable = variableFor(request.agent());
      throw new IllegalArgumentException("no runner serves the agent '" + request.agent() + "'; this worker runs "
          + String.join(", ", served()) + ". Configure a command for it with "
          + (variable != null ? variable + ", " : "") + AGENTS_FILE + " or " + COMMAND_ANY);
    }
    return runner.run(request, workspace, progress);
  }

  private AgentRunner runnerFor(String agent) {
    if (agent == null) {
      return null;
    }
    AgentRunner runner = byAgent.get(agent);
    if (runner != null) {
      return runner;
    }
    if (anyAgent != null) {
      return anyAgent;
    }
    return builtInServes.contains(agent) ? builtIn : null;
  }

  private static int fallbackAfter(String value) {
    if (value == null || value.isBlank()) {
      return AgentFallbacks.DEFAULT_AFTER;
    }
    try {
      int attempts = Integer.parseInt(value.strip());
      if (attempts >= 0) {
        return attempts;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(FALLBACK_AFTER + " must be a whole number of failed attempts, 0 or more"
        + " (0 turns the automatic switch to the fallback off), not '" + value + "'");
  }

  private static Duration timeout(String value) {
    if (value == null || value.isBlank()) {
      return DEFAULT_TIMEOUT;
    }
    try {
      long seconds = Long.parseLong(value.strip());
      if (seconds > 0) {
        return Duration.ofSeconds(seconds);
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(TIMEOUT_SECONDS + " must be a positive whole number of seconds, not '"
        + value + "'");
  }

  /**
   * Reads the agents file into {@code commands} and, from its {@code fallback.<agent-name>} lines,
   * {@code fallbacks} (with where each was configured in {@code fallbackWhere}).
   */
  private static void readAgentsFile(Path file, Duration timeout, AgentEnvironment agentEnvironment,
      AgentRunner builtIn, Set<String> builtInServes,
      Map<String, AgentRunner> commands, Map<String, AgentRunner> fallbacks, Map<String, String> fallbackWhere) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (IOException | IllegalArgumentException e) {
      throw new IllegalArgumentException(AGENTS_FILE + " points at " + file.toAbsolutePath()
          + ", which cannot be read as a properties file of agent-name=command lines: " + e.getMessage(), e);
    }
    for (String key : new TreeSet<>(properties.stringPropertyNames())) {
      boolean isFallback = key.startsWith(FILE_FALLBACK_PREFIX);
      String agent = isFallback ? key.substring(FILE_FALLBACK_PREFIX.length()) : key;
      String where = isFallback ? "the fallback line '" + key + "' in " + file.toAbsolutePath()
          : "the agent '" + agent + "' in " + file.toAbsolutePath();
      if (!AGENT_NAME.matcher(agent).matches()) {
        throw new IllegalArgumentException(where + (isFallback ? " names no agent after '" + FILE_FALLBACK_PREFIX
            + "'" : " is not an agent name") + ": 1 to 64 of the characters A-Z a-z 0-9 . _ -");
      }
      String line = properties.getProperty(key);
      if (line.isBlank()) {
        throw new IllegalArgumentException(where + " has no command; give one"
            + (isFallback ? " (or '" + BUILTIN + "')" : "") + " or remove the line");
      }
      if (isFallback) {
        fallbacks.put(agent, fallbackRunner(line, agent, where, timeout, agentEnvironment, builtIn, builtInServes));
        fallbackWhere.put(agent, where);
      } else {
        commands.put(agent, new CommandAgentRunner(commandLine(line, where), timeout, agentEnvironment));
      }
    }
  }

  /** Splits a command line on whitespace and resolves a program given with a path. */
  static List<String> commandLine(String line, String where) {
    List<String> argv = new ArrayList<>(Arrays.asList(SPLIT.split(line.strip())));
    String program = argv.get(0);
    if (program.contains("/")) {
      Path path = Path.of(program).toAbsolutePath().normalize();
      if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
        throw new IllegalArgumentException(where + " runs " + path + ", which is not an executable file"
            + " (a relative program is resolved against the worker's working directory)");
      }
      argv.set(0, path.toString());
    }
    return List.copyOf(argv);
  }
}
