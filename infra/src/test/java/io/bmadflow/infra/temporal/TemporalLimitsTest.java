package io.bmadflow.infra.temporal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.temporal.api.common.v1.Payloads;
import io.temporal.common.converter.DataConverter;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The limits bmadflow reads from the environment, the dev server's dynamic config they become, and the payload check. */
class TemporalLimitsTest {

  @Test
  void defaultsAreTheServersAndGiveNoDynamicConfig() {
    assertEquals(TemporalLimits.DEFAULTS, TemporalLimits.fromEnvironment(Map.of()));
    assertEquals(List.of(), TemporalLimits.devServerDynamicConfig(Map.of()));
    assertEquals(Map.of(), TemporalLimits.DEFAULTS.environment());
    assertEquals(TemporalLimits.DEFAULTS.historyBytes() / 2, TemporalLimits.DEFAULTS.historyBytesWarning());
    assertEquals(TemporalLimits.DEFAULTS.historyEvents() / 2, TemporalLimits.DEFAULTS.historyEventsWarning());
  }

  @Test
  void loweredLimitsBecomeTheDevServersDynamicConfigWithWarningsBelowThem() {
    Map<String, String> env = Map.of(TemporalLimits.BLOB_VARIABLE, "100000", TemporalLimits.HISTORY_EVENTS_VARIABLE, "800",
        TemporalLimits.DYNAMIC_CONFIG_VARIABLE, "limit.historyCount.suggestContinueAsNew=60, frontend.rps=100");
    TemporalLimits limits = TemporalLimits.fromEnvironment(env);
    assertEquals(100000, limits.blobBytes());
    assertEquals(800, limits.historyEvents());
    assertEquals(List.of("limit.blobSize.error=100000", "limit.blobSize.warn=25000", "limit.historyCount.error=800",
        "limit.historyCount.warn=160", "limit.historyCount.suggestContinueAsNew=60", "frontend.rps=100"),
        TemporalLimits.devServerDynamicConfig(env));
  }

  @Test
  void aMalformedValueNamesItsVariable() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> TemporalLimits.fromEnvironment(Map.of(TemporalLimits.HISTORY_BYTES_VARIABLE, "50MB")));
    assertTrue(e.getMessage().startsWith("BMADFLOW_LIMIT_HISTORY_BYTES=50MB is not a positive whole number"), e.getMessage());
    var d = assertThrows(IllegalArgumentException.class,
        () -> TemporalLimits.devServerDynamicConfig(Map.of(TemporalLimits.DYNAMIC_CONFIG_VARIABLE, "limit.blobSize.error")));
    assertTrue(d.getMessage().contains("is not KEY=VALUE"), d.getMessage());
  }

  @Test
  void thePayloadCheckRefusesOnlyWhatIsOverTheLimitNamingItsSizeAndTheLimit() {
    PayloadLimitDataConverter converter = new PayloadLimitDataConverter(DataConverter.getDefaultInstance(), 1000);
    Payloads small = converter.toPayloads("x".repeat(100)).orElseThrow();
    assertTrue(small.getSerializedSize() <= 1000);
    assertEquals("x".repeat(100), converter.fromPayloads(0, java.util.Optional.of(small), String.class, String.class));
    ApplicationFailure refused = assertThrows(ApplicationFailure.class, () -> converter.toPayloads("y".repeat(2000)));
    assertEquals(PayloadLimitDataConverter.TYPE, refused.getType());
    assertTrue(refused.isNonRetryable());
    long size = DataConverter.getDefaultInstance().toPayloads("y".repeat(2000)).orElseThrow().getSerializedSize();
    assertTrue(refused.getOriginalMessage().startsWith(String.format(java.util.Locale.ROOT, "payload String is %,d bytes, over Temporal's blob size"
        + " limit of 1,000 bytes", size)), refused.getOriginalMessage());
    assertThrows(ApplicationFailure.class, () -> converter.toPayload("z".repeat(2000)));
  }
}
