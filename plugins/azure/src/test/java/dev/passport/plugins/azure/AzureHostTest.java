package dev.passport.plugins.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The azure backend inside the real host, driven over the CSI socket by a fake kubelet: what
 * kubelet's republish cadence costs Entra and Key Vault.
 */
class AzureHostTest {

  static final Duration HOST_REFRESH = Duration.ofMinutes(5);

  @TempDir Path dir;
  AzureTestbed bed;
  PassportHost host;
  FakeKubelet kubelet;
  String pinned;

  @BeforeEach
  void start() throws Exception {
    bed = new AzureTestbed(dir);
    pinned = bed.vault.putSecret(AzureTestbed.VAULT, "db-password", "s3cret-db");
    host = bed.host(dir).refreshInterval(HOST_REFRESH).start();
    kubelet = FakeKubelet.connect(host.socket(), bed.tokens, bed.clock);
  }

  @AfterEach
  void stop() throws Exception {
    kubelet.close();
    host.close();
    bed.close();
  }

  @Test
  void twentyRepublishes_pinnedVersionAndUnchangedToken_oneExchangeAndOneRead() {
    MountedVolume volume = kubelet.mount(volume(AzureTestbed.objects(
        "objectName: db-password\nobjectType: secret\nobjectVersion: " + pinned)));

    for (int i = 0; i < 20; i++) {
      // kubelet's pod sync: about a minute apart, inside the token's 80 % rotation point
      bed.clock.advance(Duration.ofSeconds(90));
      kubelet.republish(volume);
    }

    assertThat(volume.read("db-password")).isEqualTo("s3cret-db");
    assertThat(bed.entra.exchanges()).isEqualTo(1);
    assertThat(bed.vault.reads("secrets", "db-password")).isEqualTo(1);
  }

  @Test
  void mount_missingSecret_answersNotFoundNamingIt() {
    Throwable e = catchThrowable(() -> kubelet.mount(volume(AzureTestbed.objects(
        "objectName: missing\nobjectType: secret"))));

    assertThat(e).hasMessageStartingWith("NOT_FOUND: ").hasMessageContaining("objectName:missing");
  }

  private PodVolume volume(String objects) {
    return bed.volume(dir, "secrets", AzureTestbed.attributes(objects));
  }
}
