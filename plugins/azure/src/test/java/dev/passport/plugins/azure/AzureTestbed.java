package dev.passport.plugins.azure;

import dev.passport.tools.azure.FakeEntra;
import dev.passport.tools.azure.FakeKeyVault;
import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.Pod;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.FetchRequests;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import dev.passport.testkit.TestPki;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything an azure backend test talks to, on loopback: a test PKI, the fake Entra token
 * endpoint and the fake Key Vault, a pod federated with a client id, pod tokens and a fake clock.
 */
final class AzureTestbed implements AutoCloseable {

  static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  static final String CLIENT_ID = "a7f3c1e2-1b2c-4d5e-8f90-123456789abc";
  static final String VAULT = "kv-test";
  static final Duration TOKEN_TTL = Duration.ofHours(1);

  final ServiceAccountTokens tokens;
  final FakeClock clock;
  final TestBackendContext context;
  final Path caBundle;
  final FakeEntra entra;
  final FakeKeyVault vault;
  final Pod pod;

  AzureTestbed(Path tempDir) throws IOException, GeneralSecurityException {
    this(tempDir, ServiceAccountTokens.create(),
        FakeClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS)), Pods.pod("shop", "web-0", "web"));
  }

  /** A testbed whose fakes verify tokens of {@code tokens} at {@code clock}'s time; pod federated. */
  AzureTestbed(Path tempDir, ServiceAccountTokens tokens, FakeClock clock, Pod pod)
      throws IOException, GeneralSecurityException {
    this.tokens = tokens;
    this.clock = clock;
    this.pod = pod;
    this.context = TestBackendContext.builder().clock(clock)
        .loggerName("dev.passport.plugins.azure").build();
    TestPki pki = TestPki.create("Passport test CA");
    // the SDK sends bearer tokens over https only: the fakes serve this certificate and the
    // plugin trusts the CA through caBundle
    TestPki.Leaf leaf = pki.issue("localhost", "localhost", "127.0.0.1");
    this.caBundle = pki.writeCa(tempDir.resolve("test-ca.pem"));
    this.entra = new FakeEntra(pki.serverContext(leaf), tokens, clock);
    this.vault = new FakeKeyVault(pki.serverContext(leaf), entra, TENANT);
    entra.federate(TENANT, CLIENT_ID, pod.namespace(), pod.serviceAccount());
  }

  /** azure.properties pointing at the fakes. */
  Map<String, String> config() {
    Map<String, String> config = new HashMap<>();
    config.put(AzureConfig.AUTHORITY_HOST, entra.authorityHost());
    config.put(AzureConfig.KEY_VAULT_ENDPOINT, vault.endpointTemplate());
    config.put(AzureConfig.CA_BUNDLE, caBundle.toString());
    return config;
  }

  Backend<AzureVolume> backend() throws BackendException {
    @SuppressWarnings("unchecked")
    Backend<AzureVolume> backend =
        (Backend<AzureVolume>) new AzureBackendFactory().create(config(), context);
    return backend;
  }

  /** provider-azure's parameters for {@code objects}, in the vault, as the federated client. */
  static Map<String, String> attributes(String objects) {
    Map<String, String> attributes = new HashMap<>();
    attributes.put("keyvaultName", VAULT);
    attributes.put("tenantId", TENANT);
    attributes.put("clientID", CLIENT_ID);
    attributes.put("objects", objects);
    return attributes;
  }

  /** An objects parameter of these object YAML strings. */
  static String objects(String... items) {
    StringBuilder yaml = new StringBuilder("array:\n");
    for (String item : items) {
      yaml.append("  - |\n");
      item.lines().forEach(line -> yaml.append("    ").append(line).append('\n'));
    }
    return yaml.toString();
  }

  /** A file of the test resources' ec-pfx/ (made with OpenSSL; see its README). */
  static byte[] fixture(String name) {
    try (java.io.InputStream in = AzureTestbed.class.getResourceAsStream("/ec-pfx/" + name)) {
      if (in == null) {
        throw new AssertionError("no test resource ec-pfx/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** A PEM block as Go writes one, made with the JDK's MIME encoder (not the plugin's). */
  static String pemBlock(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + java.util.Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  /**
   * What a container sees: "mode hex-bytes" for each file of the volume by its path, the atomic
   * writer's ".." entries left out.
   */
  static Map<String, String> files(dev.passport.conformance.MountedVolume volume) {
    Path root = volume.targetPath();
    Map<String, String> files = new java.util.TreeMap<>();
    try (var walk = java.nio.file.Files.walk(root, java.nio.file.FileVisitOption.FOLLOW_LINKS)) {
      for (Path file : walk.filter(java.nio.file.Files::isRegularFile).toList()) {
        Path relative = root.relativize(file);
        if (!relative.getName(0).toString().startsWith("..")) {
          files.put(relative.toString(), java.nio.file.attribute.PosixFilePermissions.toString(
              java.nio.file.Files.getPosixFilePermissions(file)) + " "
              + java.util.HexFormat.of().formatHex(java.nio.file.Files.readAllBytes(file)));
        }
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return files;
  }

  /** {@link #files}' form of one file. */
  static String file(String mode, byte[] content) {
    return mode + " " + java.util.HexFormat.of().formatHex(content);
  }

  static String file(String mode, String content) {
    return file(mode, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /**
   * The real host around the azure backend of this testbed, in directory mode, its socket and
   * state in {@code dir}: the caller adds what it needs and starts it.
   */
  dev.passport.host.PassportHost.Builder host(Path dir) {
    return dev.passport.host.PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(dev.passport.host.volume.MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(new AzureBackendFactory(), config())
        .clock(clock)
        .fetchTimeout(Duration.ofSeconds(20))
        .nodeId("node-1");
  }

  /** A volume of this testbed's pod with these attributes, backend azure unless they name one. */
  dev.passport.conformance.PodVolume volume(Path dir, String name, Map<String, String> attributes) {
    Map<String, String> all = new HashMap<>(attributes);
    if (!all.containsKey("secretProviderClass")) {
      all.putIfAbsent("backend", AzureBackendFactory.NAME);
    }
    return dev.passport.conformance.PodVolume.of(pod, name, dir.resolve("kubelet"), all,
        java.util.Set.of(AzureVolume.AUDIENCE));
  }

  FetchRequests.Builder request() {
    return FetchRequests.forPod(pod).clock(clock)
        .mintedToken(tokens, AzureVolume.AUDIENCE, TOKEN_TTL);
  }

  FetchRequest initial() {
    return request().build();
  }

  FetchRequest due(Material previous) {
    return request().previous(previous).reason(FetchRequest.Reason.DUE).build();
  }

  @Override
  public void close() {
    vault.close();
    entra.close();
  }
}
