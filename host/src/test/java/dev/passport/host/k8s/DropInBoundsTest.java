package dev.passport.host.k8s;

import static dev.passport.host.k8s.DropInFixture.NAMESPACE;
import static dev.passport.host.k8s.DropInFixture.assertStatus;
import static dev.passport.host.k8s.DropInFixture.awaitClass;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bounds of drop-in mode's hostile inputs (issue 19), each through the real socket: the
 * {@code nodePublishSecretRef} secrets kubelet passes, a SecretProviderClass's spec as the pod's
 * namespace wrote it (served by fabric8's mock API server in CRUD mode and read through the host's
 * informer), the {@code secretProviderClass} attribute's name, and an API server that has not
 * answered the informer's first list yet.
 */
class DropInBoundsTest {

  private static final Map<String, String> PARAMETERS = Map.of("roleName", "app", "objects", "[]");

  private static FakeApiServer api;
  private static InformedSecretProviderClasses classes;

  @RegisterExtension final LogCapture logs = new LogCapture();
  @TempDir Path dir;
  private final FakeClock clock = FakeClock.at(DropInFixture.START);
  private final AttributeEchoBackend vault = new AttributeEchoBackend("vault", "vault");
  /** Lookups the host made in the cluster's classes. */
  private final AtomicInteger lookups = new AtomicInteger();
  private DropInFixture.Node node;
  private FakeApiServer unready;

  @BeforeAll
  static void apiServer() throws Exception {
    api = new FakeApiServer();
    api.apply(NAMESPACE, "app", "vault", PARAMETERS);
    classes = api.informer();
    awaitClass(classes, NAMESPACE, "app");
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
    if (unready != null) {
      unready.close();
    }
  }

  private void start() throws Exception {
    SecretProviderClasses shared = DropInFixture.unclosed(classes);
    SecretProviderClasses counted = new SecretProviderClasses() {
      @Override
      public Optional<SecretProviderClass> find(String namespace, String name)
          throws SecretProviderClassException {
        lookups.incrementAndGet();
        return shared.find(namespace, name);
      }

      @Override
      public String describe() {
        return shared.describe();
      }

      @Override
      public void close() {}
    };
    start(counted);
  }

  private void start(SecretProviderClasses dropIn) throws Exception {
    PassportHost.Builder builder = DropInFixture.builder(dir, clock)
        .backendFactory(vault, Map.of())
        .secretProviderClasses(dropIn, Map.of());
    node = new DropInFixture.Node(builder, dir.resolve("kubelet"));
  }

  // --- nodePublishSecretRef: NodePublishVolume's secrets, at most 64 keys and 64 KiB ---------

  @Test
  void nodePublishSecrets_64KeysOf64KiB_reachTheBackend() throws Exception {
    start();
    Map<String, String> secrets = new LinkedHashMap<>();
    // 64 keys "k00".."k63" (3 bytes each) and values filling the 64 KiB exactly
    int valueBytes = (NodePublishSecrets64.MAX_BYTES - 64 * 3) / 64;
    for (int i = 0; i < 64; i++) {
      secrets.put(String.format("k%02d", i), NodePublishSecrets64.value(i, valueBytes));
    }

    publishWithSecrets("vol-np-fits", secrets);

    assertThat(vault.fetches).singleElement()
        .satisfies(f -> assertThat(f.nodePublishSecrets()).isEqualTo(secrets));
  }

