package io.bmadflow.worker;

import io.bmadflow.infra.checkpoint.Sha256;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.project.StepRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
    List<String> steps = new ArrayList<>();
    for (StepRecord r : s.steps()) {
      steps.add(r.phase() + "|" + r.key() + "|" + r.label() + "|" + r.outcome() + "|" + r.detail());
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("phase", s.phase());
    out.put("artifacts", s.artifacts());
    out.put("agents", s.agents());
    out.put("stories", s.stories());
    out.put("flags", s.flags());
    out.put("steps", steps);
    out.put("handoffs", s.communicationLog());
    out.put("decisions", s.decisions());
    out.put("risks", s.risks());
    out.put("gates", s.gates());
    out.put("progress", s.stepsCompleted() + "/" + s.stepsPlanned());
    return out;
  }

  /** A hash of the comparable state. */
  static String stateHash(ProjectSnapshot s) {
    return Sha256.hex(withoutCheckpoints(s).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Every file of a workspace by relative path, with its SHA-256 (bmadflow's own probe files excluded). */
  static Map<String, String> workspace(Path root) {
    Map<String, String> files = new TreeMap<>();
    if (!Files.isDirectory(root)) {
      return files;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.filter(Files::isRegularFile).toList()) {
        String rel = root.relativize(p).toString();
        if (!rel.startsWith(".bmadflow")) {
          files.put(rel, Sha256.hex(Files.readAllBytes(p)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return files;
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
