package dev.passport.plugins.vault;

import static dev.passport.plugins.vault.VaultHost.attributes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.Pod;
import dev.passport.conformance.CsiCallException;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.testkit.Pods;
import dev.passport.tools.vault.VaultLease;
import dev.passport.tools.vault.VaultRole;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The vault backend inside the real host, driven over the CSI socket by a fake kubelet at
 * kubelet's republish cadence: what republishes cost Vault (issue 5: "20 republishes → exactly 1
 * login and 1 read").
 */
class VaultThroughHostTest {

  /** kubelet's pod sync: every 60–90 s; 20 of them span 30 minutes. */
  private static final Duration POD_SYNC = Duration.ofSeconds(90);
  private static final Duration DB_LEASE = Duration.ofHours(1);
  private static final Duration HOST_REFRESH = Duration.ofHours(1);

  private static final String DB_OBJECTS = """
      - objectName: db/username
        secretPath: database/creds/app
        secretKey: username
      - objectName: db/password
        secretPath: database/creds/app
        secretKey: password
      """;
  private static final String KV_OBJECTS = VaultHost.KV_OBJECTS;

  @TempDir Path dir;
  @RegisterExtension final VaultHost rig = new VaultHost();

  private final Pod pod = Pods.pod("shop", "web-0", "web");
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    rig.vault.addRole("kubernetes", VaultRole.of("web", "shop", "web").withTokenTtl(Duration.ofHours(1)));
    rig.vault.databaseRole("app", DB_LEASE, Duration.ofHours(24));
    rig.vault.kvPut("secret", "shop/api", Map.of("key", "kv-value"));
    kubelet = rig.startHost(dir, Map.of(), host -> host
        .refreshInterval(HOST_REFRESH)
        .fetchTimeout(Duration.ofSeconds(20))).kubelet();
  }

  @Test
  void twentyRepublishes_unchangedToken_oneLoginAndOneRead() {
    MountedVolume volume = kubelet.mount(volume(DB_OBJECTS));
    String username = volume.read("db/username");

    for (int i = 0; i < 20; i++) {
      rig.clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }

    assertThat(rig.vault.logins()).as("logins").isEqualTo(1);
    assertThat(rig.vault.reads("database/creds/app")).as("credential reads").isEqualTo(1);
    assertThat(rig.vault.leases()).as("credentials minted").hasSize(1);
    assertThat(volume.read("db/username")).isEqualTo(username);
  }

  @Test
  void twentyRepublishes_kvSecret_oneLoginAndOneRead() {
    MountedVolume volume = kubelet.mount(volume(KV_OBJECTS));

    for (int i = 0; i < 20; i++) {
      rig.clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }

    assertThat(volume.read("api-key")).isEqualTo("kv-value");
    assertThat(rig.vault.logins()).as("logins").isEqualTo(1);
    assertThat(rig.vault.reads("secret/data/shop/api")).as("reads").isEqualTo(1);
  }

  @Test
  void republishPastTwoThirdsOfTheLease_renewsAndKeepsTheCredential() {
    MountedVolume volume = kubelet.mount(volume(DB_OBJECTS));
    String username = volume.read("db/username");

    // 30 pod syncs of 90 s: 45 minutes, past 2/3 of the one-hour lease
    for (int i = 0; i < 30; i++) {
      rig.clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }

    assertThat(rig.vault.renewals()).isEqualTo(1);
    assertThat(rig.vault.reads("database/creds/app")).isEqualTo(1);
    assertThat(volume.read("db/username")).isEqualTo(username);
  }

  @Test
  void unmount_withRevokeOnUnpublish_revokesTheLease() {
    Map<String, String> attributes = attributes(DB_OBJECTS);
    attributes.put("revokeOnUnpublish", "true");
    MountedVolume volume = kubelet.mount(volume(DB_OBJECTS).withAttributes(attributes));

    kubelet.unmount(volume);

    assertThat(rig.vault.leases()).singleElement().extracting(VaultLease::revoked).isEqualTo(true);
  }

  @Test
  void mount_roleDeniesTheServiceAccount_answersPermissionDenied() {
    Map<String, String> attributes = attributes(KV_OBJECTS);
    rig.vault.addRole("kubernetes", VaultRole.of("admin", "shop", "admin"));
    attributes.put("roleName", "admin");

    CsiCallException e = catchThrowableOfType(CsiCallException.class,
        () -> kubelet.mount(volume(KV_OBJECTS).withAttributes(attributes)));

    assertThat(e.code()).isEqualTo(CsiCallException.Code.PERMISSION_DENIED);
    assertThat(e.description()).contains("service account name not authorized");
  }

  private PodVolume volume(String objects) {
    return rig.volume(pod, "secrets", attributes(objects), Set.of("vault"));
  }
}
