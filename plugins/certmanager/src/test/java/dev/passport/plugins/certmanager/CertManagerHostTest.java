package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.volume.MaterialLimits;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The certmanager backend inside the real host, over the CSI socket: an issuer that answers a
 * chain larger than the volume limit gets RESOURCE_EXHAUSTED naming the limit, read through the
 * fetch budget the host gives, and the host keeps serving everyone else. The CSI answers are
 * asserted by their text ({@code CODE: description}): the host's gRPC is its own, not the plugin's.
 */
class CertManagerHostTest {

  private static final long VOLUME_LIMIT = 64 * 1024;

  @TempDir Path dir;
  private CertManagerOnHost onHost;
  private FakeCertManager certManager;
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    onHost = CertManagerOnHost.start(dir, new MaterialLimits(100, VOLUME_LIMIT, VOLUME_LIMIT));
    certManager = onHost.certManager;
    kubelet = onHost.kubelet;
  }

  @AfterEach
  void stop() {
    onHost.close();
  }

  private PodVolume volume(Pod pod) {
    return onHost.volume(pod, "tls", Map.of(
        CertificateAttributes.ISSUER_NAME, "ca-issuer",
        CertificateAttributes.DNS_NAMES, "web.example.com"));
  }

  @Test
  void publish_issuerAnswersAChainLargerThanTheVolumeLimit_isResourceExhausted_hostServesOthers()
      throws Exception {
    certManager.chainAtLeast((int) (4 * VOLUME_LIMIT));
    PodVolume oversized = volume(Pods.pod("team-a", "web-0", "web"));

    Throwable refused = catchThrowable(() -> kubelet.mount(oversized));

    assertThat(refused).hasMessageStartingWith("RESOURCE_EXHAUSTED: ")
        .hasMessageContaining("limit of " + VOLUME_LIMIT + " bytes");
    LogHygiene.assertNoSecrets(onHost.tokens.minted(), refused);
    assertThat(oversized.targetPath()).satisfiesAnyOf(
        target -> assertThat(target).doesNotExist(),
        target -> assertThat(target).isEmptyDirectory());
    kubelet.probe();

    certManager.chainAtLeast(0);
    MountedVolume healthy = kubelet.mount(volume(Pods.pod("team-b", "web-0", "web")));

    assertThat(healthy.read("tls.crt")).startsWith("-----BEGIN CERTIFICATE-----");
  }
}
