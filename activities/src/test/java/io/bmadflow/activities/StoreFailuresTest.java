package io.bmadflow.activities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.infra.checkpoint.CheckpointStoreException;
import io.bmadflow.workflows.ActivityProfiles;
import io.bmadflow.workflows.Failures;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one mapping from checkpoint store errors to Temporal failures. */
class StoreFailuresTest {
  private static final String CORRUPT = "checkpoint cp-2026-01-02-03-04-05-abcd1234: validation-report.json sha256 mismatch"
      + " (expected 3f2a..., got 9c1d...); the package is corrupt, use an earlier checkpoint";

  @Test
  void aCorruptPackageIsANonRetryableCheckpointCorruptFailureWithTheStoresMessage() {
    ApplicationFailure failure = StoreFailures.toFailure(new CheckpointStoreException.Corrupt(CORRUPT));

    assertEquals(Failures.CHECKPOINT_CORRUPT, failure.getType());
    assertTrue(failure.isNonRetryable());
    assertEquals(CORRUPT, failure.getOriginalMessage());
  }

  @Test
  void aConflictIsANonRetryableCheckpointConflictFailure() {
    ApplicationFailure failure = StoreFailures.toFailure(new CheckpointStoreException.Conflict("checkpoint x is taken"));

    assertEquals(Failures.CHECKPOINT_CONFLICT, failure.getType());
    assertTrue(failure.isNonRetryable());
    assertEquals("checkpoint x is taken", failure.getOriginalMessage());
  }

  @Test
  void aMissingCheckpointIsANonRetryableInvalidInputFailure() {
    ApplicationFailure failure = StoreFailures.toFailure(new CheckpointStoreException.NotFound("checkpoint x does not exist"));

    assertEquals(Failures.INVALID_INPUT, failure.getType());
    assertTrue(failure.isNonRetryable());
  }

  @Test
  void anUnavailableStorageStaysRetryableAndKeepsItsCause() {
    IOException refused = new IOException("connection refused");
    ApplicationFailure failure = StoreFailures.toFailure(
        new CheckpointStoreException.Unavailable("S3 get failed: is the endpoint up?", refused));

    assertEquals(Failures.STORAGE_UNAVAILABLE, failure.getType());
    assertFalse(failure.isNonRetryable());
    assertEquals("S3 get failed: is the endpoint up?", failure.getOriginalMessage());
    assertSame(refused, failure.getCause());
  }

  @Test
  void anyOtherStoreErrorStaysRetryableUnderItsClassName() {
    ApplicationFailure failure = StoreFailures.toFailure(new CheckpointStoreException("interrupted while uploading a checkpoint"));

    assertEquals(CheckpointStoreException.class.getName(), failure.getType());
    assertFalse(failure.isNonRetryable());
    assertNull(failure.getCause());
  }

  @Test
  void everyPermanentTypeIsOneTheStoreProfilesDoNotRetry() {
    List<String> doNotRetry = List.of(ActivityProfiles.checkpointIo().getRetryOptions().getDoNotRetry());
    for (CheckpointStoreException e : List.of(new CheckpointStoreException.Corrupt("c"),
        new CheckpointStoreException.Conflict("c"), new CheckpointStoreException.NotFound("n"))) {
      assertTrue(doNotRetry.contains(StoreFailures.toFailure(e).getType()), e.getClass().getSimpleName());
    }
    assertTrue(List.of(ActivityProfiles.recovery().getRetryOptions().getDoNotRetry()).contains(Failures.CHECKPOINT_CORRUPT));
  }

  @Test
  void callMapsStoreErrorsAndPassesEverythingElseThrough() {
    assertEquals("ok", StoreFailures.call(() -> "ok"));
    ApplicationFailure corrupt = assertThrows(ApplicationFailure.class, () -> StoreFailures.run(() -> {
      throw new CheckpointStoreException.Corrupt(CORRUPT);
    }));
    assertEquals(Failures.CHECKPOINT_CORRUPT, corrupt.getType());
    IllegalStateException other = new IllegalStateException("not the store's");
    assertSame(other, assertThrows(IllegalStateException.class, () -> StoreFailures.run(() -> {
      throw other;
    })));
  }
}
