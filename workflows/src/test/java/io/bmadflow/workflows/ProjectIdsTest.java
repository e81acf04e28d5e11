package io.bmadflow.workflows;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.bmadflow.workflows.checkpoint.CheckpointIds;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ProjectIdsTest {

  @Test
  void acceptsPlainIds() {
    assertNull(ProjectIds.problem("my-app_2"));
    assertNull(ProjectIds.problem("a".repeat(64)));
    assertEquals("bmadflow-project-my-app", ProjectIds.workflowId("my-app"));
  }

  @Test
  void refusesBadIdsNamingTheProblem() {
    assertTrue(ProjectIds.problem("../x").contains("'.' at position 1"), ProjectIds.problem("../x"));
    assertTrue(ProjectIds.problem("").contains("is empty"));
    assertTrue(ProjectIds.problem(null).contains("is empty"));
    assertTrue(ProjectIds.problem("a".repeat(300)).contains("300 characters long"));
    assertTrue(ProjectIds.problem("my app").contains("a space at position 3"));
    assertTrue(ProjectIds.problem("a/b").contains("'/' at position 2"));
    assertTrue(ProjectIds.problem("-x").contains("position 1"));
    assertTrue(ProjectIds.problem("x\ny").contains("control character U+000A"));
    assertThrows(IllegalArgumentException.class, () -> ProjectIds.workflowId("../x"));
  }

  @Test
  void checkpointIdsRoundTripAndRejectTraversal() {
    String id = CheckpointIds.of(0L, UUID.fromString("123e4567-e89b-12d3-a456-426614174000"));
    assertEquals("cp-1970-01-01-00-00-00-123e4567-e89b-12d3-a456-426614174000", id);
    assertTrue(CheckpointIds.isValid(id));
    assertThrows(IllegalArgumentException.class, () -> CheckpointIds.requireValid(id + "/../x"));
    assertThrows(IllegalArgumentException.class, () -> CheckpointIds.requireValid("cp-../../etc"));
  }
}
