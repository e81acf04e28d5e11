package io.bmadflow.client.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.bmadflow.client.BmadflowException;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointStore;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.infra.checkpoint.PackageFile;
import io.bmadflow.infra.checkpoint.PackagePaths;
import io.bmadflow.infra.checkpoint.PrunePlan;
import io.bmadflow.infra.checkpoint.StoredCheckpoint;
import io.bmadflow.infra.checkpoint.VerificationReport;
import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code bmadflow checkpoint}: list, show, verify, diff, export and prune a project's checkpoints in S3. */
@Command(
    name = "checkpoint",
    mixinStandardHelpOptions = true,
    description = "Lists, shows, verifies, compares, exports and prunes checkpoints.",
    subcommands = {
      CheckpointCommand.ListCommand.class,
      CheckpointCommand.CreateCommand.class,
      CheckpointCommand.ShowCommand.class,
      CheckpointCommand.VerifyCommand.class,
      CheckpointCommand.DiffCommand.class,
      CheckpointCommand.ExportCommand.class,
      CheckpointCommand.PruneCommand.class
    })
public class CheckpointCommand implements Runnable {
  @ParentCommand BmadflowCommand parent;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "Missing a checkpoint command: list, show, verify, diff, export or prune");
  }

  CheckpointStore store() {
    return parent.services().store();
  }

  static String requireCheckpointId(CommandSpec spec, String label, String id) {
    if (!CheckpointIds.isValid(id)) {
      throw new ParameterException(spec.commandLine(),
          label + " '" + id + "' is not a checkpoint id (cp-YYYY-MM-DD-HH-MM-SS-<uuid>; see `bmadflow checkpoint list`)");
    }
    return id;
  }

  static String json(Object value) {
    return new String(PackageJson.write(value), StandardCharsets.UTF_8);
  }

  /** {@code bmadflow checkpoint list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists a project's committed checkpoints, oldest first.")
  static class ListCommand implements Callable<Integer> {
    @ParentCommand CheckpointCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Option(names = "--json", description = "Print JSON (the registry entries).")
    boolean json;

    @Override
    public Integer call() {
      List<CheckpointSummary> checkpoints = parent.store().list(project.get());
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(json(checkpoints));
        return BmadflowCommand.OK;
      }
      if (checkpoints.isEmpty()) {
        out.println("project " + project.get() + " has no checkpoints yet");
        return BmadflowCommand.OK;
      }
      out.printf("%-63s  %-18s  %-14s  %9s  %9s  %-18s  %s%n", "CHECKPOINT", "TRIGGER", "PHASE", "STORED", "WRITTEN", "RETENTION", "VALIDATION");
      for (CheckpointSummary c : checkpoints) {
        out.printf("%-63s  %-18s  %-14s  %9d  %9d  %-18s  %s%n", c.checkpointId(), c.triggerReason(), c.workflowPhase(),
            c.storedBytes(), c.bytesWritten(), c.retentionPolicy(), c.validationStatus());
      }
      String location = parent.store().location(project.get(), checkpoints.get(0).checkpointId());
      out.println("stored under " + location.substring(0, location.length() - checkpoints.get(0).checkpointId().length() - 1));
      return BmadflowCommand.OK;
    }
  }

  /** {@code bmadflow checkpoint create}. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Takes a manual checkpoint of a running project now and prints it once committed.")
  static class CreateCommand implements Callable<Integer> {
    @ParentCommand CheckpointCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;
    @Mixin UpdateTimeoutOption timeout;

    @Option(names = "--kind", required = true, description = "user, experiment, milestone or emergency (emergency is critical priority, milestone high).")
    String kind;

    @Option(names = "--reason", required = true, description = "Why; recorded in the metadata.")
    String reason;

    @Override
    public Integer call() {
      var request = new io.bmadflow.workflows.checkpoint.ManualCheckpoint(kind, reason, System.getProperty("user.name", "user"));
      if (request.trigger() == null) {
        throw new ParameterException(spec.commandLine(), "--kind '" + kind + "' must be user, experiment, milestone or emergency");
      }
      var ref = timeout.apply(parent.parent.services().client()).createCheckpoint(project.get(), request);
      spec.commandLine().getOut().printf("checkpoint %s committed (%s, %s priority, %d bytes) at %s%n",
          ref.checkpointId(), ref.trigger(), ref.priority(), ref.sizeBytes(), ref.location());
      return BmadflowCommand.OK;
    }
  }

  /** {@code bmadflow checkpoint show}. */
  @Command(name = "show", mixinStandardHelpOptions = true, description = "Shows a checkpoint's metadata and its files.")
  static class ShowCommand implements Callable<Integer> {
    @ParentCommand CheckpointCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Parameters(paramLabel = "CHECKPOINT_ID", description = "The checkpoint.")
    String checkpointId;

    @Option(names = "--json", description = "Print the metadata as JSON.")
    boolean json;

    @Override
    public Integer call() {
      requireCheckpointId(spec, "CHECKPOINT_ID", checkpointId);
      CheckpointMetadata m = parent.store().metadata(project.get(), checkpointId);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(json(m));
        return BmadflowCommand.OK;
      }
      var info = m.checkpointMetadata();
      var storage = m.storageMetadata();
      out.printf("checkpoint:   %s%n", info.checkpointId());
      out.printf("project:      %s (definition %s)%n", info.projectId(), info.definitionId());
      out.printf("created:      %s by %s%n", info.creationTimestamp(), info.createdBy());
      out.printf("type:         %s, trigger %s, priority %s%n", info.checkpointType(), info.triggerReason(), info.priority());
      out.printf("reason:       %s%n", info.triggerDetail());
      out.printf("phase:        %s, progress %.0f%%, %d steps done, %d pending%n", info.workflowPhase(),
          m.stateSummary().workflowProgress() * 100, m.stateSummary().completedTasks(), m.stateSummary().pendingTasks());
      out.printf("validation:   %s %s%n", m.integrityValidation().validationStatus(), m.integrityValidation().validationDetails());
      out.printf("checksum:     %s%n", m.integrityValidation().checksum());
      out.printf("storage:      %d bytes stored for %d logical (ratio %.2f), %d written by this checkpoint%n",
          storage.storedBytes(), storage.logicalBytes(), storage.compressionRatio(), storage.bytesWritten());
      out.printf("lineage:      %s%n", storage.parentCheckpointId() == null ? "full checkpoint"
          : "incremental (depth " + storage.incrementalDepth() + ") to " + storage.parentCheckpointId());
      out.printf("retention:    %s%s%n", storage.retentionPolicy(), storage.expiresAt() == null ? "" : ", expires " + storage.expiresAt());
      out.printf("recovery:     %s, %s%n", m.recoveryMetadata().estimatedRecoveryTime(), m.recoveryMetadata().recoveryComplexity());
      if (m.temporal() != null) {
        out.printf("temporal:     %s run %s, event %d%n", m.temporal().workflowId(), m.temporal().runId(), m.temporal().historyEventId());
      }
      out.printf("location:     %s%n%n", storage.location());
      out.printf("%-52s  %9s  %9s  %-8s  %-11s  %s%n", "FILE", "BYTES", "STORED", "ENCODING", "ENCRYPTION", "STORED IN");
      for (PackageFile f : m.integrityValidation().files()) {
        out.printf("%-52s  %9d  %9d  %-8s  %-11s  %s%n", f.path(), f.size(), f.storedSize(), f.encoding(), f.encryption(),
            f.storedIn().equals(checkpointId) ? "this package" : f.storedIn());
      }
      return BmadflowCommand.OK;
    }
  }

  /** {@code bmadflow checkpoint verify}. */
  @Command(name = "verify", mixinStandardHelpOptions = true, description = "Checks every file of a checkpoint against its recorded sizes and SHA-256s.")
  static class VerifyCommand implements Callable<Integer> {
    @ParentCommand CheckpointCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Parameters(paramLabel = "CHECKPOINT_ID", description = "The checkpoint to verify.")
    String checkpointId;

    @Override
    public Integer call() {
      requireCheckpointId(spec, "CHECKPOINT_ID", checkpointId);
      VerificationReport report = parent.store().verify(project.get(), checkpointId);
      PrintWriter out = spec.commandLine().getOut();
      for (VerificationReport.FileCheck check : report.checks()) {
        out.printf("%-4s %s%s%n", check.ok() ? "ok" : "FAIL", check.path(),
            check.ok() ? (check.note() == null ? "" : " (" + check.note() + ")") : ": " + check.problem());
      }
      if (report.ok()) {
        out.printf("checkpoint %s verified: %d checks passed%n", checkpointId, report.checks().size());
        return BmadflowCommand.OK;
      }
      PrintWriter err = spec.commandLine().getErr();
      err.printf("bmadflow: checkpoint %s failed verification: %s%n", checkpointId,
          String.join("; ", report.failures().stream().map(VerificationReport.FileCheck::path).toList()));
      err.flush();
      return BmadflowCommand.FAILED;
    }
  }

  /** {@code bmadflow checkpoint diff}. */
  @Command(name = "diff", mixinStandardHelpOptions = true, description = "Shows the files and the state sections that differ between two checkpoints.")
  static class DiffCommand implements Callable<Integer> {
    @ParentCommand CheckpointCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Parameters(index = "0", paramLabel = "FROM", description = "The older checkpoint.")
    String from;

    @Parameters(index = "1", paramLabel = "TO", description = "The newer checkpoint.")
    String to;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    /** The differences between two checkpoints. */
    record Diff(String from, String to, List<String> added, List<String> removed, List<String> changed, List<String> stateSections) {}

    @Override
    public Integer call() throws IOException {
      requireCheckpointId(spec, "FROM", from);
      requireCheckpointId(spec, "TO", to);
      CheckpointStore store = parent.store();
      Map<String, String> a = hashes(store.metadata(project.get(), from));
      Map<String, String> b = hashes(store.metadata(project.get(), to));
      List<String> added = new ArrayList<>();
      List<String> removed = new ArrayList<>();
      List<String> changed = new ArrayList<>();
      TreeSet<String> paths = new TreeSet<>(a.keySet());
      paths.addAll(b.keySet());
      for (String path : paths) {
        if (!a.containsKey(path)) {
          added.add(path);
        } else if (!b.containsKey(path)) {
          removed.add(path);
        } else if (!a.get(path).equals(b.get(path))) {
          changed.add(path);
        }
      }
      List<String> sections = new ArrayList<>();
      if (changed.contains(PackagePaths.WORKFLOW_STATE)) {
        JsonNode left = PackageJson.mapper().readTree(store.readFile(project.get(), from, PackagePaths.WORKFLOW_STATE));
        JsonNode right = PackageJson.mapper().readTree(store.readFile(project.get(), to, PackagePaths.WORKFLOW_STATE));
        TreeSet<String> fields = new TreeSet<>();
        left.fieldNames().forEachRemaining(fields::add);
        right.fieldNames().forEachRemaining(fields::add);
        for (String field : fields) {
          if (!Objects.equals(left.get(field), right.get(field))) {
            sections.add(field);
          }
        }
      }
      Diff diff = new Diff(from, to, added, removed, changed, sections);
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(json(diff));
        return BmadflowCommand.OK;
      }
      out.printf("%s -> %s%n", from, to);
      added.forEach(p -> out.println("  added    " + p));
      removed.forEach(p -> out.println("  removed  " + p));
      changed.forEach(p -> out.println("  changed  " + p));
      if (added.isEmpty() && removed.isEmpty() && changed.isEmpty()) {
        out.println("  no file differs");
      }
      if (!sections.isEmpty()) {
        out.println("state sections that changed: " + String.join(", ", sections));
      }
      return BmadflowCommand.OK;
    }

    private static Map<String, String> hashes(CheckpointMetadata m) {
      Map<String, String> out = new TreeMap<>();
      m.integrityValidation().files().stream()
          .filter(f -> !f.path().equals(PackagePaths.MANIFEST))
          .forEach(f -> out.put(f.path(), f.sha256()));
      return out;
    }
  }

  /** {@code bmadflow checkpoint export}. */
  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Writes a checkpoint's files, decoded and verified, into a plain folder that passes `sha256sum -c manifest.sha256`;"
          + " the folder appears only once every file is written and checked.")
  static class ExportCommand implements Callable<Integer> {
    @ParentCommand CheckpointCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Parameters(index = "0", paramLabel = "CHECKPOINT_ID", description = "The checkpoint.")
    String checkpointId;

    @Parameters(index = "1", paramLabel = "DIR",
        description = "The folder to write: a new path in an existing folder, or an empty folder.")
    Path dir;

    @Override
    public Integer call() {
      requireCheckpointId(spec, "CHECKPOINT_ID", checkpointId);
      Path target = requireExportTarget(spec, dir);
      CheckpointStore store = parent.store();
      StoredCheckpoint checkpoint = store.open(project.get(), checkpointId);
      CheckpointMetadata m = checkpoint.metadata();
      Path staging;
      try {
        staging = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".export-");
      } catch (IOException | UnsupportedOperationException e) {
        throw new ParameterException(spec.commandLine(), "DIR " + target + ": cannot create a folder in " + target.getParent()
            + " (" + e + "); give a folder you can write to");
      }
      boolean moved = false;
      try {
        for (PackageFile file : m.integrityValidation().files()) {
          exportFile(checkpoint, file, staging);
        }
        Files.write(staging.resolve(PackagePaths.METADATA), checkpoint.metadataBytes(), StandardOpenOption.CREATE_NEW);
        moveIntoPlace(staging, target);
        moved = true;
      } catch (IOException e) {
        throw new BmadflowException("checkpoint " + checkpointId + ": export to " + target + " failed (" + e
            + "); nothing was left at " + target, e);
      } catch (RuntimeException e) {
        if (BmadflowCommand.isExpected(e)) {
          throw new BmadflowException(e.getMessage() + "; export to " + target + " abandoned, nothing was left there", e);
        }
        throw e;
      } finally {
        if (!moved) {
          deleteTree(staging);
        }
      }
      spec.commandLine().getOut().printf("exported %d files of %s to %s; check with: (cd %s && sha256sum -c %s)%n",
          m.integrityValidation().files().size() + 1, checkpointId, target, target, PackagePaths.MANIFEST);
      return BmadflowCommand.OK;
    }

    /** Streams one verified file into the staging folder, then checks what landed on disk against its size and SHA-256. */
    private void exportFile(StoredCheckpoint checkpoint, PackageFile file, Path staging) throws IOException {
      Path out = staging.resolve(PackagePaths.requireSafe(file.path())).normalize();
      if (!out.startsWith(staging) || out.equals(staging)) {
        throw new IllegalArgumentException("checkpoint " + checkpointId + ": package path " + file.path()
            + " leads out of the export folder; the metadata is corrupt, use an earlier checkpoint");
      }
      Files.createDirectories(out.getParent());
      try (OutputStream sink = Files.newOutputStream(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        checkpoint.copyFile(file.path(), sink);
      }
      MessageDigest sha256 = sha256();
      long size = 0;
      byte[] buffer = new byte[64 * 1024];
      try (var in = Files.newInputStream(out)) {
        for (int n; (n = in.read(buffer)) > 0; ) {
          sha256.update(buffer, 0, n);
          size += n;
        }
      }
      String written = HexFormat.of().formatHex(sha256.digest());
      if (size != file.size() || !written.equals(file.sha256())) {
        throw new BmadflowException("checkpoint " + checkpointId + ": " + file.path() + " as written to " + out + " has "
            + size + " bytes, sha256 " + written + " (expected " + file.size() + ", " + file.sha256()
            + "); the disk did not keep what was written, check it and export again");
      }
    }

    /** Renames the finished staging folder to the target in one step; an empty target folder is replaced. */
    private static void moveIntoPlace(Path staging, Path target) throws IOException {
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException | java.nio.file.AccessDeniedException e) {
        // Where a rename does not replace an empty folder: remove it (this fails when it is no longer empty), rename again.
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
          throw e;
        }
        Files.delete(target);
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      }
    }

    private static MessageDigest sha256() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (java.security.NoSuchAlgorithmException e) {
        throw new IllegalStateException("this JVM has no SHA-256", e);
      }
    }
  }

  /**
   * The export folder as an absolute path, or a usage error naming it: it must not be a file, nor
   * a folder with anything in it, and its parent folder must exist.
   */
  static Path requireExportTarget(CommandSpec spec, Path dir) {
    Path target = dir.toAbsolutePath().normalize();
    Path parentDir = target.getParent();
    if (parentDir == null) {
      throw new ParameterException(spec.commandLine(), "DIR " + target + " is a root folder; export into a new folder inside one");
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new ParameterException(spec.commandLine(), "DIR " + target + " is a file (or a link), not a folder; give the path of a new or empty folder");
    }
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> entries = Files.list(target)) {
        if (entries.findAny().isPresent()) {
          throw new ParameterException(spec.commandLine(), "DIR " + target + " is not empty; export into a new folder");
        }
      } catch (IOException e) {
        throw new ParameterException(spec.commandLine(), "DIR " + target + " cannot be read (" + e + "); give a folder you can write to");
      }
    }
    if (!Files.isDirectory(parentDir)) {
      throw new ParameterException(spec.commandLine(), "DIR " + target + ": the folder it would be made in, " + parentDir
          + ", does not exist" + (Files.exists(parentDir) ? " as a folder" : "") + "; create it first or give another path");
    }
    return target;
  }

  /** Deletes a folder and everything in it, quietly: what cannot be deleted stays (it is a hidden temporary folder). */
  static void deleteTree(Path root) {
    try (Stream<Path> walk = Files.walk(root)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // Left behind; the error the user sees is the export's.
        }
      });
    } catch (IOException | UncheckedIOException e) {
      // Nothing more to do.
    }
  }

  /** {@code bmadflow checkpoint prune}. */
  @Command(name = "prune", mixinStandardHelpOptions = true,
      description = "Deletes checkpoints their retention class lets go, never one a kept checkpoint references, and leftovers of crashed writers.")
  static class PruneCommand implements Callable<Integer> {
    @ParentCommand CheckpointCommand parent;
    @Spec CommandSpec spec;
    @Mixin ProjectOption project;

    @Option(names = "--dry-run", description = "Print the plan and delete nothing.")
    boolean dryRun;

    @Option(names = "--json", description = "Print the plan as JSON.")
    boolean json;

    @Override
    public Integer call() {
      CheckpointStore store = parent.store();
      PrunePlan plan = store.planPrune(project.get(), Instant.now());
      if (!dryRun) {
        store.prune(plan);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        out.println(json(plan));
        return BmadflowCommand.OK;
      }
      for (PrunePlan.Decision d : plan.decisions()) {
        out.printf("%-6s %s: %s%n", d.delete() ? (dryRun ? "would delete" : "delete") : "keep", d.checkpointId(), d.reason());
      }
      for (Iterator<String> it = plan.orphans().iterator(); it.hasNext(); ) {
        out.printf("%-6s %s: uncommitted leftover (no metadata)%n", dryRun ? "would delete" : "delete", it.next());
      }
      out.printf("%s %d checkpoints and %d leftovers; kept %d%n", dryRun ? "would delete" : "deleted",
          plan.toDelete().size(), plan.orphans().size(), plan.decisions().size() - plan.toDelete().size());
      return BmadflowCommand.OK;
    }
  }
}
