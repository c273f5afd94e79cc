package dev.passport.plugins.gcp;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import dev.passport.testkit.TestPki;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Everything a gcp backend test talks to, on loopback: a test PKI, the fake STS + IAM Credentials,
 * a global and a regional fake Secret Manager, pod tokens and a fake clock. One per test.
 */
final class GcpTestbed implements AutoCloseable {

  static final String PROJECT = "test-project";
  static final String AUDIENCE = PROJECT + ".svc.id.goog";
  static final String PROVIDER = "identitynamespace:" + AUDIENCE
      + ":https://container.googleapis.com/v1/projects/" + PROJECT
      + "/locations/us-central1/clusters/test";
  static final String SERVICE_ACCOUNT = "reader@" + PROJECT + ".iam.gserviceaccount.com";
  static final Duration TOKEN_TTL = Duration.ofHours(1);

  final ServiceAccountTokens tokens;
  final FakeClock clock;
  final TestBackendContext context;
  final TestPki pki;
  final TestPki.Leaf serverCertificate;
  final FakeGoogleAuth auth;
  final FakeSecretManager global;
  final FakeSecretManager regional;
  final Path caBundle;

  GcpTestbed(Path tempDir) throws IOException, GeneralSecurityException {
    this(tempDir, ServiceAccountTokens.create(), FakeClock.at(Instant.now().truncatedTo(
        ChronoUnit.SECONDS)));
  }

  /** A testbed whose fakes verify pod tokens minted by {@code tokens} at {@code clock}'s time. */
  GcpTestbed(Path tempDir, ServiceAccountTokens tokens, FakeClock clock)
      throws IOException, GeneralSecurityException {
    this.tokens = tokens;
    this.clock = clock;
    this.context = TestBackendContext.builder().clock(clock).loggerName(
        "dev.passport.plugins.gcp").build();
    this.pki = TestPki.create("Passport test CA");
    // Google's libraries only talk TLS: the loopback fakes serve this certificate, and the plugin
    // trusts the CA through its caBundle setting
    this.serverCertificate = pki.issue("localhost", "localhost", "127.0.0.1");
    this.caBundle = pki.writeCa(tempDir.resolve("test-ca.pem"));
    this.auth = FakeGoogleAuth.start(pki.serverContext(serverCertificate), tokens, clock, AUDIENCE,
        PROVIDER);
    this.global = FakeSecretManager.start(serverCertificate, auth::issuedTokens);
    this.regional = FakeSecretManager.start(serverCertificate, auth::issuedTokens);
  }

  /**
   * The plugin configuration pointing at the fakes. Every region shares the one regional fake:
   * loopback names cannot carry a location.
   */
  Map<String, String> config() {
    Map<String, String> config = new HashMap<>();
    config.put(GcpConfig.WORKLOAD_IDENTITY_PROVIDER, PROVIDER);
    config.put(GcpConfig.STS_TOKEN_URL, auth.stsTokenUrl());
    config.put(GcpConfig.IAM_CREDENTIALS_URL, auth.baseUrl());
    config.put(GcpConfig.SECRET_MANAGER_ENDPOINT, global.endpoint());
    config.put(GcpConfig.REGIONAL_ENDPOINT_TEMPLATE, regional.endpoint());
    config.put(GcpConfig.CA_BUNDLE, caBundle.toString());
    return config;
  }

  Map<String, String> config(String key, String value) {
    Map<String, String> config = config();
    config.put(key, value);
    return config;
  }

  /**
   * The host tests' host: socket, state and kubelet's directory in {@code dir}, volumes written as
   * plain directories, this plugin with {@link #config()}, this testbed's clock, a fetch timeout a
   * loaded machine meets, node {@code node-1}.
   */
  PassportHost.Builder host(Path dir) {
    return PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(new GcpBackendFactory(), config())
        .clock(clock)
        .fetchTimeout(Duration.ofSeconds(20))
        .nodeId("node-1");
  }

  GcpBackend backend() throws BackendException {
    return backend(config());
  }

  GcpBackend backend(Map<String, String> config) throws BackendException {
    return (GcpBackend) new GcpBackendFactory().create(config, context);
  }

  Pod pod() {
    return Pods.pod("shop", "web-0", "web");
  }

  ServiceAccountToken token(Pod pod) {
    return tokens.token(pod, AUDIENCE, clock.instant(), TOKEN_TTL);
  }

  /** A fetch for {@code pod} with its {@code token}, due in 30 seconds. */
  FetchRequest request(Pod pod, ServiceAccountToken token) {
    return request(pod, Map.of(AUDIENCE, token), Duration.ofSeconds(30));
  }

  /** A fetch for {@code pod} with {@code tokens} by audience, due in {@code timeout}. */
  FetchRequest request(Pod pod, Map<String, ServiceAccountToken> tokens, Duration timeout) {
    return FetchRequest.builder()
        .volumeId("csi-" + pod.uid())
        .pod(pod)
        .tokens(tokens)
        .deadline(clock.instant().plus(timeout))
        .build();
  }

  /** A fetch for {@link #pod()} with a fresh token. */
  FetchRequest request() {
    Pod pod = pod();
    return request(pod, token(pod));
  }

  /** A fetch for {@link #pod()} with a fresh token that may read {@code budget}'s bytes. */
  FetchRequest request(ByteBudget budget) {
    Pod pod = pod();
    return FetchRequest.builder()
        .volumeId("csi-" + pod.uid())
        .pod(pod)
        .tokens(Map.of(AUDIENCE, token(pod)))
        .deadline(clock.instant().plus(Duration.ofSeconds(30)))
        .budget(budget)
        .build();
  }

  /** Every secret a test must never find in a log line or exception: tokens of all kinds. */
  Set<String> secrets() {
    Set<String> secrets = new HashSet<>(tokens.minted());
    secrets.addAll(auth.issuedTokens());
    return secrets;
  }

  /** A {@code secrets} attribute with one entry per {@code resourceName: path} pair. */
  static Map<String, String> secretsAttribute(String... namesAndPaths) {
    StringBuilder yaml = new StringBuilder();
    for (int i = 0; i < namesAndPaths.length; i += 2) {
      yaml.append("- resourceName: ").append(namesAndPaths[i]).append('\n')
          .append("  path: ").append(namesAndPaths[i + 1]).append('\n');
    }
    return Map.of(GcpVolume.SECRETS, yaml.toString());
  }

  @Override
  public void close() throws Exception {
    try (context; auth) {
      global.close();
      regional.close();
    }
  }
}
