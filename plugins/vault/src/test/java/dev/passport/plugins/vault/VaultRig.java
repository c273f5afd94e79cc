package dev.passport.plugins.vault;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import dev.passport.tools.vault.VaultDevServer;
import dev.passport.tools.vault.VaultRole;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A Vault dev server, a pod with a bound token, and the vault backend under test, on one fake
 * clock. Role {@code web} binds service account {@code web} of namespace {@code shop}; database
 * role {@code app} leases credentials for 30 minutes (at most 24 hours).
 */
final class VaultRig implements AutoCloseable {

  static final Instant START = Instant.parse("2026-11-26T12:00:00Z");
  static final Duration POD_TOKEN_TTL = Duration.ofHours(1);
  static final Duration DB_LEASE = Duration.ofMinutes(30);
  static final String VOLUME = "csi-0123456789abcdef";
  /** One KV v2 object: {@code password} from {@code secret/data/shop/db}, key {@code password}. */
  static final String PASSWORD = """
      - objectName: password
        secretPath: secret/data/shop/db
        secretKey: password
      """;

  final FakeClock clock = FakeClock.at(START);
  final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  final Pod pod = Pods.pod("shop", "web-0", "web");
  final VaultDevServer vault;
  final TestBackendContext context;
  private final Map<String, String> pluginConfig = new HashMap<>();
  VaultBackend backend;
  private ServiceAccountToken podToken;
  private final Map<String, Published> published = new HashMap<>();
  private Material lastPrevious;

  private VaultRig(UnaryOperator<VaultDevServer.Builder> server,
      UnaryOperator<Map<String, String>> config) throws IOException, BackendException {
    vault = server.apply(VaultDevServer.builder(tokens).clock(clock)).start();
    vault.addRole("kubernetes", VaultRole.of("web", "shop", "web"));
    vault.databaseRole("app", DB_LEASE, Duration.ofHours(24));
    context = TestBackendContext.builder().clock(clock).loggerName("dev.passport.plugins.vault").build();
    Map<String, String> defaults = new HashMap<>();
    defaults.put("vaultAddress", vault.address());
    pluginConfig.putAll(config.apply(defaults));
    backend = (VaultBackend) new VaultBackendFactory().create(pluginConfig, context);
    rotatePodToken();
  }

  /**
   * Restarts the backend with {@code allowedVaultAddresses} set to {@code addresses}, as an
   * operator would for a Vault started after the rig (its port is known only then).
   */
  void allowVaultAddresses(String... addresses) throws BackendException {
    backend.close();
    pluginConfig.put("allowedVaultAddresses", String.join(",", addresses));
    backend = (VaultBackend) new VaultBackendFactory().create(pluginConfig, context);
  }

  static VaultRig start() throws IOException, BackendException {
    return start(UnaryOperator.identity());
  }

  static VaultRig start(UnaryOperator<Map<String, String>> config) throws IOException, BackendException {
    return new VaultRig(UnaryOperator.identity(), config);
  }

  /** A rig whose server is set up by {@code server} (e.g. with TLS) and plugin config by {@code config}. */
  static VaultRig start(UnaryOperator<VaultDevServer.Builder> server,
      UnaryOperator<Map<String, String>> config) throws IOException, BackendException {
    return new VaultRig(server, config);
  }

  /** kubelet's next token for the pod: issued now, valid for an hour. */
  ServiceAccountToken rotatePodToken() {
    podToken = tokens.token(pod, "vault", clock.instant(), POD_TOKEN_TTL);
    return podToken;
  }

  ServiceAccountToken podToken() {
    return podToken;
  }

  /** A fetch of {@link #VOLUME} with these attributes, the pod's current token and 30 s. */
  Material fetch(Map<String, String> attributes) throws BackendException {
    return fetch(VOLUME, attributes);
  }

  Material fetch(String volumeId, Map<String, String> attributes) throws BackendException {
    return fetch(volumeId, attributes, Map.of("vault", podToken), clock.instant().plusSeconds(30));
  }

  /** A fetch of {@link #VOLUME} with these pod tokens and this deadline. */
  Material fetch(Map<String, String> attributes, Map<String, ServiceAccountToken> podTokens,
      Instant deadline) throws BackendException {
    return fetch(VOLUME, attributes, podTokens, deadline);
  }

  /** A fetch of {@link #VOLUME} that may read at most {@code budget} from Vault. */
  Material fetch(Map<String, String> attributes, ByteBudget budget) throws BackendException {
    return fetch(VOLUME, attributes, Map.of("vault", podToken), clock.instant().plusSeconds(30), budget);
  }

