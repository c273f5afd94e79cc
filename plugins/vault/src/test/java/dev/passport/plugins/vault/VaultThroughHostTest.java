package dev.passport.plugins.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.Pod;
import dev.passport.conformance.CsiCallException;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultLease;
import dev.passport.tools.vault.VaultRole;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
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
  private static final String KV_OBJECTS = """
      - objectName: api-key
        secretPath: secret/data/shop/api
        secretKey: key
      """;

  @TempDir Path dir;
  @RegisterExtension final LogCapture logs = new LogCapture();

  private final FakeClock clock = FakeClock.at(Instant.parse("2026-11-26T12:00:00Z"));
  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  private final Pod pod = Pods.pod("shop", "web-0", "web");
  private VaultDevServer vault;
  private PassportHost host;
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    vault = VaultDevServer.start(tokens, clock);
    vault.addRole("kubernetes", VaultRole.of("web", "shop", "web").withTokenTtl(Duration.ofHours(1)));
    vault.databaseRole("app", DB_LEASE, Duration.ofHours(24));
    vault.kvPut("secret", "shop/api", Map.of("key", "kv-value"));
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(new VaultBackendFactory(), Map.of("vaultAddress", vault.address()))
        .clock(clock)
        .refreshInterval(HOST_REFRESH)
        .fetchTimeout(Duration.ofSeconds(20))
        .nodeId("node-1")
        .start();
    kubelet = FakeKubelet.connect(host.socket(), tokens, clock);
  }

  @AfterEach
  void stop() {
    kubelet.close();
    host.close();
    Set<String> secrets = new HashSet<>(tokens.minted());
    secrets.addAll(vault.issuedClientTokens());
    vault.close();
    LogHygiene.assertNoSecrets(secrets, logs.lines());
  }

  @Test
  void twentyRepublishes_unchangedToken_oneLoginAndOneRead() {
    MountedVolume volume = kubelet.mount(volume(DB_OBJECTS));
    String username = volume.read("db/username");

    for (int i = 0; i < 20; i++) {
      clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }

    assertThat(vault.logins()).as("logins").isEqualTo(1);
    assertThat(vault.reads("database/creds/app")).as("credential reads").isEqualTo(1);
    assertThat(vault.leases()).as("credentials minted").hasSize(1);
    assertThat(volume.read("db/username")).isEqualTo(username);
  }

  @Test
  void twentyRepublishes_kvSecret_oneLoginAndOneRead() {
    MountedVolume volume = kubelet.mount(volume(KV_OBJECTS));

    for (int i = 0; i < 20; i++) {
      clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }

    assertThat(volume.read("api-key")).isEqualTo("kv-value");
    assertThat(vault.logins()).as("logins").isEqualTo(1);
    assertThat(vault.reads("secret/data/shop/api")).as("reads").isEqualTo(1);
  }

  @Test
  void republishPastTwoThirdsOfTheLease_renewsAndKeepsTheCredential() {
    MountedVolume volume = kubelet.mount(volume(DB_OBJECTS));
    String username = volume.read("db/username");

    // 30 pod syncs of 90 s: 45 minutes, past 2/3 of the one-hour lease
    for (int i = 0; i < 30; i++) {
      clock.advance(POD_SYNC);
      kubelet.republish(volume);
    }

    assertThat(vault.renewals()).isEqualTo(1);
    assertThat(vault.reads("database/creds/app")).isEqualTo(1);
    assertThat(volume.read("db/username")).isEqualTo(username);
  }

  @Test
  void unmount_withRevokeOnUnpublish_revokesTheLease() {
    Map<String, String> attributes = attributes(DB_OBJECTS);
    attributes.put("revokeOnUnpublish", "true");
    MountedVolume volume = kubelet.mount(volume(DB_OBJECTS).withAttributes(attributes));

    kubelet.unmount(volume);

    assertThat(vault.leases()).singleElement().extracting(VaultLease::revoked).isEqualTo(true);
  }

  @Test
  void mount_roleDeniesTheServiceAccount_answersPermissionDenied() {
    Map<String, String> attributes = attributes(KV_OBJECTS);
    vault.addRole("kubernetes", VaultRole.of("admin", "shop", "admin"));
    attributes.put("roleName", "admin");

    CsiCallException e = catchThrowableOfType(CsiCallException.class,
        () -> kubelet.mount(volume(KV_OBJECTS).withAttributes(attributes)));

    assertThat(e.code()).isEqualTo(CsiCallException.Code.PERMISSION_DENIED);
    assertThat(e.description()).contains("service account name not authorized");
  }

  private PodVolume volume(String objects) {
    return PodVolume.of(pod, "secrets", dir.resolve("kubelet"), attributes(objects), Set.of("vault"));
  }

  private static Map<String, String> attributes(String objects) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put("backend", "vault");
    attributes.put("roleName", "web");
    attributes.put("objects", objects);
    return attributes;
  }
}
