package io.bmadflow.infra.definition;

import java.io.StringReader;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.OptionalInt;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.CollectionEndEvent;
import org.yaml.snakeyaml.events.DocumentEndEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.MappingStartEvent;
import org.yaml.snakeyaml.events.NodeEvent;
import org.yaml.snakeyaml.events.ScalarEvent;
import org.yaml.snakeyaml.events.SequenceStartEvent;

/**
 * Line numbers for definition errors: finds the line of the most specific path
 * ({@code workflow.sequence[3].agent}) an error message names.
 *
 * <p>The lookup reads the document's YAML events once, as they come, and builds no tree: an alias
 * is a leaf (never expanded), a path is built only below paths the message names, and the whole
 * lookup stops after {@link DefinitionLoader#MAX_NODES} nodes or {@link #WORK_LIMIT} characters
 * compared. When it stops, or the document does not parse, the error goes out without a line.
 */
final class YamlLines {
  /**
   * The most characters the lookup compares (paths against the message) before it gives up:
   * 16 million, a few milliseconds of work; a BMAD workflow's lookup takes a few thousand.
   */
  static final long WORK_LIMIT = 16_000_000L;

  private YamlLines() {}

  /** One open list or mapping: its path (null when no path below it can be in the message). */
  private static final class Open {
    final String path;
    final boolean mapping;
    int index;
    boolean expectKey = true;
    String valuePath;
    int valueLine;

    Open(String path, boolean mapping) {
      this.path = path;
      this.mapping = mapping;
    }
  }

  /**
   * The 1-based line of the longest path in the document that the message contains, the line of
   * its key for a mapping entry; empty when there is none, the document does not parse, or the
   * lookup ran over its limits.
   */
  static OptionalInt lineOf(String yaml, String message) {
    Deque<Open> open = new ArrayDeque<>();
    String best = null;
    int bestLine = 0;
    long work = 0;
    int nodes = 0;
    try {
      for (Event event : new Yaml(DefinitionLoader.loaderOptions()).parse(new StringReader(yaml))) {
        if (event instanceof DocumentEndEvent) {
          break;
        }
        if (event instanceof CollectionEndEvent) {
          open.pop();
          continue;
        }
        if (!(event instanceof NodeEvent)) {
          continue;
        }
        if (++nodes > DefinitionLoader.MAX_NODES) {
          return OptionalInt.empty();
        }
        Open parent = open.peek();
        String path; // This node's path, null when neither it nor anything below it can be in the message.
        int line = event.getStartMark().getLine() + 1;
        if (parent == null) {
          path = "";
        } else if (parent.mapping && parent.expectKey) {
          parent.expectKey = false;
          parent.valuePath = null;
          if (parent.path != null && event instanceof ScalarEvent key) {
            String child = parent.path.isEmpty() ? key.getValue() : parent.path + "." + key.getValue();
            work += child.length() + message.length();
            if (child.length() <= message.length() && message.contains(child)) {
              parent.valuePath = child;
              parent.valueLine = line;
            }
          }
          path = null; // A key's own children (a complex key) are no path.
        } else if (parent.mapping) {
          parent.expectKey = true;
          path = parent.valuePath;
          line = parent.valueLine;
        } else {
          int index = parent.index++;
          path = null;
          if (parent.path != null) {
            String child = parent.path + "[" + index + "]";
            work += child.length() + message.length();
            if (child.length() <= message.length() && message.contains(child)) {
              path = child;
            }
          }
        }
        if (work > WORK_LIMIT) {
          return OptionalInt.empty();
        }
        if (path != null && !path.isEmpty() && (best == null || path.length() > best.length())) {
          best = path;
          bestLine = line;
        }
        if (event instanceof MappingStartEvent) {
          open.push(new Open(path, true));
        } else if (event instanceof SequenceStartEvent) {
          open.push(new Open(path, false));
        } else if (!(event instanceof ScalarEvent) && !(event instanceof AliasEvent)) {
          return OptionalInt.empty(); // No other node event exists; stay safe if one ever does.
        }
      }
    } catch (RuntimeException unparsable) {
      return OptionalInt.empty(); // The caller's error already says what is wrong.
    }
    return best == null ? OptionalInt.empty() : OptionalInt.of(bestLine);
  }

  /**
   * The same error with the line of the most specific path it names, as
   * {@code definition X line 12: workflow.sequence[3].agent is empty}; the error itself when it
   * already names a line or no line is found.
   */
  static IllegalArgumentException withLine(IllegalArgumentException error, String yaml) {
    String message = String.valueOf(error.getMessage());
    if (message.contains(" line ")) {
      return error;
    }
    OptionalInt line = lineOf(yaml, message);
    if (line.isEmpty()) {
      return error;
    }
    int colon = message.indexOf(": ");
    String located = colon < 0 ? message + " (line " + line.getAsInt() + ")"
        : message.substring(0, colon) + " line " + line.getAsInt() + message.substring(colon);
    return new IllegalArgumentException(located, error);
  }
}
