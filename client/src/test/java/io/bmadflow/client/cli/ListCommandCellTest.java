package io.bmadflow.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** {@code bmadflow list} prints values read from visibility, which anyone with namespace access can set, as inert cells. */
class ListCommandCellTest {

  @Test
  void controlCharactersAndTerminalEscapesBecomeQuestionMarks() {
    assertEquals("?[31mred?[0m step?two", ListCommand.dash("\u001b[31mred\u001b[0m step\ntwo"));
  }

  @Test
  void longValuesAreCutAndEmptyOnesAreADash() {
    String cell = ListCommand.dash("x".repeat(500));
    assertEquals("x".repeat(120) + "...", cell);
    assertEquals("-", ListCommand.dash(null));
    assertEquals("-", ListCommand.dash(""));
    assertEquals("story 1.1: ünïcode ✓", ListCommand.dash("story 1.1: ünïcode ✓"));
  }
}
