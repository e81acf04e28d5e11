package io.bmadflow.workflows;

import io.temporal.common.SearchAttributeKey;
import java.util.List;

/**
 * The search attributes a project workflow keeps current for the Temporal Web UI. The worker
 * registers them at start where the server allows it; the client sets them when it starts a
 * project, and the workflow upserts them only when they were set, so a cluster that refused them
 * never breaks a workflow.
 */
public final class SearchAttributes {
  public static final SearchAttributeKey<String> PROJECT = SearchAttributeKey.forKeyword("BmadflowProject");
  public static final SearchAttributeKey<String> PHASE = SearchAttributeKey.forKeyword("BmadflowPhase");
  public static final SearchAttributeKey<String> STEP = SearchAttributeKey.forText("BmadflowStep");
  public static final SearchAttributeKey<String> STATUS = SearchAttributeKey.forKeyword("BmadflowStatus");
  public static final SearchAttributeKey<String> LAST_CHECKPOINT = SearchAttributeKey.forKeyword("BmadflowLastCheckpoint");

  /** All of them, for registration. */
  public static final List<SearchAttributeKey<String>> ALL = List.of(PROJECT, PHASE, STEP, STATUS, LAST_CHECKPOINT);

  private SearchAttributes() {}
}
