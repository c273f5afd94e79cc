package dev.passport.plugins.vault;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.PodVolume;
import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRole;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The vault plugin inside the real host, driven over the CSI socket by a fake kubelet, against the
 * Vault-API dev server; all on one fake clock. The host tests' common set-up, in two forms:
 *
 * <ul>
 *   <li>a JUnit extension ({@code @RegisterExtension final VaultHost rig = new VaultHost();}): a
 *       Vault before each test, for the test's {@code @BeforeEach} to set up and then
 *       {@link #startHost}; after the test, everything closed and the test's log lines checked
 *       for every pod token and Vault token ({@link #secrets});
 *   <li>{@link #start()}, for a class-wide rig ({@code @BeforeAll}): {@link #close} it; no log
 *       check.
 * </ul>
 */
final class VaultHost implements BeforeEachCallback, AfterEachCallback, AutoCloseable {

  static final Instant START = Instant.parse("2026-11-26T12:00:00Z");

  /** One KV v2 object: {@code api-key} from {@code secret/data/shop/api}, key {@code key}. */
  static final String KV_OBJECTS = """
      - objectName: api-key
        secretPath: secret/data/shop/api
        secretKey: key
      """;

  final FakeClock clock = FakeClock.at(START);
  final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  /** The Vault the plugin's {@code vaultAddress} names; started before each test or by {@link #start()}. */
  VaultDevServer vault;
  private final List<VaultDevServer> otherVaults = new ArrayList<>();
  /** The secrets {@link #logs} checks for, collected after the test, before the Vaults close. */
  private Set<String> checkedSecrets = Set.of();
  private final LogCapture logs = LogCapture.checkingFor(() -> checkedSecrets);
  private Path kubeletDir;
  private PassportHost host;
  private FakeKubelet kubelet;

  /** Starts capturing the test's log lines, then the Vault. */
  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    logs.beforeEach(context);
    vault = VaultDevServer.start(tokens, clock);
  }

  /** Closes the host and the Vaults, then checks the lines logged meanwhile for {@link #secrets}. */
  @Override
  public void afterEach(ExtensionContext context) {
    try {
      closeHost();
      checkedSecrets = secrets();
      closeVaults();
    } finally {
      logs.afterEach(context);
    }
  }

  /** A rig outside the extension's life cycle, its Vault started; {@link #close} it. */
  static VaultHost start() throws IOException {
    VaultHost rig = new VaultHost();
    rig.vault = VaultDevServer.start(rig.tokens, rig.clock);
    return rig;
  }

  /**
   * Another Vault dev server on the same tokens and clock, with role {@code web} (service account
   * {@code web} of {@code shop}) and {@code secret/shop/api} {@code key=value}; closed with this
   * one, its Vault tokens among the {@link #secrets}.
   */
  VaultDevServer otherVault(String value) throws IOException {
    VaultDevServer other = VaultDevServer.start(tokens, clock);
    otherVaults.add(other);
    withKvSecret(other, value);
    return other;
  }

  /** Role {@code web} for service account {@code web} of {@code shop}, and {@code secret/shop/api} {@code key=value}. */
  static VaultDevServer withKvSecret(VaultDevServer server, String value) {
    server.addRole("kubernetes", VaultRole.of("web", "shop", "web"));
    server.kvPut("secret", "shop/api", Map.of("key", value));
    return server;
  }

  /**
   * Starts the host with the vault plugin, configured with {@code vaultAddress} = {@link #vault}
   * plus {@code pluginConfig}, and the fake kubelet; {@code dir} holds the socket, the state and
   * the kubelet dir. {@code options} adds the test's own host settings (refresh interval, fetch
   * timeout, limits...) to the common ones.
   */
  VaultHost startHost(Path dir, Map<String, String> pluginConfig,
      UnaryOperator<PassportHost.Builder> options) throws Exception {
    Map<String, String> config = new HashMap<>(pluginConfig);
    config.put("vaultAddress", vault.address());
    kubeletDir = dir.resolve("kubelet");
    PassportHost.Builder builder = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(kubeletDir)
        .backendFactory(new VaultBackendFactory(), config)
        .clock(clock)
        .nodeId("node-1");
    host = options.apply(builder).start();
    kubelet = FakeKubelet.connect(host.socket(), tokens, clock);
    return this;
  }

  FakeKubelet kubelet() {
    if (kubelet == null) {
      throw new IllegalStateException("startHost first");
    }
    return kubelet;
  }

  /** A volume of {@code pod}, its target where kubelet would put it for the host started. */
  PodVolume volume(Pod pod, String name, Map<String, String> attributes, Set<String> audiences) {
    if (kubeletDir == null) {
      throw new IllegalStateException("startHost first");
    }
    return PodVolume.of(pod, name, kubeletDir, attributes, audiences);
  }

  /** Inline attributes: backend vault, role {@code web}, these {@code objects}; a mutable copy. */
  static Map<String, String> attributes(String objects) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put("backend", "vault");
    attributes.put("roleName", "web");
    attributes.put("objects", objects);
    return attributes;
  }

  /** Every secret no log line may hold: the pods' tokens and every Vault token issued. */
  Set<String> secrets() {
    Set<String> secrets = new HashSet<>(tokens.minted());
    secrets.addAll(vault.issuedClientTokens());
    otherVaults.forEach(other -> secrets.addAll(other.issuedClientTokens()));
    return secrets;
  }

  private void closeHost() {
    if (kubelet != null) {
      kubelet.close();
      host.close();
      kubelet = null;
    }
  }

  private void closeVaults() {
    vault.close();
    otherVaults.forEach(VaultDevServer::close);
  }

  @Override
  public void close() {
    closeHost();
    closeVaults();
  }
}
