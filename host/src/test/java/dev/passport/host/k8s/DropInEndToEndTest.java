package dev.passport.host.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drop-in mode (issue 19) end to end: the real host on a real socket, SecretProviderClasses in
 * fabric8's mock API server (CRUD mode, the SPC CRD) read through the host's informer, pods whose
 * volumes say only {@code secretProviderClass}. The classes are transcribed from the incumbents'
 * documentation. The backends echo their attributes as files, so the SPC path and the inline path
 * can be compared byte for byte.
 */
class DropInEndToEndTest {

  private static final Instant START = DropInFixture.START;
  private static final String NAMESPACE = DropInFixture.NAMESPACE;
  /** vault-csi-provider's documentation (developer.hashicorp.com, "Vault CSI provider"). */
  private static final Map<String, String> VAULT_DOCS = Map.of(
      "vaultAddress", "http://vault.vault:8200",
      "roleName", "database",
      "objects", """
          - objectName: "db-password"
            secretPath: "secret/data/db-pass"
            secretKey: "password"
          """);
  /** secrets-store-csi-driver-provider-gcp's README example. */
  private static final Map<String, String> GCP_DOCS = Map.of(
      "secrets", """
          - resourceName: "projects/my-project/secrets/testsecret/versions/latest"
            path: "good1.txt"
          """);

  private static FakeApiServer api;
  private static InformedSecretProviderClasses classes;

  @TempDir Path dir;
  private final FakeClock clock = FakeClock.at(START);
  private final AttributeEchoBackend vault = new AttributeEchoBackend("vault", "vault");
  private final AttributeEchoBackend gcp = new AttributeEchoBackend("gcp", "//iam.googleapis.com/test");
  private DropInFixture.Node node;
  private PassportHost host;
  private CsiClient client;
  private Path kubelet;

  @BeforeAll
  static void apiServer() throws Exception {
    api = new FakeApiServer();
    api.apply(NAMESPACE, "vault-database", "vault", VAULT_DOCS);
    api.apply(NAMESPACE, "app-secrets", "gcp", GCP_DOCS);
    api.apply(NAMESPACE, "azure-kv", "azure", Map.of("keyvaultName", "kv", "tenantId", "t"));
    api.apply("other", "vault-database", "vault", Map.of("roleName", "other-role", "objects", "[]"));
    classes = api.informer();
    awaitClass(NAMESPACE, "azure-kv");
  }

