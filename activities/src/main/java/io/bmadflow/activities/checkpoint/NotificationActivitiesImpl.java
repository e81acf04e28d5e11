package io.bmadflow.activities.checkpoint;

import io.bmadflow.infra.json.PackageJson;
import io.bmadflow.workflows.Failures;
import io.bmadflow.workflows.checkpoint.CheckpointEvent;
import io.bmadflow.workflows.checkpoint.NotificationActivities;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhook notifications: POSTs each {@link CheckpointEvent} as JSON (snake_case keys) to
 * {@code BMADFLOW_WEBHOOK_URL}, with a 10 s timeout. Without a URL it does nothing. A non-2xx
 * answer or an I/O error throws, so Temporal retries the attempt.
 */
public final class NotificationActivitiesImpl implements NotificationActivities {
  private static final Logger log = LoggerFactory.getLogger(NotificationActivitiesImpl.class);
  static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final URI webhook;
  private final HttpClient http;

  /**
   * Posts to {@code webhookUrl}; null or blank turns notifications off.
   *
   * @throws IllegalArgumentException when the URL is not an absolute http(s) URL
   */
  public NotificationActivitiesImpl(String webhookUrl) {
    this.webhook = parse(webhookUrl);
    this.http = webhook == null ? null
        : HttpClient.newBuilder().connectTimeout(TIMEOUT).followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** The notifications {@code BMADFLOW_WEBHOOK_URL} configures. */
  public static NotificationActivitiesImpl fromEnvironment(Map<String, String> env) {
    return new NotificationActivitiesImpl(env.get("BMADFLOW_WEBHOOK_URL"));
  }

  private static URI parse(String url) {
    if (url == null || url.isBlank()) {
      return null;
    }
    URI uri;
    try {
      uri = URI.create(url.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("BMADFLOW_WEBHOOK_URL is not a URL: " + e.getMessage(), e);
    }
    if (uri.getScheme() == null || !(uri.getScheme().equalsIgnoreCase("http") || uri.getScheme().equalsIgnoreCase("https"))
        || uri.getHost() == null) {
      throw new IllegalArgumentException("BMADFLOW_WEBHOOK_URL must be an absolute http or https URL");
    }
    return uri;
  }

  /** Whether a webhook is configured. */
  public boolean enabled() {
    return webhook != null;
  }

  @Override
  public void notifyCheckpoint(CheckpointEvent event) {
    if (webhook == null) {
      return;
    }
    if (event == null || event.projectId() == null || event.checkpointId() == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "a checkpoint notification needs the project and checkpoint ids", Failures.INVALID_INPUT);
    }
    HttpRequest request = HttpRequest.newBuilder(webhook)
        .timeout(TIMEOUT)
        .header("Content-Type", "application/json")
        .header("User-Agent", "bmadflow")
        .header("Idempotency-Key", event.projectId() + "/" + event.checkpointId())
        .POST(HttpRequest.BodyPublishers.ofByteArray(PackageJson.write(event)))
        .build();
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      // The URL may carry a token: name only its host.
      throw new UncheckedIOException("webhook at " + webhook.getHost() + " cannot be reached: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while notifying the webhook", e);
    }
    int status = response.statusCode();
    if (status < 200 || status > 299) {
      String body = response.body() == null ? "" : response.body();
      throw new IllegalStateException("webhook at " + webhook.getHost() + " answered " + status
          + (body.isBlank() ? "" : ": " + (body.length() > 200 ? body.substring(0, 200) + "..." : body.strip())));
    }
    log.info("checkpoint {} of {} notified to {} ({})", event.checkpointId(), event.projectId(), webhook.getHost(), status);
  }
}
