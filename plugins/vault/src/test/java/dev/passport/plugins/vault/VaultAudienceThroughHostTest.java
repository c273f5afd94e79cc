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
import dev.passport.tools.vault.VaultRole;
import java.nio.file.Path;
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
 * Issue 16 item 1 through the real host: a Vault role without an audience accepts only the API
 * server's own, which kubelet mints for the CSIDriver's {@code audience: ""} token request (as in
 * deploy/csidriver.yaml); the host hands that token to the plugin when the volume declares it.
 */
class VaultAudienceThroughHostTest {

  private static final String OBJECTS = """
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
    vault.addRole("kubernetes", VaultRole.of("web", "shop", "web").withoutAudience());
    vault.kvPut("secret", "shop/api", Map.of("key", "kv-value"));
  }

  private void startHost(Map<String, String> pluginConfig) throws Exception {
    Map<String, String> config = new HashMap<>(pluginConfig);
    config.put("vaultAddress", vault.address());
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(new VaultBackendFactory(), config)
        .clock(clock)
        .nodeId("node-1")
        .start();
    kubelet = FakeKubelet.connect(host.socket(), tokens, clock);
  }

  @AfterEach
  void stop() {
    if (kubelet != null) {
      kubelet.close();
      host.close();
    }
    Set<String> secrets = new HashSet<>(tokens.minted());
    secrets.addAll(vault.issuedClientTokens());
    vault.close();
    LogHygiene.assertNoSecrets(secrets, logs.lines());
  }

  @Test
  void roleWithoutAudience_volumeAudienceEmpty_logsInWithTheApiServerAudienceToken() throws Exception {
    startHost(Map.of());
    Map<String, String> attributes = attributes();
    attributes.put("audience", "");

    MountedVolume volume = kubelet.mount(volume(attributes));

    assertThat(volume.read("api-key")).isEqualTo("kv-value");
    assertThat(vault.logins()).isEqualTo(1);
  }

  @Test
  void roleWithoutAudience_nodeDefaultAudienceEmpty_logsInWithoutAnyAttribute() throws Exception {
    startHost(Map.of("defaultAudience", ""));

    MountedVolume volume = kubelet.mount(volume(attributes()));

    assertThat(volume.read("api-key")).isEqualTo("kv-value");
  }

  @Test
  void roleWithoutAudience_vaultAudienceToken_isRefusedNamingTheFix() throws Exception {
    startHost(Map.of());

    CsiCallException e = catchThrowableOfType(CsiCallException.class,
        () -> kubelet.mount(volume(attributes())));

    assertThat(e.code()).isEqualTo(CsiCallException.Code.PERMISSION_DENIED);
    assertThat(e.description()).contains("audience to \"\"", "defaultAudience=");
  }

  private PodVolume volume(Map<String, String> attributes) {
    // the CSIDriver of deploy/ requests both tokens
    return PodVolume.of(pod, "secrets", dir.resolve("kubelet"), attributes, Set.of("vault", ""));
  }

  private static Map<String, String> attributes() {
    Map<String, String> attributes = new HashMap<>();
    attributes.put("backend", "vault");
    attributes.put("roleName", "web");
    attributes.put("objects", OBJECTS);
    return attributes;
  }
}
