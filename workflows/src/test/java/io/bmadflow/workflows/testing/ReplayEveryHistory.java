package io.bmadflow.workflows.testing;

import io.temporal.client.WorkflowClient;
import io.temporal.testing.TestWorkflowEnvironment;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.Set;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * After every test, replays every workflow execution of the Temporal servers the test reaches.
 *
 * <p>Registered for every test class of every module by JUnit's extension auto-detection
 * ({@code META-INF/services} in this module's test jar; the parent pom turns detection on), so it
 * is not opt-in: it finds the test's {@link TestWorkflowEnvironment}s and {@link WorkflowClient}s
 * in the test instance's and class's fields, and in the fields of bmadflow objects those hold (a
 * dev stack, a drill runner), and fails the test when one history does not replay, naming the
 * workflow and the event. Fixtures that start and stop a server inside one test method call
 * {@link HistoryReplayCheck#assertAllReplay} before they stop it.
 */
public final class ReplayEveryHistory implements AfterTestExecutionCallback {
  private static final int DEPTH = 4;

  @Override
  public void afterTestExecution(ExtensionContext context) {
    Set<WorkflowClient> clients = Collections.newSetFromMap(new IdentityHashMap<>());
    Object instance = context.getTestInstance().orElse(null);
    Deque<Object[]> queue = new ArrayDeque<>();
    Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Class<?> c = context.getRequiredTestClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field f : c.getDeclaredFields()) {
        Object value = read(f, Modifier.isStatic(f.getModifiers()) ? null : instance);
        if (value != null) {
          queue.add(new Object[] {value, 1});
        }
      }
    }
    while (!queue.isEmpty()) {
      Object[] next = queue.poll();
      Object value = next[0];
      int depth = (int) next[1];
      if (!seen.add(value)) {
        continue;
      }
      if (value instanceof TestWorkflowEnvironment env) {
        clients.add(env.getWorkflowClient());
      } else if (value instanceof WorkflowClient client) {
        clients.add(client);
      } else if (depth < DEPTH && value.getClass().getName().startsWith("io.bmadflow.")) {
        for (Class<?> c = value.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
          for (Field f : c.getDeclaredFields()) {
            if (!Modifier.isStatic(f.getModifiers()) && !f.getType().isPrimitive()) {
              Object inner = read(f, value);
              if (inner != null) {
                queue.add(new Object[] {inner, depth + 1});
              }
            }
          }
        }
      }
    }
    Set<String> checked = new LinkedHashSet<>();
    for (WorkflowClient client : clients) {
      String target = System.identityHashCode(client.getWorkflowServiceStubs()) + "/" + client.getOptions().getNamespace();
      if (checked.add(target) && !isShutdown(client)) {
        HistoryReplayCheck.assertAllReplay(client, context.getRequiredTestClass().getSimpleName() + " " + context.getDisplayName());
      }
    }
  }

  private static boolean isShutdown(WorkflowClient client) {
    return client.getWorkflowServiceStubs().isShutdown() || client.getWorkflowServiceStubs().isTerminated();
  }

  private static Object read(Field f, Object owner) {
    if (owner == null && !Modifier.isStatic(f.getModifiers())) {
      return null;
    }
    try {
      f.setAccessible(true);
      return f.get(owner);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
