package io.bmadflow.benchmarks;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** What a benchmark ran on, for the header of the documents the benchmarks write. */
final class Machine {
  private Machine() {}

  /** Cores, CPU model, RAM, OS and the benchmark JVM's max heap, in one line. */
  static String describe() throws IOException {
    String cpu = "unknown CPU";
    Path cpuinfo = Path.of("/proc/cpuinfo");
    if (Files.isReadable(cpuinfo)) {
      cpu = Files.readAllLines(cpuinfo).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(cpu);
    }
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    return String.format(Locale.ROOT, "nproc %d, %s, %.1f GB RAM, %s %s %s, benchmark JVM max heap %d MB",
        Runtime.getRuntime().availableProcessors(), cpu, os.getTotalMemorySize() / 1e9, System.getProperty("os.name"),
        System.getProperty("os.version"), System.getProperty("os.arch"), Runtime.getRuntime().maxMemory() / 1_000_000);
  }

  /** What {@code java -version} prints for this JVM. */
  static String javaVersion() throws IOException, InterruptedException {
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
        .redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), UTF_8);
    process.waitFor();
    return out;
  }
}
