package io.bmadflow.infra.temporal;

import com.uber.m3.tally.Scope;
import io.grpc.StatusRuntimeException;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.envconfig.LoadClientConfigProfileOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The one place that connects to Temporal and builds the {@link WorkflowClient}.
 *
 * <p>Configuration is Temporal's standard environment and profile configuration:
 * {@code TEMPORAL_ADDRESS}, {@code TEMPORAL_NAMESPACE}, {@code TEMPORAL_API_KEY}, the
 * {@code TEMPORAL_TLS_*} variables and the {@code TEMPORAL_PROFILE} of the config file. bmadflow
 * adds {@code BMADFLOW_DEV_STACK=true}, which marks the target as the embedded test server (its
 * workers then need a zero sticky-queue timeout), and the server limits of {@link TemporalLimits}
 * ({@code BMADFLOW_LIMIT_*}): payloads over the blob limit are refused by the writer
 * ({@link PayloadLimitDataConverter}).
 */
public final class TemporalConnection implements AutoCloseable {
  private final WorkflowServiceStubs service;
  private final WorkflowClient client;
  private final String address;
  private final String namespace;
  private final boolean devStack;
  private final TemporalLimits limits;

  private TemporalConnection(WorkflowServiceStubs service, WorkflowClient client, String address, String namespace,
      boolean devStack, TemporalLimits limits) {
    this.limits = limits;
    this.service = service;
    this.client = client;
    this.address = address;
    this.namespace = namespace;
    this.devStack = devStack;
  }

  /** Connects with Temporal's environment configuration (see the class comment). */
  public static TemporalConnection fromEnvironment(Map<String, String> env) {
    return fromEnvironment(env, null);
  }

  /**
   * Connects with Temporal's environment configuration, reporting the SDK's metrics to
   * {@code metricsScope} (null: no metrics).
   */
  public static TemporalConnection fromEnvironment(Map<String, String> env, Scope metricsScope) {
    ClientConfigProfile profile;
    try {
      profile =
          ClientConfigProfile.load(
              LoadClientConfigProfileOptions.newBuilder().setEnvOverrides(env).build());
    } catch (IOException | RuntimeException e) {
      throw new TemporalUnavailableException(
          "Temporal client configuration cannot be loaded (" + e.getMessage()
              + "); check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_PROFILE and the config file", e);
    }
    WorkflowServiceStubsOptions stubOptions = withMetrics(profile.toWorkflowServiceStubsOptions(), metricsScope);
    String address = stubOptions.getTarget() != null ? stubOptions.getTarget() : "127.0.0.1:7233";
    WorkflowClientOptions clientOptions = profile.toWorkflowClientOptions();
    boolean devStack = "true".equalsIgnoreCase(env.getOrDefault("BMADFLOW_DEV_STACK", "false"));
    return open(stubOptions, clientOptions, address, clientOptions.getNamespace(), devStack,
        TemporalLimits.fromEnvironment(env));
  }

  /** Connects to the embedded dev stack's test server at {@code address}. */
  public static TemporalConnection toDevStack(String address, String namespace) {
    return toDevStack(address, namespace, null);
  }

  /**
   * Connects to the embedded dev stack's test server at {@code address}, reporting the SDK's
   * metrics to {@code metricsScope} (null: no metrics).
   */
  public static TemporalConnection toDevStack(String address, String namespace, Scope metricsScope) {
    return toDevStack(address, namespace, metricsScope, true);
  }

  /**
   * Connects to the embedded dev stack's Temporal server at {@code address}, reporting the SDK's
   * metrics to {@code metricsScope} (null: no metrics).
   *
   * @param testServer whether it is the Java test server ({@link #isDevStack()}: its workers get
   *     the test-server-only settings); false for the real dev server, whose workers keep
   *     Temporal's production defaults
   */
  public static TemporalConnection toDevStack(String address, String namespace, Scope metricsScope, boolean testServer) {
    return toDevStack(address, namespace, metricsScope, testServer, TemporalLimits.DEFAULTS);
  }

  /**
   * Connects to the embedded dev stack's Temporal server at {@code address}, acting on
   * {@code limits} (those the dev server was started with).
   */
  public static TemporalConnection toDevStack(String address, String namespace, Scope metricsScope, boolean testServer,
      TemporalLimits limits) {
    return open(
        withMetrics(WorkflowServiceStubsOptions.newBuilder().setTarget(address).build(), metricsScope),
        WorkflowClientOptions.newBuilder().setNamespace(namespace).build(),
        address,
        namespace,
        testServer,
        limits);
  }