  private Material fetch(String volumeId, Map<String, String> attributes,
      Map<String, ServiceAccountToken> podTokens, Instant deadline) throws BackendException {
    return fetch(volumeId, attributes, podTokens, deadline, ByteBudget.unlimited());
  }

  /**
   * What the host does: prepare the attributes, then fetch with the prepared volume, the volume's
   * last material as {@code previous} and the reason the host would give (see {@link #reason}).
   */
  private Material fetch(String volumeId, Map<String, String> attributes,
      Map<String, ServiceAccountToken> podTokens, Instant deadline, ByteBudget budget)
      throws BackendException {
    return fetch(volumeId, attributes, podTokens, deadline, budget, null);
  }

  /** A fetch for an explicit reason (null: the host's), e.g. a token rotation. */
  Material fetch(String volumeId, Map<String, String> attributes,
      Map<String, ServiceAccountToken> podTokens, Instant deadline, ByteBudget budget,
      FetchRequest.Reason reason) throws BackendException {
    VaultAttributes volume = backend.prepare(attributes);
    Published last = published.get(volumeId);
    FetchRequest.Builder request = FetchRequest.builder().pod(pod)
        .volumeId(volumeId).tokens(podTokens).deadline(deadline).budget(budget);
    lastPrevious = last == null ? null : last.material;
    if (last != null) {
      request.previous(Optional.of(last.material))
          .reason(reason != null ? reason : reason(last, attributes, podTokens));
    }
    Material material = backend.fetch(volume, request.build());
    published.put(volumeId, new Published(material, attributes, expiries(podTokens), clock.instant()));
    return material;
  }

  /** A fetch of {@link #VOLUME} after kubelet rotated the pod token, as the host asks for it. */
  Material fetchAfterRotation(Map<String, String> attributes) throws BackendException {
    rotatePodToken();
    return fetch(VOLUME, attributes, Map.of("vault", podToken), clock.instant().plusSeconds(30),
        ByteBudget.unlimited(), FetchRequest.Reason.TOKENS_ROTATED);
  }

  /** The {@code previous} the last fetch was given, if any. */
  Material lastPrevious() {
    return lastPrevious;
  }

  /** A new backend with the same configuration: the plugin's memory is gone, the volumes' files are not. */
  void restartBackend() throws BackendException {
    backend.close();
    backend = (VaultBackend) new VaultBackendFactory().create(pluginConfig, context);
  }

  /** Forgets what was published, as a host restart with its state lost would. */
  void forgetPublished() {
    published.clear();
  }

  /** The host's rule (RefreshRule.reason), on this rig's own record of the last publish. */
  private FetchRequest.Reason reason(Published last, Map<String, String> attributes,
      Map<String, ServiceAccountToken> podTokens) {
    if (!last.attributes.equals(attributes)) {
      return FetchRequest.Reason.CHANGED;
    }
    Instant refreshAt = last.material.refreshAt()
        .orElse(last.fetchedAt.plus(context.defaultRefreshInterval()));
    boolean due = !clock.instant().isBefore(refreshAt);
    if (!last.tokenExpiries.equals(expiries(podTokens)) && !due) {
      return FetchRequest.Reason.TOKENS_ROTATED;
    }
    return FetchRequest.Reason.DUE;
  }

  private static Map<String, Instant> expiries(Map<String, ServiceAccountToken> podTokens) {
    Map<String, Instant> expiries = new HashMap<>();
    podTokens.forEach((audience, token) -> expiries.put(audience, token.expiresAt()));
    return expiries;
  }

  private record Published(Material material, Map<String, String> attributes,
      Map<String, Instant> tokenExpiries, Instant fetchedAt) {}

  /** Attributes with role {@code web} and these {@code objects}. */
  static Map<String, String> attributes(String objectsYaml) {
    Map<String, String> attributes = new LinkedHashMap<>();
    attributes.put("roleName", "web");
    attributes.put("objects", objectsYaml);
    return attributes;
  }

  static Map<String, String> with(Map<String, String> attributes, String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(attributes);
    copy.put(key, value);
    return copy;
  }

  static String text(Material material, String file) {
    return new String(material.file(file).orElseThrow().content(), StandardCharsets.UTF_8);
  }

  /** Every secret a test must never see in a log or message: pod tokens and Vault tokens. */
  Set<String> secrets() {
    Set<String> all = new HashSet<>(tokens.minted());
    all.addAll(vault.issuedClientTokens());
    return all;
  }

  @Override
  public void close() {
    backend.close();
    context.close();
    vault.close();
  }
}
