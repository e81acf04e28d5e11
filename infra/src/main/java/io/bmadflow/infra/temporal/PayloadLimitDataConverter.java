package io.bmadflow.infra.temporal;

import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.failure.v1.Failure;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DataConverterException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.payload.context.ActivitySerializationContext;
import io.temporal.payload.context.HasWorkflowSerializationContext;
import io.temporal.payload.context.SerializationContext;
import java.lang.reflect.Type;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A data converter that refuses, on the side that writes it, a payload the server would reject for
 * its blob size limit ({@link TemporalLimits#blobBytes()}).
 *
 * <p>Without it a too-large activity input or workflow result reaches the server, which fails the
 * workflow task and terminates the run ({@code BadScheduleActivityAttributes}: "exceeds size
 * limit"), and a too-large activity result fails on completion with a server error that names no
 * value. With it the writer throws a non-retryable {@link ApplicationFailure} of type
 * {@value #TYPE} naming the values, their size, the limit and what it was for: an activity that
 * returns too much fails (it is not retried, since a retry returns the same), and a workflow that
 * would send too much fails with that message as its failure, instead of being terminated by the
 * server. Reading is never refused: a payload already in history is replayed as it is.
 */
public final class PayloadLimitDataConverter implements DataConverter {
  /** The failure type of a refused payload. */
  public static final String TYPE = io.bmadflow.workflows.Failures.PAYLOAD_TOO_LARGE;

  private final DataConverter delegate;
  private final long limitBytes;
  private final SerializationContext context;

  public PayloadLimitDataConverter(DataConverter delegate, long limitBytes) {
    this(delegate, limitBytes, null);
  }

  private PayloadLimitDataConverter(DataConverter delegate, long limitBytes, SerializationContext context) {
    this.delegate = delegate;
    this.limitBytes = limitBytes;
    this.context = context;
  }

  /** The largest payload (all the values of one request) written, in bytes. */
  public long limitBytes() {
    return limitBytes;
  }

  @Override
  public <T> Optional<Payload> toPayload(T value) throws DataConverterException {
    Optional<Payload> payload = delegate.toPayload(value);
    if (payload.isPresent() && payload.get().getSerializedSize() > limitBytes) {
      throw refusal(payload.get().getSerializedSize(), value);
    }
    return payload;
  }

  @Override
  public Optional<Payloads> toPayloads(Object... values) throws DataConverterException {
    Optional<Payloads> payloads = delegate.toPayloads(values);
    if (payloads.isPresent() && payloads.get().getSerializedSize() > limitBytes) {
      throw refusal(payloads.get().getSerializedSize(), values);
    }
    return payloads;
  }

  private ApplicationFailure refusal(long size, Object... values) {
    String names = values == null || values.length == 0 ? "(no value)"
        : Arrays.stream(values).map(v -> v == null ? "null" : v.getClass().getSimpleName())
            .collect(Collectors.joining(", "));
    return ApplicationFailure.newNonRetryableFailure(String.format(Locale.ROOT,
        "payload %s%s is %,d bytes, over Temporal's blob size limit of %,d bytes (%s); the server would reject it"
            + " and end the workflow, so it is refused here: keep large data in the workspace or S3 and pass"
            + " references, or raise the limit on the cluster and set %s to match",
        names, where(), size, limitBytes, "limit.blobSize.error", TemporalLimits.BLOB_VARIABLE), TYPE);
  }

  private String where() {
    if (context instanceof ActivitySerializationContext a) {
      return " of activity " + a.getActivityType() + " (workflow " + a.getWorkflowType() + " " + a.getWorkflowId() + ")";
    }
    if (context instanceof HasWorkflowSerializationContext w) {
      return " of workflow " + w.getWorkflowId();
    }
    return "";
  }

  @Override
  public <T> T fromPayload(Payload payload, Class<T> valueClass, Type valueType) throws DataConverterException {
    return delegate.fromPayload(payload, valueClass, valueType);
  }

  @Override
  public <T> T fromPayloads(int index, Optional<Payloads> content, Class<T> valueType, Type valueGenericType)
      throws DataConverterException {
    return delegate.fromPayloads(index, content, valueType, valueGenericType);
  }

  @Override
  public Object[] fromPayloads(Optional<Payloads> content, Class<?>[] parameterTypes, Type[] genericParameterTypes)
      throws DataConverterException {
    return delegate.fromPayloads(content, parameterTypes, genericParameterTypes);
  }

  @Override
  public RuntimeException failureToException(Failure failure) {
    return delegate.failureToException(failure);
  }

  @Override
  public Failure exceptionToFailure(Throwable throwable) {
    return delegate.exceptionToFailure(throwable);
  }

  @Override
  public DataConverter withContext(SerializationContext context) {
    return new PayloadLimitDataConverter(delegate.withContext(context), limitBytes, context);
  }
}
