package dev.passport.plugins.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.api.Pod;
import dev.passport.conformance.CsiCallException;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.testkit.Pods;
import dev.passport.tools.vault.VaultRole;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
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

  @TempDir Path dir;
  @RegisterExtension final VaultHost rig = new VaultHost();

  private final Pod pod = Pods.pod("shop", "web-0", "web");
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    rig.vault.addRole("kubernetes", VaultRole.of("web", "shop", "web").withoutAudience());
    rig.vault.kvPut("secret", "shop/api", Map.of("key", "kv-value"));
  }

  private void startHost(Map<String, String> pluginConfig) throws Exception {
    kubelet = rig.startHost(dir, pluginConfig, host -> host).kubelet();
  }

  @Test
  void roleWithoutAudience_volumeAudienceEmpty_logsInWithTheApiServerAudienceToken() throws Exception {
    startHost(Map.of());
    Map<String, String> attributes = attributes();
    attributes.put("audience", "");

    MountedVolume volume = kubelet.mount(volume(attributes));

    assertThat(volume.read("api-key")).isEqualTo("kv-value");
    assertThat(rig.vault.logins()).isEqualTo(1);
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
    return rig.volume(pod, "secrets", attributes, Set.of("vault", ""));
  }

  private static Map<String, String> attributes() {
    return VaultHost.attributes(VaultHost.KV_OBJECTS);
  }
}
