package io.bmadflow.infra.definition;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.bmadflow.workflows.definition.DefinitionRoute;
import io.bmadflow.workflows.definition.DefinitionStep;
import io.bmadflow.workflows.definition.Phase;
import io.bmadflow.workflows.definition.WorkflowDefinition;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.CollectionStartEvent;
import org.yaml.snakeyaml.events.DocumentEndEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;

/**
 * Loads BMAD v4 workflow definitions from YAML: a bundled one by name, or a user's file.
 *
 * <p>Keys bmadflow does not model are tolerated (users' BMAD files carry more than we read) and
 * reported in {@link Loaded#ignoredKeys()}; a malformed document is refused with the field at
 * fault.
 *
 * <p>A definition may come from anyone (a user's file, a file handed on by someone else), so it
 * is read within limits before anything else: at most {@link #MAX_DEFINITION_BYTES} of UTF-8,
 * at most {@link #MAX_NODES} YAML nodes nested at most {@link #MAX_NESTING_DEPTH} deep, and no
 * aliases ({@code *name}): the YAML reader bmadflow uses would read an alias as the anchor's name
 * instead of its value, and aliases are how a small document expands into a huge one. A document
 * over a limit is refused with the limit named, in time and memory proportional to the limit.
 * BMAD's own v4 workflow files are 5 to 15 KB with a few hundred nodes, at most 6 levels deep,
 * and use no aliases.
 */
public final class DefinitionLoader {
  /** The definitions shipped with bmadflow, by name. */
  public static final List<String> BUNDLED = List.of("greenfield-fullstack", "greenfield-service", "brownfield-fullstack", "spec-flow");

  public static final String DEFAULT = "greenfield-fullstack";

  /**
   * The largest definition read, in bytes: 1 MiB. A bigger file is refused from its size, without
   * being read.
   */
  public static final int MAX_DEFINITION_BYTES = 1024 * 1024;

  /**
   * How deep collections may nest in a definition: 64 levels. A BMAD workflow needs about 6; the
   * limit keeps a document of thousands of {@code [} from costing a deep recursion anywhere.
   */
  public static final int MAX_NESTING_DEPTH = 64;

  /**
   * The most YAML nodes (scalars, aliases, lists and mappings) a definition may hold: 50,000, more
   * than a hundred times what a BMAD workflow has.
   */
  public static final int MAX_NODES = 50_000;

