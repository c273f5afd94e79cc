package dev.passport.host.template;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.host.PassportHost;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.TestHosts;
import dev.passport.host.testing.Requests;
import dev.passport.testkit.FakeClock;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Templates through the real host on a real Unix socket (issue 23), with an in-process backend
 * whose files the test sets: validation before any backend call, the render inside the one
 * {@code ..data} swap, republish semantics, and hostile templates refused with the host healthy.
 */
class TemplatesEndToEndTest {

  private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");
  private static final String TOKEN = "templated-token-" + System.nanoTime();
  private static final String APP_ENV = "- fileName: app.env\n  template: "
      + "'URL=postgres://{{username}}:{{#url}}{{password}}{{/url}}@db/{{pod.namespace}}'\n";

  @TempDir Path dir;
  private final FakeClock clock = FakeClock.at(START);
  private final TemplateTestBackend backend = new TemplateTestBackend();
  private PassportHost host;
  private CsiClient client;
  private Path kubelet;

  @BeforeEach
  void start() throws Exception {
    kubelet = dir.resolve("kubelet");
    host = TestHosts.builder(dir, kubelet)
        .clock(clock)
        .refreshInterval(Duration.ofMinutes(10))
        .backendFactory(backend, Map.of())
        .start();
    client = new CsiClient(host.socket());
    backend.serve(Map.of("username", "alice", "password", "p@ss"));
  }

  @AfterEach
  void stop() {
    client.close();
    host.close();
  }

  @Test
  void publish_rendersBesideTheRawFiles_backendNeverSeesTheTemplateAttributes() throws Exception {
    Path target = publish("vol-1", Map.of("templates", APP_ENV, "keep", "me"));
    assertThat(Files.readString(target.resolve("app.env"))).isEqualTo("URL=postgres://alice:p%40ss@db/shop");
    assertThat(Files.readString(target.resolve("username"))).isEqualTo("alice");
    assertThat(mode(target.resolve("..data/app.env"))).isEqualTo("rw-r--r--");
    assertThat(backend.prepared).containsExactly(Map.of("keep", "me"));
  }

  @Test
  void publish_templatesOnly_writesOnlyTheRenderedFiles_withTheTemplatesMode()
      throws Exception {
    Path target = publish("vol-only", Map.of("templates", APP_ENV
        + "  mode: \"0400\"\n", "templatesOnly", "true"));
    assertThat(visible(target)).containsOnlyKeys("app.env");
    assertThat(mode(target.resolve("..data/app.env"))).isEqualTo("r--------");
  }

  @Test
  void publish_badTemplate_isInvalidArgumentNamingIt_beforeAnyBackendCall() {
    Path target = Requests.target(kubelet, "vol-bad");
    assertStatus(() -> publishAt("vol-bad", target, Map.of("templates",
        "- fileName: app.env\n  template: '{{> /etc/passwd}}'\n")),
        Status.Code.INVALID_ARGUMENT, "template \"app.env\"");
    assertStatus(() -> publishAt("vol-bad", target, Map.of("templates", "- fileName: ../x\n  template: x\n")),
        Status.Code.INVALID_ARGUMENT, "\"..\"");
    assertThat(backend.fetches).hasValue(0);
    assertThat(backend.prepared).isEmpty();
    assertThat(target).doesNotExist();
  }

  @Test
  void firstPublish_missingReference_isInvalidArgumentNamingTemplateAndReference_leavesNothing() {
    Path target = Requests.target(kubelet, "vol-miss");
    assertStatus(() -> publishAt("vol-miss", target, Map.of("templates",
        "- fileName: app.env\n  template: 'P={{db-password}}'\n")),
        Status.Code.INVALID_ARGUMENT, "template \"app.env\": the reference \"db-password\"");
    assertThat(target).doesNotExist();
  }

  @Test
  void republish_referenceNowMissing_isUnavailable_andKeepsTheContent() throws Exception {
    Path target = publish("vol-2", Map.of("templates", APP_ENV));
    String before = Files.readSymbolicLink(target.resolve("..data")).toString();
    backend.serve(Map.of("username", "alice"));
    clock.advance(Duration.ofMinutes(11));
    assertStatus(() -> publishAt("vol-2", target, Map.of("templates", APP_ENV)),
        Status.Code.UNAVAILABLE, "the reference \"password\"");
    assertThat(Files.readSymbolicLink(target.resolve("..data")).toString()).isEqualTo(before);
    assertThat(Files.readString(target.resolve("app.env"))).isEqualTo("URL=postgres://alice:p%40ss@db/shop");
  }

