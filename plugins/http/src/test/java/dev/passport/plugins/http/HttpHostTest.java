package dev.passport.plugins.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.passport.conformance.CsiCallException;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.memory.MaterialBudget;
import dev.passport.host.volume.MaterialLimits;
import dev.passport.host.volume.MountMode;
import dev.passport.plugins.http.FakeSecretService.Framing;
import dev.passport.plugins.http.FakeSecretService.LargeAnswer;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The attack through the real host and its CSI socket: a volume whose allow-listed URL
 * answers 200 MB. The host's per-fetch budget (the volume size limit) must end the read, not the
 * heap: RESOURCE_EXHAUSTED naming the limit, the connection dropped long before the body's end,
 * and the host still answering Probe and serving other volumes.
 */
class HttpHostTest {

  private static final String AUDIENCE = "secrets";
  private static final long HUGE = 200L << 20;
  private static final Duration BOUNDED_WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final FakeClock clock = FakeClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private FakeSecretService service;
  private PassportHost host;
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    service = FakeSecretService.start(tokens, clock, AUDIENCE);
    startHost(PassportHost.builder());
  }

  private void startHost(PassportHost.Builder builder) throws Exception {
    host = builder
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(new HttpBackendFactory(), Map.of("allowedUrlPrefixes", service.url("/v1/")))
        .clock(clock)
        .fetchTimeout(Duration.ofSeconds(30))
        .nodeId("node-1")
        .start();
    kubelet = FakeKubelet.connect(host.socket(), tokens, clock);
  }

  @AfterEach
  void stop() {
    kubelet.close();
    host.close();
    service.close();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Framing.class)
  void publish_200MbBody_isResourceExhaustedNamingTheLimit_andTheHostStaysUp(Framing framing)
      throws Exception {
    service.answerLarge(200, "", HUGE, framing);

    assertRefusedForSize(volume("big", Map.of()));

    assertConnectionDroppedEarly();
    assertHostServesAnotherVolume();
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Framing.class)
  void publish_200MbJsonObjectWithJsonKeys_isResourceExhausted_andTheHostStaysUp(Framing framing)
      throws Exception {
    service.answerLarge(200, "{\"password\":\"", HUGE, framing);

    assertRefusedForSize(volume("big", Map.of("jsonKeys", "password")));

    assertConnectionDroppedEarly();
    assertHostServesAnotherVolume();
  }

  @Test
  void publish_bodyWithinTheVolumeLimitPastTheHostsBudgetInFlight_isResourceExhausted_andReleased()
      throws Exception {
    kubelet.close();
    host.close();
    // a volume limit above the body, so that only the budget shared by all fetches can stop it
    MaterialBudget inFlight = MaterialBudget.of(256 * 1024);
    startHost(PassportHost.builder().materialBudget(inFlight)
        .limits(new MaterialLimits(16, HUGE, HUGE)));
    service.answerLarge(200, "", HUGE, Framing.CONTENT_LENGTH);

    CsiCallException e = refused(volume("big", Map.of()));

    assertThat(e.description()).contains("reading the answer of " + service.url("/v1/db") + ": ")
        .contains("budget for material in flight (262144 bytes) is in use");
    assertConnectionDroppedEarly();
    assertThat(inFlight.available()).as("the in-flight budget after the failed fetch")
        .isEqualTo(inFlight.capacity());
    assertHostServesAnotherVolume();
  }

  private void assertRefusedForSize(PodVolume volume) {
    CsiCallException e = refused(volume);

    // the host's default volume limit (8 MiB), far below the body and the test JVM's heap
    assertThat(e.description()).containsPattern("reading the answer of .*: .* limit of \\d+ bytes")
        .doesNotContain("xxx");
  }

  /** The publish failed with RESOURCE_EXHAUSTED, which kubelet retries. */
  private CsiCallException refused(PodVolume volume) {
    Throwable thrown = catchThrowable(() -> kubelet.mount(volume));

    assertThat(thrown).isInstanceOf(CsiCallException.class);
    CsiCallException e = (CsiCallException) thrown;
    assertThat(e.code()).as("code of: %s", e.description())
        .isEqualTo(CsiCallException.Code.RESOURCE_EXHAUSTED);
    return e;
  }

  /** The service could not write the whole body: the plugin dropped the connection. */
  private void assertConnectionDroppedEarly() throws Exception {
    LargeAnswer answer = service.largeAnswer(BOUNDED_WAIT);
    assertThat(answer.complete()).as("the service wrote the whole body").isFalse();
    assertThat(answer.written()).isLessThan(answer.size());
  }

  private void assertHostServesAnotherVolume() {
    assertThat(kubelet.probe().getReady().getValue()).isTrue();
    service.answer(200, "s3cret");
    MountedVolume small = kubelet.mount(volume("small", Map.of()));
    assertThat(small.read("body")).isEqualTo("s3cret");
  }

  private PodVolume volume(String name, Map<String, String> extra) {
    Map<String, String> attributes = new HashMap<>(Map.of("backend", "http",
        "url", service.url("/v1/db"), "audience", AUDIENCE));
    attributes.putAll(extra);
    return PodVolume.of(Pods.pod("shop", name + "-0", "checkout"), name, dir.resolve("kubelet"),
        attributes, Set.of(AUDIENCE));
  }
}