  private static WorkflowServiceStubsOptions withMetrics(WorkflowServiceStubsOptions options, Scope metricsScope) {
    return metricsScope == null ? options
        : WorkflowServiceStubsOptions.newBuilder(options).setMetricsScope(metricsScope).build();
  }

  private static TemporalConnection open(
      WorkflowServiceStubsOptions stubOptions,
      WorkflowClientOptions clientOptions,
      String address,
      String namespace,
      boolean devStack,
      TemporalLimits limits) {
    // Payloads over the server's blob limit are refused by the writer, with a message naming them.
    clientOptions = WorkflowClientOptions.newBuilder(clientOptions)
        .setDataConverter(new PayloadLimitDataConverter(clientOptions.getDataConverter() != null
            ? clientOptions.getDataConverter() : io.temporal.common.converter.DataConverter.getDefaultInstance(),
            limits.blobBytes()))
        .build();
    WorkflowServiceStubs service = WorkflowServiceStubs.newServiceStubs(stubOptions);
    try {
      service.blockingStub()
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      service.shutdownNow();
      throw new TemporalUnavailableException(
          "Temporal at " + address + " cannot be reached (" + e.getStatus().getCode()
              + (e.getStatus().getDescription() != null ? ": " + e.getStatus().getDescription() : "")
              + "); check TEMPORAL_ADDRESS and that the server is running (`bmadflow dev` starts one)", e);
    }
    try {
      service.blockingStub()
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(namespace).build());
    } catch (StatusRuntimeException e) {
      service.shutdownNow();
      throw new TemporalUnavailableException(
          "Temporal namespace '" + namespace + "' at " + address + " cannot be used (" + e.getStatus().getCode()
              + "); check TEMPORAL_NAMESPACE", e);
    }
    return new TemporalConnection(
        service, WorkflowClient.newInstance(service, clientOptions), address, namespace, devStack, limits);
  }

  /**
   * Registers search attributes in the namespace, one by one; existing ones are fine. Returns
   * what could not be registered (a cluster may forbid it: Temporal Cloud registers them in its
   * console), for the caller to warn about.
   */
  public java.util.List<String> registerSearchAttributes(java.util.List<io.temporal.common.SearchAttributeKey<?>> keys) {
    java.util.List<String> problems = new java.util.ArrayList<>();
    var operator = io.temporal.serviceclient.OperatorServiceStubs.newServiceStubs(
        io.temporal.serviceclient.OperatorServiceStubsOptions.newBuilder()
            .setChannel(service.getRawChannel())
            .validateAndBuildWithDefaults());
    try {
      for (var key : keys) {
        try {
          operator.blockingStub().withDeadlineAfter(10, TimeUnit.SECONDS).addSearchAttributes(
              io.temporal.api.operatorservice.v1.AddSearchAttributesRequest.newBuilder()
                  .setNamespace(namespace)
                  .putSearchAttributes(key.getName(), key.getValueType())
                  .build());
        } catch (StatusRuntimeException e) {
          if (e.getStatus().getCode() != io.grpc.Status.Code.ALREADY_EXISTS) {
            problems.add(key.getName() + ": " + e.getStatus().getCode()
                + (e.getStatus().getDescription() != null ? " " + e.getStatus().getDescription() : ""));
          }
        }
      }
    } finally {
      operator.shutdown();
    }
    return problems;
  }

  public WorkflowClient client() {
    return client;
  }

  public WorkflowServiceStubs service() {
    return service;
  }

  /** The server limits this connection acts on (see {@link TemporalLimits}). */
  public TemporalLimits limits() {
    return limits;
  }

  public String address() {
    return address;
  }

  public String namespace() {
    return namespace;
  }

  /**
   * Whether the target is the embedded Java test server rather than a real server (a cluster or
   * the dev server): only then do workers get the test-server-only settings.
   */
  public boolean isDevStack() {
    return devStack;
  }

  @Override
  public void close() {
    service.shutdown();
    service.awaitTermination(5, TimeUnit.SECONDS);
  }
}
