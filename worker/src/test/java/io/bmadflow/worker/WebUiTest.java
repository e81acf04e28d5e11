package io.bmadflow.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.bmadflow.infra.checkpoint.CheckpointMetadata;
import io.bmadflow.infra.checkpoint.CheckpointSummary;
import io.bmadflow.workflows.ProjectIds;
import io.bmadflow.workflows.checkpoint.CheckpointRef;
import io.bmadflow.workflows.checkpoint.CheckpointTrigger;
import io.bmadflow.workflows.project.ProjectSnapshot;
import io.bmadflow.workflows.recovery.RecoveryReport;
import io.bmadflow.workflows.testing.RequiredTool;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The Temporal Web UI that the dev server serves (UI 2.54.1 in CLI 1.9.1), driven in Debian's
 * chromium, headless, through its chromedriver: what an operator does with a bmadflow project.
 *
 * <p>One project runs on a dev stack and is paused past its fifth checkpoint. The tests, in order:
 * find it in the workflow list with a {@code BmadflowProject="..."} query and see its search
 * attributes and memo with the values {@code temporal workflow describe} gives; send
 * {@code requestCheckpoint} through the UI's signal dialog and see a milestone checkpoint committed;
 * reset from the UI's reset dialog to the third checkpoint's event and see the workers rewind the
 * workspace (a {@code reset-rewind} report, outcome {@code recovered}) and the project end with the
 * workspace and state of an uninterrupted twin.
 *
 * <p>No browser or driver is downloaded: chromium and chromedriver come from the PATH (without them
 * the class is skipped with one line, and fails under {@code CI=true}: {@link RequiredTool}), and the
 * driver's path is given to Selenium, which then skips Selenium Manager. A failing test leaves a
 * screenshot and the page's HTML in {@code target/webui-failures/}. The screenshots for
 * {@code docs/operators.md} go to {@code target/webui-screenshots/}, and also to the directory the
 * system property {@value #SCREENSHOTS_PROPERTY} names (the docs' are refreshed with
 * {@code -Dbmadflow.webui.screenshots=$PWD/docs/operators}).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebUiTest {
  static final String INSTALL = "apt-get install chromium chromium-driver";
  static final String SCREENSHOTS_PROPERTY = "bmadflow.webui.screenshots";
  private static final String PROJECT = "webui";
  /** Long enough steps that the project is still running when it is paused. */
  private static final long STEP_MS = 150;
  private static final Duration UI_WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> ATTRIBUTES =
      List.of("BmadflowProject", "BmadflowPhase", "BmadflowStatus", "BmadflowLastCheckpoint", "BmadflowStep");

  @TempDir static Path dataDir;
  static StackFixture stack;
  static BmadflowWorker worker;
  static ChromeDriverService driverService;
  static WebDriver browser;
  /** The uninterrupted twin's comparable final state and workspace. */
  static Map<String, Object> twinState;
  static Map<String, String> twinWorkspace;
  /** The third checkpoint and the event it records. */
  static CheckpointRef third;
  static CheckpointMetadata.TemporalReference thirdAt;

  @RegisterExtension
  static final TestWatcher SCREENSHOT_ON_FAILURE = new TestWatcher() {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      if (browser == null) {
        return;
      }
      try {
        Path dir = Files.createDirectories(Path.of("target", "webui-failures"));
        String name = context.getRequiredTestMethod().getName();
        Files.write(dir.resolve(name + ".png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        Files.writeString(dir.resolve(name + ".html"), browser.getCurrentUrl() + "\n" + browser.getPageSource());
        System.err.println("WebUiTest: screenshot of the failure in " + dir.resolve(name + ".png").toAbsolutePath());
      } catch (IOException | RuntimeException e) {
        System.err.println("WebUiTest: no screenshot of the failure: " + e);
      }
    }
  };

  @BeforeAll
  static void startStackProjectAndBrowser() throws Exception {
    Path chromium = RequiredTool.onPath("chromium", INSTALL);
    Path chromedriver = RequiredTool.onPath("chromedriver", INSTALL);
    stack = DevServerFixture.start(dataDir.resolve("stack"));
    worker = stack.worker("webui-worker", STEP_MS);

    Path twinDir = ws(PROJECT + "-twin");
    stack.start(PROJECT, twinDir);
    twinState = Outcomes.comparable(stack.await(PROJECT).finalState());
    twinWorkspace = Outcomes.workspace(twinDir);

    stack.start(PROJECT, ws(PROJECT));
    // The third checkpoint is the second one taken at a phase transition (the first is the start's):
    // a reset there rewinds the files, while one into a running phase leaves that phase's files. Which
    // checkpoints a phase's end folds into one varies with timing, so it is found by its trigger.
    third = stack.awaitPast(PROJECT, c -> CheckpointTrigger.PHASE_TRANSITION.wire().equals(c.trigger()), 2);
    thirdAt = stack.store.metadata(PROJECT, third.checkpointId()).temporal();
    assertNotNull(thirdAt, "the third checkpoint records no Temporal reference");
    // Paused, the project holds still while the operator looks and clicks (checkpoints are still taken).
    stack.client.pause(PROJECT, "an operator looks at it in the Web UI");
    stack.awaitState(PROJECT, ProjectSnapshot::paused);

    driverService = new ChromeDriverService.Builder()
        .usingDriverExecutable(chromedriver.toFile())
        .usingAnyFreePort()
        .withLogFile(dataDir.resolve("chromedriver.log").toFile())
        .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toString());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--user-data-dir=" + Files.createDirectories(dataDir.resolve("chromium-profile")), "--window-size=1280,860");
    browser = new ChromeDriver(driverService, options);
    browser.manage().window().setSize(new Dimension(1280, 860));
  }

  @AfterAll
  static void stop() {
    try {
      if (browser != null) {
        browser.quit();
      }
    } finally {
      if (driverService != null) {
        driverService.stop();
      }
      if (worker != null) {
        worker.close();
      }
      if (stack != null) {
        stack.close();
      }
    }
  }

  @Test
  @Order(1)
  void anOperatorFindsTheProjectByItsSearchAttributeAndSeesItsSearchAttributesAndMemo() throws Exception {
    String runId = describe().path("workflowExecutionInfo").path("execution").path("runId").asText();
    browser.get(ui("/namespaces/default/workflows?query="
        + java.net.URLEncoder.encode("BmadflowProject=\"" + PROJECT + "\"", StandardCharsets.UTF_8)));
    // Both runs of the project id are listed (the twin's and this one); the running one is picked by its run id.
    WebElement run = visible(By.xpath("//a[normalize-space()='" + runId + "']"));
    visible(By.xpath("//a[normalize-space()='" + ProjectIds.workflowId(PROJECT) + "']"));
    screenshot("workflow-list.png");
    run.click();
    until(d -> d.getCurrentUrl().contains("/workflows/" + ProjectIds.workflowId(PROJECT) + "/" + runId) ? true : null);

    // The UI shows what the server has at load time: compare with describe until both agree (a
    // checkpoint committed meanwhile changes BmadflowLastCheckpoint).
    Map<String, String> shown = null;
    Map<String, String> described = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      described = decodedFields(describe().path("workflowExecutionInfo").path("searchAttributes").path("indexedFields"));
      shown = uiJson("search-attributes-tab", "BmadflowProject");
      if (shown.keySet().containsAll(ATTRIBUTES) && described.entrySet().containsAll(subMap(shown, ATTRIBUTES).entrySet())) {
        break;
      }
      browser.navigate().refresh();
    }
    assertEquals(subMap(described, ATTRIBUTES), subMap(shown, ATTRIBUTES), "the UI's search attributes");
    assertEquals(PROJECT, shown.get("BmadflowProject"));
    assertEquals("paused", shown.get("BmadflowStatus"));
    assertTrue(shown.get("BmadflowLastCheckpoint").startsWith("cp-"), shown.toString());
    screenshot("search-attributes.png");

    Map<String, String> memo = uiJson("memo-tab", "fields");
    Map<String, String> describedMemo = decodedFields(describe().path("workflowExecutionInfo").path("memo").path("fields"));
    assertEquals(describedMemo, memo, "the UI's memo");
    assertEquals("greenfield-fullstack", memo.get("definition"));
    assertEquals(ws(PROJECT).toString(), memo.get("workspace"));
    screenshot("memo.png");
  }

  @Test
  @Order(2)
  void theSignalDialogsRequestCheckpointTakesAMilestoneCheckpoint() throws Exception {
    String milestone = CheckpointTrigger.MILESTONE.wire();
    assertTrue(stack.client.state(PROJECT).checkpoints().stream().noneMatch(c -> milestone.equals(c.trigger())));
    openWorkflowPage();
    visible(By.xpath("//button[normalize-space()='More Actions']")).click();
    visible(By.cssSelector("[data-testid='signal-button']")).click();
    WebElement dialog = visible(By.id("signal-confirmation-modal"));
    visible(By.cssSelector("#signal-confirmation-modal [data-testid='signal-select-button']")).click();
    // The signal names come from the worker (the SDK's workflow metadata query).
    visible(By.xpath("//*[@id='signal-confirmation-modal']//li[@role='option'][normalize-space()='requestCheckpoint']")).click();
    WebElement editor = visible(By.cssSelector("#signal-confirmation-modal .cm-content"));
    editor.click();
    String payload = "{\"kind\": \"milestone\", \"reason\": \"release candidate, from the Web UI\", \"requestedBy\": \"operator\"}";
    editor.sendKeys(payload);
    // The editor closes brackets and quotes as one types: what it holds must still be the payload.
    assertEquals(JSON.readTree(payload), JSON.readTree(editor.getText()), editor.getText());
    // Leaving the editor formats the JSON and moves the buttons: leave it, then click.
    editor.sendKeys(Keys.TAB);
    until(d -> editor.getText().contains("\n") ? true : null);
    elementScreenshot(dialog, "signal-dialog.png");
    visible(By.xpath("//*[@id='signal-confirmation-modal']//button[normalize-space()='Submit']")).click();
    until(d -> d.findElements(By.id("signal-confirmation-modal")).stream().noneMatch(WebElement::isDisplayed) ? true : null);

    ProjectSnapshot after = stack.awaitState(PROJECT, s -> s.checkpoints().stream().anyMatch(c -> milestone.equals(c.trigger())));
    CheckpointRef taken = after.checkpoints().stream().filter(c -> milestone.equals(c.trigger())).findFirst().orElseThrow();
    assertEquals(io.bmadflow.workflows.checkpoint.CheckpointType.MANUAL.wire(), taken.type());
    assertEquals(io.bmadflow.workflows.checkpoint.CheckpointPriority.HIGH.wire(), taken.priority());
    assertTrue(stack.store.list(PROJECT).stream().map(CheckpointSummary::checkpointId).anyMatch(taken.checkpointId()::equals),
        "the milestone checkpoint is not in the store");
    List<HistoryEvent> signals = history(describe().path("workflowExecutionInfo").path("execution").path("runId").asText())
        .stream().filter(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
        .filter(e -> e.getWorkflowExecutionSignaledEventAttributes().getSignalName().equals("requestCheckpoint")).toList();
    assertEquals(1, signals.size(), "requestCheckpoint signals in the history");
  }

  @Test
  @Order(3)
  void aResetFromTheResetDialogToTheThirdCheckpointRewindsTheWorkspace() throws Exception {
    String baseRun = describe().path("workflowExecutionInfo").path("execution").path("runId").asText();
    assertEquals(thirdAt.runId(), baseRun, "the project continued as new before the test reset it");
    Map<String, String> workspaceAtReset = Outcomes.workspace(ws(PROJECT));
    Map<String, String> atCheckpoint = new TreeMap<>(stack.store.open(PROJECT, third.checkpointId()).workspaceFiles());
    assertNotEquals(atCheckpoint, workspaceAtReset, "the project had not moved on from the third checkpoint");

    openWorkflowPage();
    visible(By.xpath("//button[normalize-space()='More Actions']")).click();
    visible(By.cssSelector("[data-testid='reset-button']")).click();
    WebElement dialog = visible(By.id("reset-confirmation-modal"));
    visible(By.cssSelector("#reset-confirmation-modal [data-testid='workflow-reset-event-id-select-button']")).click();
    // The dialog lists the run's workflow task events; a checkpoint records a WorkflowTaskCompleted one.
    visible(By.xpath("//*[@id='reset-confirmation-modal']//li[@role='option'][normalize-space()='"
        + thirdAt.historyEventId() + " - WorkflowTaskCompleted']")).click();
    // Back exactly to the checkpoint, as `bmadflow reset` does: the signals and updates after it
    // (the step reports of the replaced run, this operator's pause and checkpoint request) are not
    // replayed on the new run.
    for (String exclude : List.of("reset-exclude-signals-checkbox", "reset-exclude-updates-checkbox")) {
      visible(By.cssSelector("#reset-confirmation-modal [data-testid='" + exclude + "-label']")).click();
      // The page renders the dialog twice (one hidden): the box is the one in the dialog on screen.
      WebElement box = dialog.findElement(By.cssSelector("[data-testid='" + exclude + "'] input[type='checkbox']"));
      until(d -> box.isSelected() ? true : null);
    }
    visible(By.cssSelector("#reset-confirmation-modal #reset-reason")).sendKeys("back to the third checkpoint");
    elementScreenshot(dialog, "reset-dialog.png");
    visible(By.xpath("//*[@id='reset-confirmation-modal']//button[normalize-space()='Confirm']")).click();

    String newRun = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      newRun = describe().path("workflowExecutionInfo").path("execution").path("runId").asText();
      if (!newRun.equals(baseRun)) {
        break;
      }
      Thread.sleep(200);
    }
    assertNotEquals(baseRun, newRun, "the reset made no new run");
    // The old run's page says where the reset went.
    browser.navigate().refresh();
    visible(By.xpath("//*[contains(normalize-space(), 'This Workflow has been reset')]"));
    String link = visible(By.xpath("//a[normalize-space()='here']")).getAttribute("href");
    assertTrue(link != null && link.contains(newRun), "the reset run's page links to " + link + ", not to the new run " + newRun);
    // The page has loaded when it shows the run's input, the project request.
    uiCode("\"projectId\"");
    screenshot("reset-done.png");
    ProjectSnapshot end = stack.await(PROJECT).finalState();
    assertEquals(ProjectSnapshot.COMPLETE, end.phase());
    assertEquals(twinState, Outcomes.comparable(end));
    assertEquals(twinWorkspace, Outcomes.workspace(ws(PROJECT)));
    RecoveryReport report = rewindReport();
    assertEquals(RecoveryReport.RECOVERED, report.outcome(), String.valueOf(report.error()));
    assertEquals(third.checkpointId(), report.checkpoint().checkpointId());
    assertEquals(newRun, report.newRunId());
    assertFalse(report.plan().actions().isEmpty(), report.toString());
    // The signals after the reset point were excluded: the new run never saw the pause or the
    // checkpoint request, and ran to the end unpaused.
    List<String> reapplied = history(newRun).stream()
        .filter(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
        .map(e -> e.getWorkflowExecutionSignaledEventAttributes().getSignalName())
        .filter(name -> name.equals("pause") || name.equals("requestCheckpoint")).toList();
    assertEquals(List.of(), reapplied, "operator signals replayed on the new run");
  }

  /** Opens the project's workflow page, the address `bmadflow status` prints. */
  private static void openWorkflowPage() {
    browser.get(stack.stack.workflowLink(PROJECT));
    visible(By.xpath("//*[normalize-space()='" + ProjectIds.workflowId(PROJECT) + "']"));
  }

  /** Clicks a tab of the workflow page and reads the JSON it shows, as a flat map of its (or its fields') values. */
  private static Map<String, String> uiJson(String tabTestId, String mustContain) throws IOException {
    visible(By.cssSelector("[data-testid='" + tabTestId + "']")).click();
    JsonNode shown = JSON.readTree(uiCode("\"" + mustContain + "\"").getText());
    return flat(shown.has("fields") ? shown.get("fields") : shown);
  }

  /** The first code block on the page (outside the dialogs) that shows {@code text}, waiting for it. */
  private static WebElement uiCode(String text) {
    return until(d -> d.findElements(By.cssSelector(".cm-content")).stream()
        .filter(e -> e.isDisplayed() && e.findElements(By.xpath("ancestor::dialog")).isEmpty())
        .filter(e -> e.getText().contains(text))
        .findFirst().orElse(null));
  }

  private static Map<String, String> flat(JsonNode object) {
    Map<String, String> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString());
    }
    return out;
  }

  /**
   * The values {@code temporal workflow describe -o json} gives: payloads ({@code metadata} and
   * base64 {@code data}, as search attributes come) decoded, plain JSON (as the memo comes) as is.
   */
  private static Map<String, String> decodedFields(JsonNode fields) throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = fields.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode value = e.getValue();
      if (value.has("data") && value.has("metadata")) {
        value = JSON.readTree(Base64.getDecoder().decode(value.get("data").asText()));
      }
      out.put(e.getKey(), value.isTextual() ? value.asText() : value.toString());
    }
    return out;
  }

  private static Map<String, String> subMap(Map<String, String> map, List<String> keys) {
    Map<String, String> out = new TreeMap<>();
    keys.forEach(k -> out.put(k, map.get(k)));
    return out;
  }

  private static JsonNode describe() throws IOException, InterruptedException {
    return JSON.readTree(temporalCli("workflow", "describe", "--workflow-id", ProjectIds.workflowId(PROJECT), "-o", "json"));
  }

  private static List<HistoryEvent> history(String runId) {
    return stack.temporal.client().fetchHistory(ProjectIds.workflowId(PROJECT), runId).getEvents();
  }

  private static String temporalCli(String... args) throws IOException, InterruptedException {
    return stack.temporalCli(args);
  }

  private static RecoveryReport rewindReport() throws InterruptedException {
    return stack.awaitReport(PROJECT, "reset-rewind");
  }

  /** The first displayed element {@code by} finds, waiting for it (the UI renders some controls twice, one hidden). */
  private static WebElement visible(By by) {
    return until(d -> d.findElements(by).stream().filter(WebElement::isDisplayed).findFirst().orElse(null));
  }

  private static <T> T until(Function<WebDriver, T> condition) {
    return new WebDriverWait(browser, UI_WAIT)
        .ignoring(StaleElementReferenceException.class)
        .ignoring(NoSuchElementException.class)
        .until(condition::apply);
  }

  private static void screenshot(String name) {
    save(name, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  private static void elementScreenshot(WebElement element, String name) {
    // Let the dialog's opening animation finish: its bounds must be still before the picture.
    until(d -> {
      Object before = ((JavascriptExecutor) d).executeScript("return JSON.stringify(arguments[0].getBoundingClientRect())", element);
      try {
        Thread.sleep(150);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Object after = ((JavascriptExecutor) d).executeScript("return JSON.stringify(arguments[0].getBoundingClientRect())", element);
      return before.equals(after) ? true : null;
    });
    save(name, element.getScreenshotAs(OutputType.BYTES));
  }

  private static void save(String name, byte[] png) {
    try {
      Path dir = Files.createDirectories(Path.of("target", "webui-screenshots"));
      Files.write(dir.resolve(name), png);
      String docs = System.getProperty(SCREENSHOTS_PROPERTY, "").trim();
      if (!docs.isEmpty()) {
        Files.copy(dir.resolve(name), Files.createDirectories(Path.of(docs)).resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String ui(String path) {
    return stack.stack.workflowLink(PROJECT).replaceFirst("/namespaces/.*$", "") + path;
  }

  private static Path ws(String project) throws IOException {
    return Files.createDirectories(stack.allowedWorkspaces.resolve("workspaces-" + project));
  }
}
