package io.bmadflow.infra.checkpoint;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutation fuzzing of every parser of untrusted bytes, in the normal build: thousands of
 * mutations of valid samples per target (fixed seeds, so a failure repeats), each of which must
 * fail only with the target's documented exceptions, in bounded time and heap ({@link FuzzTargets}).
 * The coverage-guided run is {@link ParserFuzzTest}; see docs/fuzzing.md.
 */
class ParserMutationTest {
  static final int ITERATIONS = Integer.getInteger("bmadflow.mutations", 3000);
  static final int MAX_INPUT = 64 * 1024;

  /** Fragments that steer a mutation toward a parser's edge cases. */
  private static final List<byte[]> TOKENS = List.of(
      "{", "}", "[", "]", "\"", ":", ",", "null", "true", "-0", "1e999999", "9223372036854775808", "\\u0000", "\\ud800",
      "\"\"", "{\"a\":", "[[[[[[[[[[[[[[[[", "\n", "  ", "../", "/", "sha256:", "\t", "&a ", "*a", "!!binary ",
      "<<: *a", "- ", "? ", "|\n", "%YAML 1.1\n", "---\n", "...\n", "\u00ff\u00fe", "\r\n")
      .stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();

  @Test
  void metadata() {
    mutate("metadata", FuzzSamples::metadata, FuzzTargets::metadata, 1);
  }

  @Test
  void manifest() {
    mutate("manifest", FuzzSamples::manifest, FuzzTargets::manifest, 2);
  }

  @Test
  void snapshots() {
    mutate("snapshot", FuzzSamples::snapshot, FuzzTargets::snapshot, 3);
  }

  @Test
  void registryAndStagingRecord() {
    mutate("registry", FuzzSamples::registry, FuzzTargets::registry, 4);
  }

  @Test
  void decodePath() {
    mutate("decode", FuzzSamples::decode, FuzzTargets::decode, 5);
  }

  @Test
  void definitions() {
    mutate("definition", FuzzSamples::definition, FuzzTargets::definition, 6);
  }

  /** The mutator is not a no-op: most mutants differ from their sample (else the test proves nothing). */
  @Test
  void mutationsChangeTheSamples() {
    Random random = new Random(99);
    byte[] sample = FuzzSamples.metadata().get(0);
    int changed = 0;
    for (int i = 0; i < 200; i++) {
      if (!Arrays.equals(sample, mutant(random, sample, List.of(sample)))) {
        changed++;
      }
    }
    assertTrue(changed > 190, "only " + changed + " of 200 mutants differ");
  }

  private static void mutate(String name, Supplier<List<byte[]>> samples, Consumer<byte[]> target, long seed) {
    List<byte[]> seeds = samples.get();
    seeds.forEach(target); // The samples themselves pass.
    Random random = new Random(seed);
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] input = mutant(random, seeds.get(random.nextInt(seeds.size())), seeds);
      try {
        target.accept(input);
      } catch (AssertionError e) {
        throw new AssertionError(name + " mutant " + i + " (seed " + seed + "): " + e.getMessage(), e);
      }
    }
  }

  /** One to four random edits of a sample: bit flips, bytes, tokens, deletions, duplications, splices, truncation. */
  static byte[] mutant(Random random, byte[] sample, List<byte[]> others) {
    byte[] out = sample.clone();
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = out.length == 0 ? 0 : random.nextInt(out.length + 1);
      switch (random.nextInt(8)) {
        case 0 -> {
          if (out.length > 0) {
            int i = Math.min(at, out.length - 1);
            out[i] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case 1 -> {
          if (out.length > 0) {
            out[Math.min(at, out.length - 1)] = (byte) random.nextInt(256);
          }
        }
        case 2 -> out = insert(out, at, TOKENS.get(random.nextInt(TOKENS.size())));
        case 3 -> {
          int length = Math.min(out.length - at, 1 + random.nextInt(64));
          out = delete(out, at, Math.max(0, length));
        }
        case 4 -> {
          // Repeat a chunk: deep nesting, long strings, many entries.
          int length = Math.min(out.length - at, 1 + random.nextInt(16));
          if (length > 0) {
            byte[] chunk = Arrays.copyOfRange(out, at, at + length);
            int times = 1 + random.nextInt(random.nextBoolean() ? 8 : 2000);
            for (int t = 0; t < times && out.length + chunk.length <= MAX_INPUT; t++) {
              out = insert(out, at, chunk);
            }
          }
        }
        case 5 -> {
          byte[] other = others.get(random.nextInt(others.size()));
          if (other.length > 0) {
            int from = random.nextInt(other.length);
            int length = Math.min(other.length - from, 1 + random.nextInt(256));
            out = insert(out, at, Arrays.copyOfRange(other, from, from + length));
          }
        }
        case 6 -> out = Arrays.copyOf(out, at);
        default -> {
          // An interesting number where a digit is.
          for (int i = at; i < out.length; i++) {
            if (out[i] >= '0' && out[i] <= '9') {
              String[] numbers = {"-1", "0", "2147483648", "-9223372036854775809", "1e308", "0.5", "99999999999999999999"};
              byte[] number = numbers[random.nextInt(numbers.length)].getBytes(StandardCharsets.US_ASCII);
              out = insert(delete(out, i, 1), i, number);
              break;
            }
          }
        }
      }
    }
    return out.length > MAX_INPUT ? Arrays.copyOf(out, MAX_INPUT) : out;
  }

  private static byte[] insert(byte[] bytes, int at, byte[] part) {
    byte[] out = new byte[bytes.length + part.length];
    System.arraycopy(bytes, 0, out, 0, at);
    System.arraycopy(part, 0, out, at, part.length);
    System.arraycopy(bytes, at, out, at + part.length, bytes.length - at);
    return out;
  }

  private static byte[] delete(byte[] bytes, int at, int length) {
    byte[] out = new byte[bytes.length - length];
    System.arraycopy(bytes, 0, out, 0, at);
    System.arraycopy(bytes, at + length, out, at, bytes.length - at - length);
    return out;
  }
}
