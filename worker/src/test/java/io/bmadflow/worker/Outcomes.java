package io.bmadflow.worker;

import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.workflows.project.ProjectSnapshot;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** What a finished project must look like however it got there: for comparing runs with failures. */
final class Outcomes {
  private Outcomes() {}

  /** The parts of a final state that must not depend on crashes: everything but where and who. */
  static Map<String, Object> comparable(ProjectSnapshot s) {
    Map<String, Object> out = new LinkedHashMap<>(withoutCheckpoints(s));
    out.put("phase-checkpoints", s.checkpoints().stream().filter(c -> c.trigger().equals("phase_transition")).count());
    return out;
  }

  /**
   * The same without the checkpoints: a recovery restarts from one and takes its own, so how many
   * there are depends on where it restarted.
   */
  static Map<String, Object> withoutCheckpoints(ProjectSnapshot s) {
    return io.bmadflow.workflows.project.ProjectOutcome.of(s);
  }

  /** A hash of the comparable state. */
  static String stateHash(ProjectSnapshot s) {
    return Sha256.hex(withoutCheckpoints(s).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Every file of a workspace by relative path, with its SHA-256 (bmadflow's own files excluded). */
  static Map<String, String> workspace(Path root) {
    return new java.util.TreeMap<>(io.bmadflow.activities.Workspace.digest(root));
  }

  /** Files with their modification times, to prove a restore touched nothing else. */
  static Map<String, Long> modificationTimes(Path root) {
    Map<String, Long> times = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        times.put(root.relativize(p).toString(), Files.getLastModifiedTime(p).toMillis());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return times;
  }
}
