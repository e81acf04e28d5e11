package io.bmadflow.infra.checkpoint;

import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * Coverage-guided fuzz tests (Jazzer) of every parser of untrusted bytes; the targets and what
 * counts as a failure are in {@link FuzzTargets}. In a normal build each runs its seed corpus
 * ({@code src/test/resources/io/bmadflow/infra/checkpoint/ParserFuzzTestInputs/<method>/}) as a
 * regression test; {@code JAZZER_FUZZ=1} fuzzes one of them for {@code maxDuration} (see
 * docs/fuzzing.md for the commands).
 */
class ParserFuzzTest {
  @FuzzTest(maxDuration = "10s")
  void metadata(byte[] input) {
    FuzzTargets.metadata(input);
  }

  @FuzzTest(maxDuration = "10s")
  void manifest(byte[] input) {
    FuzzTargets.manifest(input);
  }

  @FuzzTest(maxDuration = "10s")
  void snapshot(byte[] input) {
    FuzzTargets.snapshot(input);
  }

  @FuzzTest(maxDuration = "10s")
  void registry(byte[] input) {
    FuzzTargets.registry(input);
  }

  @FuzzTest(maxDuration = "10s")
  void decode(byte[] input) {
    FuzzTargets.decode(input);
  }

  @FuzzTest(maxDuration = "10s")
  void definition(byte[] input) {
    FuzzTargets.definition(input);
  }
}