  @Test
  void nodePublishSecrets_65Keys_isInvalid_sayingWhatToChange_withoutAValue() throws Exception {
    start();
    Map<String, String> secrets = new LinkedHashMap<>();
    for (int i = 0; i < 65; i++) {
      secrets.put("k" + i, NodePublishSecrets64.value(i, 40));
    }

    assertThatThrownBy(() -> publishWithSecrets("vol-np-keys", secrets))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "holds 65 keys"))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "at most 64 keys"))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT,
            "give the volume a Secret with only the keys its backend reads"))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(NodePublishSecrets64.MARK));
    assertThat(vault.fetches).isEmpty();
    assertNoValueLogged();
  }

  @Test
  void nodePublishSecrets_oneByteOver64KiB_isInvalid_withoutTheValue() throws Exception {
    start();
    // one key "k" (1 byte) and a value of 64 KiB: 65,537 bytes
    Map<String, String> secrets = Map.of("k",
        NodePublishSecrets64.value(0, NodePublishSecrets64.MAX_BYTES));

    assertThatThrownBy(() -> publishWithSecrets("vol-np-bytes", secrets))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "1 keys and 65537 bytes"))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, "at most 64 keys and 65536 bytes"))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(NodePublishSecrets64.MARK));
    assertThat(vault.fetches).isEmpty();
    assertNoValueLogged();
  }

  private void publishWithSecrets(String volumeId, Map<String, String> secrets) {
    Csi.NodePublishVolumeRequest.Builder request = node.request(volumeId,
        Map.of("secretProviderClass", "app"), "vault");
    request.putAllSecrets(secrets);
    node.client.node().withDeadlineAfter(30, TimeUnit.SECONDS).nodePublishVolume(request.build());
  }

  private void assertNoValueLogged() throws Exception {
    assertThat(logs.lines()).isNotEmpty().noneMatch(line -> line.contains(NodePublishSecrets64.MARK));
    try (var files = Files.walk(dir.resolve("state"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        assertThat(Files.readString(file)).doesNotContain(NodePublishSecrets64.MARK);
      }
    }
  }

  /** Secret values that carry a mark no message or log line may contain. */
  private static final class NodePublishSecrets64 {
    static final int MAX_BYTES = 64 * 1024;
    static final String MARK = "np-secret-" + Long.toHexString(System.nanoTime());

    /** A value of exactly {@code bytes} ASCII bytes starting with {@link #MARK} and {@code i}. */
    static String value(int i, int bytes) {
      StringBuilder value = new StringBuilder(MARK).append('-').append(i).append('-');
      while (value.length() < bytes) {
        value.append('x');
      }
      return value.substring(0, bytes);
    }
  }

  // --- SecretProviderClass spec bounds (InformedSecretProviderClasses.parse) ------------------

  @Test
  void parameterKeyOf254Characters_isInvalid_namingTheClassAndTheBound() throws Exception {
    Map<String, String> parameters = new LinkedHashMap<>(PARAMETERS);
    parameters.put("k".repeat(254), "v");
    assertRefused("long-key", spec("vault", parameters),
        "SecretProviderClass shop/long-key: a spec.parameters key is longer than 253 characters");
  }

  @Test
  void parameterKeyOf253Characters_isServed() throws Exception {
    Map<String, String> parameters = new LinkedHashMap<>(PARAMETERS);
    parameters.put("k".repeat(253), "v");
    api.applySpec(NAMESPACE, "key-253", spec("vault", parameters));
    awaitClass(classes, NAMESPACE, "key-253");
    start();

    node.publish("vol-key-253", Map.of("secretProviderClass", "key-253"), "vault");

    assertThat(vault.prepared).singleElement().satisfies(a -> assertThat(a).containsKey("k".repeat(253)));
  }

  @Test
  void parametersOver256KiB_isInvalid_sayingSplitTheClass() throws Exception {
    Map<String, String> parameters = new LinkedHashMap<>();
    String value = "v".repeat(64 * 1024);
    for (int i = 0; i < 4; i++) {
      parameters.put("p" + i, value);
    }
    // 4 × (2 + 65,536) bytes = 262,152 > 262,144
    assertRefused("huge", spec("vault", parameters),
        "SecretProviderClass shop/huge: spec.parameters hold more than 262144 bytes; split the volume");
  }

  @Test
  void nonStringParameter_isInvalid_sayingQuoteTheValue() throws Exception {
    Map<String, Object> parameters = new LinkedHashMap<>(PARAMETERS);
    parameters.put("port", 8200);
    assertRefused("number", spec("vault", parameters),
        "spec.parameters.\"port\" is not a string (the CRD's parameters are map[string]string; quote the value)");
  }

  @Test
  void nonStringParameter_withAControlCharacterInItsKey_isQuotedOnOneLine() throws Exception {
    Map<String, Object> parameters = new LinkedHashMap<>(PARAMETERS);
    parameters.put("a\nforged log line", List.of("x"));
    assertRefused("control", spec("vault", parameters), "spec.parameters.\"a\\nforged log line\"");
  }

  @Test
  void providerOf64Characters_isInvalid_namingTheBound() throws Exception {
    assertRefused("long-provider", spec("p".repeat(64), PARAMETERS),
        "SecretProviderClass shop/long-provider: spec.provider is longer than 63 characters");
  }

  @Test
  void emptyProvider_isInvalid_asTheIncumbentSays() throws Exception {
    assertRefused("empty-provider", spec("", PARAMETERS),
        "provider not set in shop/empty-provider: set spec.provider");
  }

  @Test
  void classWithoutSpec_isInvalid_namingIt() throws Exception {
    assertRefused("no-spec", null, "SecretProviderClass shop/no-spec has no spec");
  }

  private static Map<String, Object> spec(String provider, Map<String, ?> parameters) {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("provider", provider);
    spec.put("parameters", new LinkedHashMap<>(parameters));
    return spec;
  }

  /** Applies the class, then a publish naming it is INVALID_ARGUMENT and reaches no backend. */
  private void assertRefused(String name, Map<String, Object> spec, String inMessage)
      throws Exception {
    api.applySpec(NAMESPACE, name, spec);
    awaitClass(classes, NAMESPACE, name);
    start();
    assertPublishRefused(name, inMessage);
  }

  private void assertPublishRefused(String name, String inMessage) {
    assertThatThrownBy(() -> node.publish("vol-" + name, Map.of("secretProviderClass", name), "vault"))
        .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT, inMessage));
    assertThat(vault.prepared).isEmpty();
    assertThat(logs.lines()).noneMatch(line -> line.contains("\nforged"));
  }

  // --- what the informer holds of each class of the cluster (ClassStore) ---------------------

  @Test
  void classWithASpecOver512KiCharacters_isNotHeld_andRefusedWithItsBound() throws Exception {
    // secretObjects are not bounded by parse: a spec can grow past the parameters' 256 KiB there
    Map<String, Object> spec = spec("vault", PARAMETERS);
    spec.put("secretObjects", List.of(Map.of("secretName", "s", "type", "Opaque",
        "labels", Map.of("padding", "x".repeat(ClassStore.MAX_SPEC_CHARS)))));
    api.applySpec(NAMESPACE, "too-large", spec);
    awaitClass(classes, NAMESPACE, "too-large");

    assertThat(classes.held(NAMESPACE, "too-large")).get()
        .satisfies(held -> assertThat(held.getAdditionalProperties()).doesNotContainKey("spec"));
    start();
    assertPublishRefused("too-large",
        "SecretProviderClass shop/too-large has a spec of more than 524288 characters, which the"
            + " driver does not hold; split it into several classes");
    // Passport's lines (the mock API server logs what it stores at DEBUG)
    assertThat(logs.lines()).filteredOn(line -> line.contains("dev.passport"))
        .noneMatch(line -> line.contains("xxxxxxxxxx"));
  }

  @Test
  void classAsKubectlAppliesIt_isHeldAsIdentityAndSpecOnly() throws Exception {
    // kubectl apply stores the whole object again in an annotation; labels and status are the
    // namespace's too: none of it is read, so none of it stays in every node's memory
    GenericKubernetesResource applied = new GenericKubernetesResourceBuilder()
        .withApiVersion("secrets-store.csi.x-k8s.io/v1")
        .withKind("SecretProviderClass")
        .withNewMetadata().withNamespace(NAMESPACE).withName("applied")
        .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "y".repeat(100_000))
        .addToLabels("team", "shop")
        .endMetadata()
        .addToAdditionalProperties("spec", spec("vault", PARAMETERS))
        .addToAdditionalProperties("status", Map.of("note", "z".repeat(10_000)))
        .build();
    api.applyResource(applied);
    awaitClass(classes, NAMESPACE, "applied");

    GenericKubernetesResource held = classes.held(NAMESPACE, "applied").orElseThrow();

    assertThat(held.getMetadata().getAnnotations()).isNullOrEmpty();
    assertThat(held.getMetadata().getLabels()).isNullOrEmpty();
    assertThat(held.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(held.getMetadata().getResourceVersion()).isNotEmpty();
    assertThat(held.getAdditionalProperties()).containsOnlyKeys("spec")
        .containsEntry("spec", spec("vault", PARAMETERS));
    start();
    node.publish("vol-applied", Map.of("secretProviderClass", "applied"), "vault");
    assertThat(vault.prepared).containsExactly(PARAMETERS);
  }

  // --- the secretProviderClass attribute: a DNS-1123 subdomain, checked before any lookup ------

  @Test
  void className_notADns1123Subdomain_isInvalid_beforeAnyLookup() throws Exception {
    start();
    List<String> names = List.of("app/../../kube-system/app", "a/b", "..", "a..b", "App", "app.",
        "a".repeat(300));

    for (String name : names) {
      assertThatThrownBy(() -> node.publish("vol-name", Map.of("secretProviderClass", name), "vault"))
          .as(name)
          .satisfies(e -> assertStatus(e, Status.Code.INVALID_ARGUMENT,
              "is not a Kubernetes object name (lowercase letters, digits, '-' and '.', at most 253"
                  + " characters)"));
    }
    assertThat(lookups).hasValue(0);
  }

  @Test
  void className_of253Characters_isLookedUp() throws Exception {
    start();
    String name = "a".repeat(61) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(63);
    assertThat(name).hasSize(253);

    assertThatThrownBy(() -> node.publish("vol-253", Map.of("secretProviderClass", name), "vault"))
        .satisfies(e -> assertStatus(e, Status.Code.NOT_FOUND, "shop/" + name));
    assertThat(lookups).hasValue(1);
  }

  // --- before the informer's first list -----------------------------------------------------

  @Test
  void beforeTheFirstList_isUnavailable_thenTheClassIsServedOnceTheListSucceeds() throws Exception {
    {
      FakeApiServer starting = unready = new FakeApiServer();
      starting.apply(NAMESPACE, "app", "vault", PARAMETERS);
      starting.refuseDriverLists(true);
      InformedSecretProviderClasses unsynced = starting.informer(Duration.ZERO);
      // the host owns (and closes) this informer
      start(unsynced);
      DropInFixture.awaitUntil(() -> starting.refusedLists() >= 1);

      assertThatThrownBy(() -> node.publish("vol-early", Map.of("secretProviderClass", "app"), "vault"))
          .satisfies(e -> assertStatus(e, Status.Code.UNAVAILABLE,
              "the driver has not yet listed the cluster's SecretProviderClasses from the fake API"
                  + " server (see the driver's log); kubelet retries"));
      assertThat(vault.prepared).isEmpty();

      starting.refuseDriverLists(false);
      awaitClass(unsynced, NAMESPACE, "app");
      Path target = node.publish("vol-early", Map.of("secretProviderClass", "app"), "vault");

      assertThat(Files.readString(target.resolve("roleName"))).isEqualTo("app");
    }
  }
}