  @Test
  void republish_nothingDue_makesNoBackendCallAndNoWrite_dueButUnchanged_writesNothing()
      throws Exception {
    Path target = publish("vol-3", Map.of("templates", APP_ENV));
    String data = Files.readSymbolicLink(target.resolve("..data")).toString();
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(60));
      publishAt("vol-3", target, Map.of("templates", APP_ENV));
    }
    assertThat(backend.fetches).hasValue(1);
    clock.advance(Duration.ofMinutes(11));
    publishAt("vol-3", target, Map.of("templates", APP_ENV));
    assertThat(backend.fetches).hasValue(2);
    assertThat(Files.readSymbolicLink(target.resolve("..data")).toString()).isEqualTo(data);
    // the backend is shown what it returned, not what was rendered from it
    assertThat(backend.previousPaths.get(1)).containsExactly("password", "username");
  }

  @Test
  void republish_changedSecret_changesRawAndRenderedFilesInOneSwap() throws Exception {
    Path target = publish("vol-4", Map.of("templates", APP_ENV));
    String before = Files.readSymbolicLink(target.resolve("..data")).toString();
    backend.serve(Map.of("username", "alice", "password", "n3w"));
    clock.advance(Duration.ofMinutes(11));
    publishAt("vol-4", target, Map.of("templates", APP_ENV));
    String after = Files.readSymbolicLink(target.resolve("..data")).toString();
    assertThat(after).isNotEqualTo(before);
    Path data = target.resolve(after);
    assertThat(Files.readString(data.resolve("password"))).isEqualTo("n3w");
    assertThat(Files.readString(data.resolve("app.env"))).isEqualTo("URL=postgres://alice:n3w@db/shop");
  }

  @Test
  void changedTemplate_isRenderedAnew_withoutANewFetchBeingNeededForCorrectness() throws Exception {
    Path target = publish("vol-5", Map.of("templates", APP_ENV));
    String other = APP_ENV.replace("URL=", "DSN=");
    publishAt("vol-5", target, Map.of("templates", other));
    assertThat(Files.readString(target.resolve("app.env"))).startsWith("DSN=postgres://alice:");
  }

  @Test
  void hostileTemplates_areInvalidArgument_andTheHostStaysHealthy() throws Exception {
    backend.serve(Map.of("username", "alice", "password", "p@ss", "big", "x".repeat(1 << 20),
        "list.json", "[" + "1,".repeat(999) + "1]"));
    Map<String, String> hostile = new TreeMap<>();
    hostile.put("{{big}}".repeat(9), "renders more than");
    hostile.put("{{#list.json//}}{{big}}{{/list.json//}}", "renders more than");
    hostile.put("{{#list.json//}}{{#list.json//}}{{#list.json//}}{{/list.json//}}{{/list.json//}}{{/list.json//}}", "steps");
    hostile.put("{{#a}}".repeat(9) + "{{/a}}".repeat(9), "nests sections");
    hostile.put("{{password.bytes}}", "the reference \"password.bytes\"");
    hostile.put("{{password.class.name}}", "the reference \"password.class.name\"");
    hostile.put("{{> other}}", "cannot include");
    int i = 0;
    for (Map.Entry<String, String> attempt : hostile.entrySet()) {
      String volume = "vol-h" + i++;
      Path target = Requests.target(kubelet, volume);
      assertStatus(() -> publishAt(volume, target, Map.of("templates",
          "- fileName: t\n  template: '" + attempt.getKey() + "'\n")),
          Status.Code.INVALID_ARGUMENT, attempt.getValue());
      assertThat(target).as(attempt.getKey()).doesNotExist();
    }
    Path healthy = publish("vol-after", Map.of("templates", APP_ENV));
    assertThat(Files.readString(healthy.resolve("app.env"))).isEqualTo("URL=postgres://alice:p%40ss@db/shop");
  }

  private Path publish(String volumeId, Map<String, String> attributes) {
    Path target = Requests.target(kubelet, volumeId);
    publishAt(volumeId, target, attributes);
    return target;
  }

  private void publishAt(String volumeId, Path target, Map<String, String> attributes) {
    Map<String, String> context = new HashMap<>(attributes);
    context.put("backend", "templated");
    client.node().nodePublishVolume(Requests.publish(volumeId, target, context,
        Requests.tokensJson(Map.of(TemplateTestBackend.AUDIENCE, TOKEN), START.plus(Duration.ofHours(2))))
        .build());
  }

  private static String mode(Path file) throws IOException {
    return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }

  private static Map<String, String> visible(Path target) throws IOException {
    return TestHosts.visibleFiles(target);
  }

  private static void assertStatus(Runnable call, Status.Code code, String inMessage) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(inMessage).doesNotContain(TOKEN);
    });
  }
}