  @AfterAll
  static void stopApiServer() {
    classes.close();
    api.close();
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private void start(Optional<SecretProviderClasses> dropIn, Map<String, String> providers)
      throws Exception {
    PassportHost.Builder builder = DropInFixture.builder(dir, clock)
        .backendFactory(vault, Map.of())
        .backendFactory(gcp, Map.of());
    dropIn.ifPresent(c -> builder.secretProviderClasses(DropInFixture.unclosed(c), providers));
    node = new DropInFixture.Node(builder, dir.resolve("kubelet"));
    host = node.host;
    client = node.client;
    kubelet = node.kubelet;
  }

  private void start() throws Exception {
    start(Optional.of(classes), Map.of());
  }

  @Test
  void vaultClassFromTheDocs_givesTheBackendTheSameAttributesAndFilesAsTheInlineVolume()
      throws Exception {
    start();
    Path fromClass = publish("vol-spc", Map.of("secretProviderClass", "vault-database"), "vault");
    Map<String, String> inline = new HashMap<>(VAULT_DOCS);
    inline.put("backend", "vault");
    Path fromInline = publish("vol-inline", inline, "vault");

    // one prepare: the host found the inline volume's attributes identical to the class's
    assertThat(vault.prepared).containsExactly(VAULT_DOCS);
    assertThat(visibleFiles(fromClass)).isEqualTo(visibleFiles(fromInline)).hasSize(3);
    assertThat(Files.readString(fromClass.resolve("roleName"))).isEqualTo("database");
  }

  @Test
  void gcpClass_isServedByTheGcpBackendAsThePod() throws Exception {
    start();
    Path target = publish("vol-gcp", Map.of("secretProviderClass", "app-secrets"),
        "//iam.googleapis.com/test");

    assertThat(gcp.prepared).containsExactly(GCP_DOCS);
    assertThat(gcp.fetches).singleElement().satisfies(fetch -> {
      assertThat(fetch.pod().namespace()).isEqualTo(NAMESPACE);
      assertThat(fetch.pod().name()).isEqualTo("web-0");
      assertThat(fetch.tokens()).containsOnlyKeys("//iam.googleapis.com/test");
    });
    assertThat(Files.readString(target.resolve("secrets"))).isEqualTo(GCP_DOCS.get("secrets"));
  }

  @Test
  void classInAnotherNamespace_isNeverUsed_thePodsNamespaceDecides() throws Exception {
    start();
    publish("vol-ns", Map.of("secretProviderClass", "vault-database"), "vault");

    assertThat(vault.prepared).containsExactly(VAULT_DOCS);
  }

  @Test
  void volumeAttributesWinOverParameters_kubeletKeysFromTheClassAreDropped() throws Exception {
    Map<String, String> forging = new LinkedHashMap<>(VAULT_DOCS);
    forging.put("csi.storage.k8s.io/pod.name", "someone-else");
    forging.put("csi.storage.k8s.io/serviceAccount.tokens", "{}");
    api.apply(NAMESPACE, "forging", "vault", forging);
    awaitClass(NAMESPACE, "forging");
    start();

    publish("vol-merge", Map.of("secretProviderClass", "forging", "roleName", "from-pod"), "vault");

    Map<String, String> expected = new HashMap<>(VAULT_DOCS);
    expected.put("roleName", "from-pod");
    assertThat(vault.prepared).containsExactly(expected);
    assertThat(vault.fetches.get(0).pod().name()).isEqualTo("web-0");
  }

  @Test
  void twentyRepublishes_costNoKubernetesApiCall_andNoBackendCall() throws Exception {
    start();
    Map<String, String> attributes = Map.of("secretProviderClass", "vault-database");
    publish("vol-quiet", attributes, "vault");
    int apiCalls = api.driverCalls();

    for (int i = 0; i < 20; i++) {
      clock.advance(Duration.ofSeconds(10));
      publish("vol-quiet", attributes, "vault");
    }

    assertThat(api.driverCalls()).isEqualTo(apiCalls);
    assertThat(vault.fetchCount).hasValue(1);
  }

  @Test
  void changedClass_isFetchedAgainAtTheNextRepublish() throws Exception {
    api.apply(NAMESPACE, "changing", "vault", Map.of("roleName", "v1", "objects", "[]"));
    awaitClass(NAMESPACE, "changing");
    start();
    Map<String, String> attributes = Map.of("secretProviderClass", "changing");
    Path target = publish("vol-change", attributes, "vault");
    assertThat(Files.readString(target.resolve("roleName"))).isEqualTo("v1");

    api.apply(NAMESPACE, "changing", "vault", Map.of("roleName", "v2", "objects", "[]"));
    awaitParameter(NAMESPACE, "changing", "roleName", "v2");
    clock.advance(Duration.ofSeconds(10));
    publish("vol-change", attributes, "vault");

    assertThat(Files.readString(target.resolve("roleName"))).isEqualTo("v2");
    assertThat(vault.fetchCount).hasValue(2);
  }

  @Test
  void missingClass_isNotFound_namingNamespaceAndName() throws Exception {
    start();
    assertThatThrownBy(() -> publish("vol-missing", Map.of("secretProviderClass", "nope"), "vault"))
        .satisfies(e -> assertStatus(e, Status.Code.NOT_FOUND, "shop/nope"));
  }

  @Test
  void unknownProvider_isInvalid_namingTheProviderAndTheServedBackends() throws Exception {
    start();
    assertThatThrownBy(() -> publish("vol-azure", Map.of("secretProviderClass", "azure-kv"), "vault"))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "\"azure\""))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "[gcp, vault]"));
  }

  @Test
  void providerMappedByTheOperator_isServedByThatBackend() throws Exception {
    start(Optional.of(classes), Map.of("azure", "vault"));
    publish("vol-mapped", Map.of("secretProviderClass", "azure-kv"), "vault");

    assertThat(vault.prepared).containsExactly(Map.of("keyvaultName", "kv", "tenantId", "t"));
  }

  @Test
  void dropInOff_isFailedPrecondition_namingTheFlag() throws Exception {
    start(Optional.empty(), Map.of());
    assertThatThrownBy(() -> publish("vol-off", Map.of("secretProviderClass", "vault-database"), "vault"))
        .satisfies(e -> assertStatus(e, Status.Code.FAILED_PRECONDITION, "--secret-provider-classes"));
    assertThat(vault.prepared).isEmpty();
  }

  @Test
  void classPastTheParameterBound_isInvalid_namingTheClass() throws Exception {
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i <= InformedSecretProviderClasses.MAX_PARAMETERS; i++) {
      many.put("p" + i, "v");
    }
    api.apply(NAMESPACE, "too-many", "vault", many);
    awaitClass(NAMESPACE, "too-many");
    start();

    assertThatThrownBy(() -> publish("vol-many", Map.of("secretProviderClass", "too-many"), "vault"))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "SecretProviderClass shop/too-many has 65"));
  }

  @Test
  void classWithoutProvider_isInvalid_asTheIncumbentSays() throws Exception {
    api.applySpec(NAMESPACE, "no-provider", Map.of("parameters", Map.of("a", "b")));
    awaitClass(NAMESPACE, "no-provider");
    start();

    assertThatThrownBy(() -> publish("vol-np", Map.of("secretProviderClass", "no-provider"), "vault"))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "provider not set in shop/no-provider"));
  }

  @Test
  void nodePublishSecretRefSecrets_reachTheBackend_withoutKubeletsTokens_andNeverTheLog()
      throws Exception {
    start();
    String clientSecret = "client-secret-" + System.nanoTime();
    LogCapture logs = new LogCapture();
    logs.start();
    try {
      Path target = Requests.target(kubelet, "vol-secrets");
      Csi.NodePublishVolumeRequest.Builder request = Requests.publish("vol-secrets", target,
          Map.of("secretProviderClass", "vault-database"),
          Requests.tokensJson(Map.of("vault", "pod-token"), START.plus(Duration.ofHours(1))));
      request.putVolumeContext("csi.storage.k8s.io/pod.namespace", NAMESPACE);
      request.putSecrets("clientid", "app-client").putSecrets("clientsecret", clientSecret);
      client.node().nodePublishVolume(request.build());

      assertThat(vault.fetches).singleElement().satisfies(fetch -> {
        assertThat(fetch.nodePublishSecrets())
            .containsExactlyInAnyOrderEntriesOf(Map.of("clientid", "app-client", "clientsecret", clientSecret));
        assertThat(fetch.toString()).doesNotContain(clientSecret).contains("2 redacted");
      });
    } finally {
      logs.stop();
    }
    assertThat(logs.lines()).isNotEmpty().noneMatch(line -> line.contains(clientSecret));
    try (var files = Files.walk(dir.resolve("state"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(file)).doesNotContain(clientSecret);
      }
    }
  }

  @Test
  void classWithSecretObjects_onAHostWithoutSecretSync_isFailedPrecondition_notSilentlyUnsynced()
      throws Exception {
    // secrets-store-csi-driver's documentation ("Sync as Kubernetes Secret"); this host has no
    // SecretSync (the CLI always wires one in drop-in mode: SecretSyncEndToEndTest covers the sync)
    api.applySpec(NAMESPACE, "synced", Map.of("provider", "vault",
        "parameters", VAULT_DOCS,
        "secretObjects", List.of(Map.of("secretName", "foosecret", "type", "Opaque",
            "data", List.of(Map.of("objectName", "db-password", "key", "pwd"))))));
    awaitClass(NAMESPACE, "synced");
    start();

    assertThatThrownBy(() -> publish("vol-sync", Map.of("secretProviderClass", "synced"), "vault"))
        .satisfies(e -> assertStatus(e, Status.Code.FAILED_PRECONDITION, "spec.secretObjects"))
        .satisfies(e -> assertStatus(e, Status.Code.FAILED_PRECONDITION, "without Secret sync"));
    assertThat(vault.fetches).isEmpty();
  }

  /**
   * A pod spec moved over with inline attributes may keep its secretProviderClass attribute
   * (provider-gcp ignores it, issue 17): with a backend it is an inline volume, no class is read,
   * and the backend sees the attribute as one of its own.
   */
  @Test
  void backendAndClassTogether_isAnInlineVolume_theClassIsNotRead() throws Exception {
    start();
    publish("vol-both", Map.of("secretProviderClass", "no-such-class", "backend", "vault"),
        "vault");

    assertThat(vault.fetches).hasSize(1);
  }

  private Path publish(String volumeId, Map<String, String> attributes, String audience) {
    return node.publish(volumeId, attributes, audience);
  }

  private static Map<String, String> visibleFiles(Path target) throws java.io.IOException {
    return DropInFixture.visibleFiles(target);
  }

  private static void assertStatus(Throwable e, Status.Code code, String inMessage) {
    DropInFixture.assertStatus(e, code, inMessage);
  }

  private static void awaitClass(String namespace, String name) throws Exception {
    DropInFixture.awaitClass(classes, namespace, name);
  }

  private static void awaitParameter(String namespace, String name, String key, String value)
      throws Exception {
    DropInFixture.awaitParameter(classes, namespace, name, key, value);
  }
}
