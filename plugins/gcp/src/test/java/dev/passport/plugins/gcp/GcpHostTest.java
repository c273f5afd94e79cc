package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpTestbed.AUDIENCE;
import static dev.passport.plugins.gcp.GcpTestbed.SERVICE_ACCOUNT;
import static dev.passport.plugins.gcp.GcpTestbed.secretsAttribute;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.passport.api.Pod;
import dev.passport.host.PassportHost;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.testkit.Pods;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gcp backend inside the real host, driven over the CSI socket by a fake kubelet: what
 * kubelet's republish cadence costs Google. The CSI answers are asserted by their text
 * ({@code CODE: description}), not through gRPC types: the host's gRPC is its own, not the
 * plugin's.
 */
class GcpHostTest {

  static final String PINNED = "projects/test-project/secrets/db-password/versions/3";
  static final String REGIONAL_PINNED =
      "projects/test-project/locations/europe-west1/secrets/eu/versions/1";
  static final String LATEST = "projects/test-project/secrets/api-key/versions/latest";
  static final Duration HOST_REFRESH = Duration.ofMinutes(5);

  @TempDir Path dir;
  GcpTestbed bed;
  PassportHost host;
  FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    bed = new GcpTestbed(dir);
    bed.global.put(PINNED, "s3cret-db".getBytes(UTF_8));
    bed.global.put(LATEST, "projects/123/secrets/api-key/versions/7", "key-7".getBytes(UTF_8));
    bed.regional.put(REGIONAL_PINNED, "eu-value".getBytes(UTF_8));
    host = bed.host(dir)
        .refreshInterval(HOST_REFRESH)
        .start();
    kubelet = FakeKubelet.connect(host.socket(), bed.tokens, bed.clock);
  }

  @AfterEach
  void stop() throws Exception {
    kubelet.close();
    host.close();
    assertThat(bed.auth.problems()).isEmpty();
    bed.close();
  }

  @Test
  void twentyRepublishes_pinnedVersionsAndUnchangedToken_oneExchangeAndOneAccessPerSecret() {
    Map<String, String> attributes = gcpVolume(secretsAttribute(
        PINNED, "db/password", REGIONAL_PINNED, "eu"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);
    MountedVolume volume = kubelet.mount(volume(bed.pod(), attributes));

    for (int i = 0; i < 20; i++) {
      // kubelet's pod sync: about a minute apart, well inside the token's 80 % rotation point
      bed.clock.advance(Duration.ofSeconds(90));
      kubelet.republish(volume);
    }

    assertThat(volume.read("db/password")).isEqualTo("s3cret-db");
    assertThat(volume.read("eu")).isEqualTo("eu-value");
    assertThat(bed.auth.exchanges()).hasSize(1);
    assertThat(bed.auth.impersonations()).hasSize(1);
    assertThat(bed.global.calls(PINNED)).isEqualTo(1);
    assertThat(bed.regional.calls(REGIONAL_PINNED)).isEqualTo(1);
  }

  @Test
  void mountRetries_impersonationAnswerUnusable_internalEachTime_oneExchangeAndOneIamCallPerTry() {
    bed.auth.answerIamExpireTime("not-a-timestamp");
    Map<String, String> attributes = gcpVolume(secretsAttribute(PINNED, "db/password"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);
    PodVolume spec = volume(bed.pod(), attributes);

    for (int retry = 0; retry < 4; retry++) {
      // kubelet retries a failed NodePublishVolume with backoff, the same token each time
      bed.clock.advance(Duration.ofSeconds(10));
      assertThat(catchThrowable(() -> kubelet.mount(spec)))
          .hasMessageStartingWith("INTERNAL: ").hasMessageContaining("expireTime");
    }
    bed.auth.recover();
    MountedVolume volume = kubelet.mount(spec);

    assertThat(volume.read("db/password")).isEqualTo("s3cret-db");
    assertThat(bed.auth.exchanges()).hasSize(1);
    assertThat(bed.auth.impersonations()).hasSize(5);
    assertThat(bed.global.calls(PINNED)).isEqualTo(1);
  }

  @Test
  void republishes_latestVersion_rereadAtTheHostIntervalWithoutAnotherExchange() {
    MountedVolume volume = kubelet.mount(volume(bed.pod(), gcpVolume(secretsAttribute(
        LATEST, "api-key"))));
    bed.global.put(LATEST, "projects/123/secrets/api-key/versions/8", "key-8".getBytes(UTF_8));

    for (int i = 0; i < 8; i++) {
      bed.clock.advance(Duration.ofSeconds(90));
      kubelet.republish(volume);
    }

    assertThat(volume.read("api-key")).isEqualTo("key-8");
    assertThat(bed.global.calls(LATEST)).isBetween(2, 3);
    assertThat(bed.auth.exchanges()).hasSize(1);
  }

  @Test
  void mount_missingSecret_answersNotFoundNamingIt() {
    String missing = "projects/test-project/secrets/missing/versions/1";

    Throwable e = catchThrowable(
        () -> kubelet.mount(volume(bed.pod(), gcpVolume(secretsAttribute(missing, "m")))));

    assertThat(e).hasMessageStartingWith("NOT_FOUND: ").hasMessageContaining(missing);
  }

  @Test
  void mount_badResourceName_answersInvalidArgument() {
    Throwable e = catchThrowable(
        () -> kubelet.mount(volume(bed.pod(), gcpVolume(secretsAttribute("projects/p/x", "m")))));

    assertThat(e).hasMessageStartingWith("INVALID_ARGUMENT: ")
        .hasMessageContaining("secrets[0].resourceName");
  }

  @Test
  void mount_secretManagerAnswersMegabytes_isResourceExhaustedNamingTheLimit_hostKeepsServing() {
    String huge = "projects/test-project/secrets/huge/versions/1";
    bed.global.put(huge, new byte[16 * 1024 * 1024]);

    Throwable e = catchThrowable(
        () -> kubelet.mount(volume(bed.pod(), gcpVolume(secretsAttribute(huge, "h")))));
    MountedVolume healthy = kubelet.mount(volume(
        Pods.pod("shop", "web-1", "web"), gcpVolume(secretsAttribute(PINNED, "db"))));

    assertThat(e).hasMessageStartingWith("RESOURCE_EXHAUSTED: ")
        .hasMessageContaining(huge).hasMessageContaining("limit of");
    assertThat(kubelet.probe()).isNotNull();
    assertThat(healthy.read("db")).isEqualTo("s3cret-db");
  }

  @Test
  void mount_stsAnswersAHugeBody_failsCleanly_hostKeepsServing() {
    bed.auth.floodSts(new FakeGoogleAuth.Flood(200, 200L * 1024 * 1024, false, false));

    Throwable e = catchThrowable(
        () -> kubelet.mount(volume(bed.pod(), gcpVolume(secretsAttribute(PINNED, "db")))));
    bed.auth.recover();
    MountedVolume healthy = kubelet.mount(volume(
        Pods.pod("shop", "web-1", "web"), gcpVolume(secretsAttribute(PINNED, "db"))));

    assertThat(e).hasMessageStartingWith("RESOURCE_EXHAUSTED: ")
        .hasMessageContaining("more than " + BoundedHttpTransport.RESPONSE_LIMIT + " bytes");
    assertThat(kubelet.probe()).isNotNull();
    assertThat(healthy.read("db")).isEqualTo("s3cret-db");
  }

  private PodVolume volume(Pod pod, Map<String, String> attributes) {
    return PodVolume.of(pod, "secrets", dir.resolve("kubelet"), attributes, Set.of(AUDIENCE));
  }

  private static Map<String, String> gcpVolume(Map<String, String> attributes) {
    Map<String, String> volume = new HashMap<>(attributes);
    volume.put("backend", "gcp");
    return volume;
  }
}
