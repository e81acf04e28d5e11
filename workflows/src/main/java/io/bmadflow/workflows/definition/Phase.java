package io.bmadflow.workflows.definition;

import java.util.Locale;

/** The BMAD phases, in the order a project goes through them. */
public enum Phase {
  ANALYSIS,
  PLANNING,
  SOLUTIONING,
  IMPLEMENTATION,
  DEPLOYMENT;

  /** The lower-case name used in files, ids and the CLI. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses a phase name as written in definitions ({@code planning}, {@code Planning}). */
  public static Phase fromWire(String name) {
    return valueOf(name.trim().toUpperCase(Locale.ROOT));
  }

  /**
   * The phase an agent works in by BMAD's division of labour, or null for agents that follow the
   * flow ({@code various}, {@code orchestrator}, alternatives spanning phases).
   */
  public static Phase ofAgent(String agent) {
    if (agent == null) {
      return null;
    }
    return switch (agent) {
      case "analyst" -> ANALYSIS;
      case "pm", "ux-expert" -> PLANNING;
      case "architect", "po", "spec-planner" -> SOLUTIONING;
      case "sm", "dev", "qa", "frontend-developer", "backend-developer", "spec-tester",
          "spec-reviewer" -> IMPLEMENTATION;
      case "spec-validator" -> DEPLOYMENT;
      default -> null;
    };
  }
}
