package io.bmadflow.infra.definition;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Line numbers for definition errors: indexes every path of a YAML document
 * ({@code workflow.sequence[3].agent}) to the line it starts on.
 */
final class YamlLines {
  private YamlLines() {}

  /** The 1-based line of each path in the document; empty when the document does not parse. */
  static Map<String, Integer> index(byte[] yaml) {
    Map<String, Integer> lines = new HashMap<>();
    try {
      Node root = new Yaml(new LoaderOptions()).compose(new StringReader(new String(yaml, StandardCharsets.UTF_8)));
      if (root != null) {
        walk(root, "", lines);
      }
    } catch (RuntimeException unparsable) {
      // The caller's error already says the YAML is invalid, with its own line.
    }
    return lines;
  }

  private static void walk(Node node, String path, Map<String, Integer> lines) {
    if (!path.isEmpty()) {
      lines.put(path, node.getStartMark().getLine() + 1);
    }
    if (node instanceof MappingNode mapping) {
      for (NodeTuple tuple : mapping.getValue()) {
        if (tuple.getKeyNode() instanceof ScalarNode key) {
          String child = path.isEmpty() ? key.getValue() : path + "." + key.getValue();
          lines.put(child, tuple.getKeyNode().getStartMark().getLine() + 1);
          walk(tuple.getValueNode(), child, lines);
          lines.put(child, tuple.getKeyNode().getStartMark().getLine() + 1);
        }
      }
    } else if (node instanceof SequenceNode sequence) {
      for (int i = 0; i < sequence.getValue().size(); i++) {
        walk(sequence.getValue().get(i), path + "[" + i + "]", lines);
      }
    }
  }

  /**
   * The same error with the line of the most specific path it names, as
   * {@code definition X line 12: workflow.sequence[3].agent is empty}.
   */
  static IllegalArgumentException withLine(IllegalArgumentException error, byte[] yaml) {
    String message = String.valueOf(error.getMessage());
    if (message.contains(" line ")) {
      return error;
    }
    String best = null;
    for (String path : index(yaml).keySet()) {
      if (message.contains(path) && (best == null || path.length() > best.length())) {
        best = path;
      }
    }
    if (best == null) {
      return error;
    }
    int line = index(yaml).get(best);
    int colon = message.indexOf(": ");
    String located = colon < 0 ? message + " (line " + line + ")"
        : message.substring(0, colon) + " line " + line + message.substring(colon);
    return new IllegalArgumentException(located, error);
  }
}