  private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
      .loaderOptions(loaderOptions())
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxDocumentLength(MAX_DEFINITION_BYTES)
          .maxNestingDepth(MAX_NESTING_DEPTH)
          .maxTokenCount(2L * MAX_NODES)
          .build())
      .build());
  private static final Set<String> WORKFLOW_KEYS =
      Set.of("id", "name", "description", "type", "project_types", "sequence", "handoff_prompts",
          "flow_diagram", "decision_guidance");
  private static final Set<String> STEP_KEYS =
      Set.of("step", "agent", "phase", "action", "creates", "updates", "validates", "uses", "requires",
          "condition", "optional", "optional_steps", "repeats", "notes", "routes");
  private static final Set<String> ROUTE_KEYS = Set.of("agent", "uses", "continue", "notes");

  /**
   * A loaded definition.
   *
   * @param definition the definition
   * @param source where it came from ({@code bundled:greenfield-fullstack} or a file path)
   * @param ignoredKeys keys present in the file that bmadflow does not model
   */
  public record Loaded(WorkflowDefinition definition, String source, List<String> ignoredKeys) {}

  private DefinitionLoader() {}

  /** Loads a bundled definition by name, or the file at that path. */
  public static Loaded load(String nameOrPath) {
    if (BUNDLED.contains(nameOrPath)) {
      String resource = "/io/bmadflow/definitions/" + nameOrPath + ".yaml";
      try (InputStream in = DefinitionLoader.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("bundled definition " + resource + " is missing from the jar");
        }
        return parse(readBounded(in, "bundled definition " + resource), "bundled:" + nameOrPath);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read bundled definition " + resource, e);
      }
    }
    Path path = Path.of(nameOrPath);
    if (!Files.isRegularFile(path)) {
      throw new IllegalArgumentException(
          "definition '" + nameOrPath + "': no bundled definition has that name (bundled: "
              + String.join(", ", BUNDLED) + ") and no file exists at " + path.toAbsolutePath());
    }
    String source = path.toAbsolutePath().toString();
    try {
      long size = Files.size(path);
      if (size > MAX_DEFINITION_BYTES) {
        throw tooLarge("definition file " + source, size + " bytes");
      }
      byte[] yaml;
      try (InputStream in = Files.newInputStream(path)) {
        yaml = readBounded(in, "definition file " + source);
      }
      return parse(yaml, source);
    } catch (IOException e) {
      throw new IllegalArgumentException("definition file " + path.toAbsolutePath() + " cannot be read: " + e.getMessage());
    }
  }

  /**
   * Parses a definition document; errors name the field and its line.
   *
   * @param yaml the document, UTF-8, at most {@link #MAX_DEFINITION_BYTES}
   * @param source where it came from, for error messages
   * @throws IllegalArgumentException naming the source and the problem when the document is over a
   *     limit of this class, not valid YAML or not a valid definition
   */
  public static Loaded parse(byte[] yaml, String source) {
    if (yaml.length > MAX_DEFINITION_BYTES) {
      throw tooLarge("definition " + source, yaml.length + " bytes");
    }
    String text = utf8(yaml, source);
    checkLimits(text, source);
    try {
      return parseTree(text, source);
    } catch (IllegalArgumentException e) {
      throw YamlLines.withLine(e, text);
    }
  }

  /** The options of every YAML reader of definitions: the limits of this class, no recursive keys. */
  static LoaderOptions loaderOptions() {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(MAX_DEFINITION_BYTES);
    options.setNestingDepthLimit(MAX_NESTING_DEPTH);
    // Aliases are refused by checkLimits before any reader sees them; this keeps a composer from expanding any.
    options.setMaxAliasesForCollections(0);
    options.setAllowRecursiveKeys(false);
    return options;
  }

  /** Reads at most {@link #MAX_DEFINITION_BYTES}, refusing a longer stream without reading it all. */
  private static byte[] readBounded(InputStream in, String what) throws IOException {
    byte[] bytes = in.readNBytes(MAX_DEFINITION_BYTES + 1);
    if (bytes.length > MAX_DEFINITION_BYTES) {
      throw tooLarge(what, "more than " + MAX_DEFINITION_BYTES + " bytes");
    }
    return bytes;
  }

  private static IllegalArgumentException tooLarge(String what, String size) {
    return new IllegalArgumentException(what + " is " + size + ", over the limit of " + MAX_DEFINITION_BYTES
        + " bytes (1 MiB) for a workflow definition; BMAD workflow definitions are a few kilobytes,"
        + " check that this is the right file");
  }

  private static String utf8(byte[] yaml, String source) {
    ByteBuffer bytes = ByteBuffer.wrap(yaml);
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(bytes)
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("definition " + source + " is not UTF-8 text (a malformed byte sequence"
          + " at byte offset " + bytes.position() + "); save it as UTF-8");
    }
  }

  /**
   * Walks the document's YAML events, refusing aliases, too many nodes and too deep a nesting before
   * any tree is built: the walk keeps only a depth and a count, so it costs one pass over at most
   * {@link #MAX_DEFINITION_BYTES}.
   */
  private static void checkLimits(String text, String source) {
    int depth = 0;
    int nodes = 0;
    try {
      for (Event event : new Yaml(loaderOptions()).parse(new StringReader(text))) {
        if (event instanceof DocumentEndEvent) {
          return; // Only the first document is read.
        }
        if (event instanceof AliasEvent alias) {
          throw new IllegalArgumentException("definition " + source + " line " + line(alias.getStartMark())
              + ": the YAML alias *" + alias.getAnchor() + " is not allowed in a workflow definition (bmadflow"
              + " does not expand aliases; it would read the anchor's name instead of its value); write the"
              + " value out in full where the alias stands");
        }
        if (event instanceof NodeEvent && ++nodes > MAX_NODES) {
          throw new IllegalArgumentException("definition " + source + " line " + line(event.getStartMark())
              + ": the document holds more than " + MAX_NODES + " YAML nodes, the limit for a workflow"
              + " definition (BMAD's hold a few hundred); check that this is the right file");
        }
        if (event instanceof CollectionStartEvent && ++depth > MAX_NESTING_DEPTH) {
          throw new IllegalArgumentException("definition " + source + " line " + line(event.getStartMark())
              + ": lists and mappings nest more than " + MAX_NESTING_DEPTH + " levels deep, the limit for a"
              + " workflow definition (BMAD's nest about 6); check that this is the right file");
        } else if (event instanceof CollectionEndEvent) {
          depth--;
        }
      }
    } catch (MarkedYAMLException e) {
      throw new IllegalArgumentException("definition " + source + " is not valid YAML (line "
          + (e.getProblemMark() != null ? line(e.getProblemMark()) : "?") + "): " + e.getProblem());
    } catch (YAMLException e) {
      throw new IllegalArgumentException("definition " + source + " is not valid YAML: " + e.getMessage());
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      // The YAML parser failing in a way it does not document is still a document it cannot read.
      throw new IllegalArgumentException("definition " + source + " is not valid YAML: the parser failed with " + e,
          e);
    }
  }

  private static String line(Mark mark) {
    return mark == null ? "?" : Integer.toString(mark.getLine() + 1);
  }

  private static Loaded parseTree(String yaml, String source) {
    JsonNode root;
    try {
      root = YAML.readTree(yaml);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "definition " + source + " is not valid YAML (line "
              + (e.getLocation() != null ? e.getLocation().getLineNr() : "?") + "): "
              + e.getOriginalMessage());
    } catch (IOException e) {
      throw new IllegalArgumentException("definition " + source + " cannot be read: " + e.getMessage());
    }
    if (root == null || !root.isObject() || !root.path("workflow").isObject()) {
      throw new IllegalArgumentException(
          "definition " + source + ": the document needs a top-level 'workflow' mapping");
    }
    Set<String> ignored = new TreeSet<>();
    root.fieldNames().forEachRemaining(k -> {
      if (!k.equals("workflow")) {
        ignored.add(k);
      }
    });
    JsonNode wf = root.get("workflow");
    wf.fieldNames().forEachRemaining(k -> {
      if (!WORKFLOW_KEYS.contains(k)) {
        ignored.add("workflow." + k);
      }
    });
    String id = requiredText(wf, "id", "workflow.id", source);
    JsonNode sequence = wf.get("sequence");
    if (sequence == null || !sequence.isArray() || sequence.isEmpty()) {
      throw new IllegalArgumentException(
          "definition " + source + ": workflow.sequence must be a non-empty list of steps");
    }
    List<DefinitionStep> steps = new ArrayList<>();
    for (int i = 0; i < sequence.size(); i++) {
      steps.add(step(sequence.get(i), "workflow.sequence[" + i + "]", source, ignored));
    }
    Map<String, String> handoffs = new LinkedHashMap<>();
    JsonNode prompts = wf.get("handoff_prompts");
    if (prompts != null && !prompts.isNull()) {
      if (!prompts.isObject()) {
        throw new IllegalArgumentException(
            "definition " + source + ": workflow.handoff_prompts must be a mapping of prompts");
      }
      prompts.fields().forEachRemaining(e -> handoffs.put(e.getKey(), e.getValue().asText()));
    }
    WorkflowDefinition definition =
        new WorkflowDefinition(
            id,
            optionalText(wf, "name", "workflow.name", source),
            optionalText(wf, "description", "workflow.description", source),
            optionalText(wf, "type", "workflow.type", source),
            textList(wf.get("project_types"), "workflow.project_types", source),
            steps,
            handoffs);
    return new Loaded(definition, source, List.copyOf(ignored));
  }

  private static DefinitionStep step(JsonNode node, String where, String source, Set<String> ignored) {
    if (!node.isObject() || node.isEmpty()) {
      throw new IllegalArgumentException(
          "definition " + source + ": " + where + " must be a mapping (an agent step or a named step)");
    }
    String name = null;
    JsonNode fields = node;
    if (node.has("step")) {
      // BMAD v4's shape: `- step: project_setup_guidance` beside action, condition, notes (and maybe an agent).
      JsonNode stepName = node.get("step");
      if (!stepName.isValueNode() || stepName.isNull() || stepName.asText().isBlank()) {
        throw new IllegalArgumentException(
            "definition " + source + ": " + where + ".step must name the step (like 'step: workflow_end')");
      }
      name = stepName.asText().trim();
    } else if (!node.has("agent")) {
      // A named step: `- workflow_end: {action: project_complete}`.
      if (node.size() != 1) {
        throw new IllegalArgumentException(
            "definition " + source + ": " + where + " has no 'agent' and is not a single named step"
                + " (like 'workflow_end:')");
      }
      name = node.fieldNames().next();
      fields = node.get(name);
      if (fields == null || fields.isNull()) {
        fields = YAML.createObjectNode();
      } else if (!fields.isObject()) {
        throw new IllegalArgumentException(
            "definition " + source + ": " + where + " names no agent (no 'agent:' key) and is not a named"
                + " step (a single key such as 'workflow_end:' holding a mapping)");
      }
      where = where + "." + name;
    }
    for (Iterator<String> it = fields.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!STEP_KEYS.contains(key)) {
        ignored.add(where + "." + key);
      }
    }
    String agent = optionalText(fields, "agent", where + ".agent", source);
    if (name == null && (agent == null || agent.isBlank())) {
      throw new IllegalArgumentException("definition " + source + ": " + where + ".agent is empty");
    }
    if (agent != null && agent.isBlank()) {
      throw new IllegalArgumentException("definition " + source + ": " + where + ".agent is empty; leave the key out"
          + " for a guidance step");
    }
    String phase = optionalText(fields, "phase", where + ".phase", source);
    if (phase != null) {
      try {
        Phase.fromWire(phase);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "definition " + source + ": " + where + ".phase '" + phase + "' is not one of analysis,"
                + " planning, solutioning, implementation, deployment");
      }
    }
    for (String key : List.of("creates", "updates")) {
      String target = optionalText(fields, key, where + "." + key, source);
      if (target != null && (target.startsWith("/") || target.contains("\\") || target.matches("(.*/)?\\.\\.(/.*)?")
          || target.chars().anyMatch(Character::isISOControl))) {
        throw new IllegalArgumentException(
            "definition " + source + ": " + where + "." + key + " '" + target + "' is not a path inside the"
                + " workspace (no absolute paths, '..' or backslashes)");
      }
    }
    JsonNode optional = fields.get("optional");
    if (optional != null && !optional.isBoolean()) {
      throw new IllegalArgumentException(
          "definition " + source + ": " + where + ".optional must be true or false");
    }
    return new DefinitionStep(
        name,
        agent == null ? null : agent.trim(),
        phase,
        optionalText(fields, "action", where + ".action", source),
        optionalText(fields, "creates", where + ".creates", source),
        optionalText(fields, "updates", where + ".updates", source),
        optionalText(fields, "validates", where + ".validates", source),
        optionalText(fields, "uses", where + ".uses", source),
        textList(fields.get("requires"), where + ".requires", source),
        optionalText(fields, "condition", where + ".condition", source),
        optional != null && optional.asBoolean(),
        textList(fields.get("optional_steps"), where + ".optional_steps", source),
        optionalText(fields, "repeats", where + ".repeats", source),
        optionalText(fields, "notes", where + ".notes", source),
        routes(fields.get("routes"), where + ".routes", source, ignored));
  }

  /** A routing step's {@code routes:}: a mapping of route names to an agent (with {@code uses}) or {@code continue}. */
  private static List<DefinitionRoute> routes(JsonNode value, String where, String source, Set<String> ignored) {
    if (value == null || value.isNull()) {
      return List.of();
    }
    if (!value.isObject() || value.isEmpty()) {
      throw new IllegalArgumentException("definition " + source + ": " + where + " must be a mapping of route names"
          + " to a route (an 'agent' with 'uses', or 'continue: to_next_step')");
    }
    List<DefinitionRoute> routes = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String at = where + "." + entry.getKey();
      JsonNode route = entry.getValue();
      if (!route.isObject()) {
        throw new IllegalArgumentException("definition " + source + ": " + at + " must be a mapping (an 'agent' with"
            + " 'uses', or 'continue: to_next_step')");
      }
      route.fieldNames().forEachRemaining(k -> {
        if (!ROUTE_KEYS.contains(k)) {
          ignored.add(at + "." + k);
        }
      });
      String agent = optionalText(route, "agent", at + ".agent", source);
      String continueTo = optionalText(route, "continue", at + ".continue", source);
      if ((agent == null || agent.isBlank()) && continueTo == null) {
        throw new IllegalArgumentException("definition " + source + ": " + at + " names neither an 'agent' nor"
            + " 'continue'; a route hands the step to an agent or continues the sequence");
      }
      routes.add(new DefinitionRoute(entry.getKey(), agent == null || agent.isBlank() ? null : agent.trim(),
          optionalText(route, "uses", at + ".uses", source), continueTo, optionalText(route, "notes", at + ".notes", source)));
    }
    return routes;
  }

  private static String requiredText(JsonNode node, String key, String where, String source) {
    String value = optionalText(node, key, where, source);
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("definition " + source + ": " + where + " is required");
    }
    return value;
  }

  private static String optionalText(JsonNode node, String key, String where, String source) {
    JsonNode value = node.get(key);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isValueNode()) {
      throw new IllegalArgumentException(
          "definition " + source + ": " + where + " must be a single value, not a "
              + (value.isArray() ? "list" : "mapping"));
    }
    return value.asText();
  }

  /** A list of strings, where BMAD also allows a single string. */
  private static List<String> textList(JsonNode value, String where, String source) {
    if (value == null || value.isNull()) {
      return List.of();
    }
    if (value.isValueNode()) {
      return List.of(value.asText());
    }
    if (!value.isArray()) {
      throw new IllegalArgumentException(
          "definition " + source + ": " + where + " must be a value or a list of values");
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < value.size(); i++) {
      JsonNode item = value.get(i);
      if (!item.isValueNode()) {
        throw new IllegalArgumentException(
            "definition " + source + ": " + where + "[" + i + "] must be a single value");
      }
      out.add(item.asText());
    }
    return out;
  }
}
