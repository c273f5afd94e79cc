package dev.passport.host.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.CustomResourceDefinitionContext;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code spec.secretObjects} synced to Kubernetes Secrets as the pod (issue 19 item 4), end to end:
 * the real host on a real socket, classes from the host's informer over fabric8's mock API server
 * in CRUD mode, which records the bearer of every Secret request. The backend echoes its
 * attributes as files, so a class parameter is a mounted file and changing it is a rotation.
 */
class SecretSyncEndToEndTest {

  private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");
  private static final String NS = "shop";
  private static final String DRIVER_TOKEN = "driver-sa-token";
  private static final String ADMIN_TOKEN = "admin-token";
  private static final CustomResourceDefinitionContext SPCS = new CustomResourceDefinitionContext.Builder()
      .withGroup("secrets-store.csi.x-k8s.io").withVersion("v1").withKind("SecretProviderClass")
      .withPlural("secretproviderclasses").withScope("Namespaced").build();

  private static KubernetesMockServer server;
  private static KubernetesClient admin;
  private static InformedSecretProviderClasses classes;
  /** Secret requests made by anyone but the test's admin: method, path, bearer. */
  private static final List<Recorded> secretRequests = new CopyOnWriteArrayList<>();
  private static volatile boolean forbidSecrets;
  /** How many of the next Secret PUTs are answered 409 Conflict. */
  private static final AtomicInteger conflictingPuts = new AtomicInteger();
  /** Whether a Secret GET's body is held back (an API server that never answers, to the client). */
  private static volatile boolean stallSecretGets;

  /** Every token a test hands out: none may appear in any log line, at any level. */
  private static final Set<String> TOKENS = ConcurrentHashMap.newKeySet();

  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(() -> TOKENS);
  @TempDir Path dir;
  private final FakeClock clock = FakeClock.at(START);
  private final AttributeEchoBackend vault = new AttributeEchoBackend("vault", "vault");
  private PassportHost host;
  private CsiClient client;
  private Path kubelet;

  record Recorded(String method, String path, String bearer) {}

  @BeforeAll
  static void apiServer() throws Exception {
    TOKENS.add(DRIVER_TOKEN);
    server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(List.of(SPCS)) {
          @Override
          public MockResponse dispatch(RecordedRequest request) {
            String auth = String.valueOf(request.getHeader("Authorization"));
            if (request.getPath().contains("/secrets") && !auth.equals("Bearer " + ADMIN_TOKEN)) {
              secretRequests.add(new Recorded(request.getMethod(), request.getPath(),
                  auth.startsWith("Bearer ") ? auth.substring(7) : auth));
              if (forbidSecrets) {
                return new MockResponse().setResponseCode(403).setBody("{\"kind\":\"Status\","
                    + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Forbidden\","
                    + "\"message\":\"secrets is forbidden\",\"code\":403}");
              }
              if (request.getMethod().equals("PUT")
                  && conflictingPuts.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                return new MockResponse().setResponseCode(409).setBody("{\"kind\":\"Status\","
                    + "\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"Conflict\","
                    + "\"message\":\"the object has been modified\",\"code\":409}");
              }
              if (stallSecretGets && request.getMethod().equals("GET")) {
                // headers now, the body long after the sync's per-call bound (10 s)
                return super.dispatch(request).setBodyDelay(2, TimeUnit.MINUTES);
              }
            }
            return super.dispatch(request);
          }
        }, false);
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    admin = client(ADMIN_TOKEN);
    classes = InformedSecretProviderClasses.start(client(DRIVER_TOKEN), "the fake API server",
        Duration.ofSeconds(20));
  }

  @AfterAll
  static void stopApiServer() {
    classes.close();
    admin.close();
    server.destroy();
  }

  @BeforeEach
  void clean() {
    forbidSecrets = false;
    conflictingPuts.set(0);
    stallSecretGets = false;
    admin.secrets().inNamespace(NS).delete();
    secretRequests.clear();
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    if (host != null) {
      host.close();
    }
  }

  @Test
  void secretIsCreatedWithThePodsToken_andOwnedByEveryPodMountingTheClass() throws Exception {
    applyClass("db", Map.of("roleName", "database"), secretObject("db-creds", "Opaque",
        Map.of("environment", "test"), Map.of("roleName", "role")));
    startPodMode();

    publish("vol-a", "web-a", "db", true);
    publish("vol-b", "web-b", "db", true);

    Secret secret = secret("db-creds");
    assertThat(secret.getType()).isEqualTo("Opaque");
    assertThat(decoded(secret)).containsExactly(Map.entry("role", "database"));
    assertThat(secret.getMetadata().getLabels())
        .containsExactlyInAnyOrderEntriesOf(Map.of("environment", "test",
            "secrets-store.csi.k8s.io/managed", "true"));
    assertThat(secret.getMetadata().getOwnerReferences())
        .extracting(OwnerReference::getKind, OwnerReference::getName, OwnerReference::getUid)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("Pod", "web-a", Requests.podUid("vol-a")),
            org.assertj.core.groups.Tuple.tuple("Pod", "web-b", Requests.podUid("vol-b")));
    assertThat(secret.getMetadata().getOwnerReferences())
        .allSatisfy(o -> assertThat(o.getBlockOwnerDeletion()).isNull());
    // every Secret request carried the mounting pod's own API-server token, never the driver's
    assertThat(secretRequests).isNotEmpty().extracting(Recorded::bearer)
        .containsOnly(apiToken("web-a"), apiToken("web-b"));
    assertThat(secretRequests).allSatisfy(r -> assertThat(r.path()).startsWith("/api/v1/namespaces/shop/secrets"));
    // the plugin never saw the API server's token
    assertThat(vault.fetches).allSatisfy(f -> assertThat(f.tokens()).containsOnlyKeys("vault"));
  }

  @Test
  void rotatedContent_updatesTheSecret_andTheSecretIsGoneOnceBothPodsAre() throws Exception {
    applyClass("rot", Map.of("roleName", "v1"), secretObject("rot-creds", "Opaque", Map.of(),
        Map.of("roleName", "role")));
    startPodMode();
    publish("vol-r1", "web-1", "rot", true);
    publish("vol-r2", "web-2", "rot", true);
    assertThat(decoded(secret("rot-creds"))).containsEntry("role", "v1");

    applyClass("rot", Map.of("roleName", "v2"), secretObject("rot-creds", "Opaque", Map.of(),
        Map.of("roleName", "role")));
    awaitParameter("rot", "roleName", "v2");
    clock.advance(Duration.ofSeconds(10));
    publish("vol-r1", "web-1", "rot", true);

    assertThat(Files.readString(Requests.target(kubelet, "vol-r1").resolve("roleName"))).isEqualTo("v2");
    assertThat(decoded(secret("rot-creds"))).containsEntry("role", "v2");
    assertThat(secret("rot-creds").getMetadata().getOwnerReferences()).hasSize(2);

    unpublish("vol-r1");
    collectGarbage(Set.of(Requests.podUid("vol-r1")));
    assertThat(admin.secrets().inNamespace(NS).withName("rot-creds").get()).isNotNull();
    unpublish("vol-r2");
    collectGarbage(Set.of(Requests.podUid("vol-r1"), Requests.podUid("vol-r2")));
    assertThat(admin.secrets().inNamespace(NS).withName("rot-creds").get()).isNull();
  }

  @Test
  void twentyRepublishes_withNothingChanged_costNoKubernetesCall() throws Exception {
    applyClass("quiet", Map.of("roleName", "database"), secretObject("quiet-creds", "Opaque",
        Map.of(), Map.of("roleName", "role")));
    startPodMode();
    publish("vol-q", "web-q", "quiet", true);
    int calls = secretRequests.size();
    assertThat(calls).isPositive();

    for (int i = 0; i < 20; i++) {
      clock.advance(Duration.ofSeconds(10));
      publish("vol-q", "web-q", "quiet", true);
    }

    assertThat(secretRequests).hasSize(calls);
    assertThat(vault.fetchCount).hasValue(1);
  }

  @Test
  void podWithoutTheRole_isPermissionDenied_namingTheRole_andNoVolumeIsLeft() throws Exception {
    applyClass("denied", Map.of("roleName", "database"), secretObject("denied-creds", "Opaque",
        Map.of(), Map.of("roleName", "role")));
    startPodMode();
    forbidSecrets = true;

    assertThatThrownBy(() -> publish("vol-d", "web-d", "denied", true))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.PERMISSION_DENIED,
            "system:serviceaccount:shop:web may not get Secret shop/denied-creds"))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.PERMISSION_DENIED,
            "get, create and update on secrets"));
    assertThat(visibleFiles(Requests.target(kubelet, "vol-d"))).isEmpty();
    assertThat(host.volumes().state("vol-d")).isEmpty();
  }

  @Test
  void republishWhoseSyncFails_keepsTheNewContent_answersUnavailable_andSyncsAtTheNextOne()
      throws Exception {
    applyClass("flaky", Map.of("roleName", "v1"), secretObject("flaky-creds", "Opaque", Map.of(),
        Map.of("roleName", "role")));
    startPodMode();
    publish("vol-f", "web-f", "flaky", true);
    applyClass("flaky", Map.of("roleName", "v2"), secretObject("flaky-creds", "Opaque", Map.of(),
        Map.of("roleName", "role")));
    awaitParameter("flaky", "roleName", "v2");
    forbidSecrets = true;
    clock.advance(Duration.ofSeconds(10));

    assertThatThrownBy(() -> publish("vol-f", "web-f", "flaky", true))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.UNAVAILABLE, "keeps its content"))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.UNAVAILABLE, "PERMISSION_DENIED"));
    assertThat(Files.readString(Requests.target(kubelet, "vol-f").resolve("roleName"))).isEqualTo("v2");
    assertThat(decoded(secret("flaky-creds"))).containsEntry("role", "v1");

    forbidSecrets = false;
    clock.advance(Duration.ofSeconds(10));
    publish("vol-f", "web-f", "flaky", true);
    assertThat(decoded(secret("flaky-creds"))).containsEntry("role", "v2");
  }

  @Test
  void noPodTokenForTheApiServer_isFailedPrecondition_namingTheTokenRequestsAudience()
      throws Exception {
    applyClass("notoken", Map.of("roleName", "database"), secretObject("nt-creds", "Opaque",
        Map.of(), Map.of("roleName", "role")));
    startPodMode();

    assertThatThrownBy(() -> publish("vol-nt", "web-nt", "notoken", false))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.FAILED_PRECONDITION,
            "add {audience: \"\"} to spec.tokenRequests of CSIDriver"));
    assertThat(vault.fetches).isEmpty();
    assertThat(secretRequests).isEmpty();
  }

  @Test
  void classGainingSecretObjectsWhileThePodRuns_withoutTheToken_isUnavailable_contentKept()
      throws Exception {
    Map<String, Object> plain = new LinkedHashMap<>();
    plain.put("provider", "vault");
    plain.put("parameters", Map.of("roleName", "database"));
    applySpec("gains", plain);
    awaitClass("gains");
    startPodMode();
    publish("vol-g", "web-g", "gains", false);

    applyClass("gains", Map.of("roleName", "database"), secretObject("gains-creds", "Opaque",
        Map.of(), Map.of("roleName", "role")));
    DropInFixture.awaitUntil(() -> classes.find(NS, "gains").map(c -> !c.secretObjects().isEmpty()).orElse(false));
    clock.advance(Duration.ofSeconds(10));

    // never a final code on a republish: kubelet could remove the running pod's mount
    assertThatThrownBy(() -> publish("vol-g", "web-g", "gains", false))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.UNAVAILABLE, "keeps its content"))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.UNAVAILABLE, "add {audience: \"\"}"));
    assertThat(Files.readString(Requests.target(kubelet, "vol-g").resolve("roleName"))).isEqualTo("database");
    assertThat(secretRequests).isEmpty();
  }

  static Stream<Arguments> hostileSecretObjects() {
    List<Object> seventeen = new ArrayList<>();
    for (int i = 0; i < 17; i++) {
      seventeen.add(secretObject("s" + i, "Opaque", Map.of(), Map.of("roleName", "k")));
    }
    List<Object> sixKeys = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      sixKeys.add(Map.of("objectName", "big", "key", "k" + i));
    }
    return Stream.of(
        Arguments.of("too many", seventeen, "lists 17 spec.secretObjects; at most 16"),
        Arguments.of("bad name", List.of(secretObject("Bad_Name", "Opaque", Map.of(),
            Map.of("roleName", "k"))), "secretName \"Bad_Name\" is not a Kubernetes object name"),
        Arguments.of("bad label", List.of(secretObject("ok", "Opaque", Map.of("a b", "c"),
            Map.of("roleName", "k"))), "labels key \"a b\" is not a qualified name"),
        Arguments.of("object not mounted", List.of(secretObject("ok", "Opaque", Map.of(),
            Map.of("nope", "k"))), "file matching objectName \"nope\" not found in the pod"),
        Arguments.of("over 1 MiB", List.of(Map.of("secretName", "huge", "type", "Opaque",
            "data", sixKeys)), "Kubernetes allows at most 1048576"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileSecretObjects")
  void hostileSecretObjects_areInvalid_beforeAnyApiCall(String name, List<Object> objects,
      String message) throws Exception {
    String spc = "hostile-" + name.replace(' ', '-').toLowerCase(java.util.Locale.ROOT);
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("provider", "vault");
    spec.put("parameters", Map.of("roleName", "database", "big", "x".repeat(200 * 1024)));
    spec.put("secretObjects", objects);
    applySpec(spc, spec);
    awaitClass(spc);
    startPodMode();

    assertThatThrownBy(() -> publish("vol-h", "web-h", spc, true))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.INVALID_ARGUMENT, message));
    assertThat(secretRequests).isEmpty();
    assertThat(visibleFiles(Requests.target(kubelet, "vol-h"))).isEmpty();
  }

  @Test
  void driverMode_writesWithTheDriversOwnIdentity() throws Exception {
    applyClass("drv", Map.of("roleName", "database"), secretObject("drv-creds", "Opaque",
        Map.of(), Map.of("roleName", "role")));
    start(KubernetesAccess.secretSync(driverConfig(), SecretSync.Identity.DRIVER, "",
        "the driver's service account"));

    publish("vol-drv", "web-drv", "drv", false);

    assertThat(decoded(secret("drv-creds"))).containsEntry("role", "database");
    assertThat(secretRequests).isNotEmpty().extracting(Recorded::bearer).containsOnly(DRIVER_TOKEN);
  }

  @Test
  void tlsSecret_splitsTheMountedPemIntoCertificateAndKey_asTheIncumbent() throws Exception {
    // a CERTIFICATE block's bytes are copied as they are: any bytes will do
    String certificate = pem("CERTIFICATE", "certificate bytes".repeat(20).getBytes(StandardCharsets.US_ASCII));
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(1024);
    byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
    applyClass("tls", Map.of("bundle", pem("PRIVATE KEY", pkcs8) + certificate),
        Map.of("secretName", "web-tls", "type", "kubernetes.io/tls", "data", List.of(
            Map.of("objectName", "bundle", "key", "tls.crt"),
            Map.of("objectName", "bundle", "key", "tls.key"))));
    startPodMode();

    publish("vol-tls", "web-tls", "tls", true);

    Secret secret = secret("web-tls");
    assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
    Map<String, String> data = decoded(secret);
    assertThat(data.get("tls.crt")).isEqualTo(certificate);
    // secrets-store-csi-driver writes an RSA key as PKCS #1: the key inside the PKCS #8 wrapper
    String key = data.get("tls.key");
    assertThat(key).startsWith("-----BEGIN RSA PRIVATE KEY-----\n").endsWith("-----END RSA PRIVATE KEY-----\n");
    byte[] pkcs1 = Base64.getMimeDecoder().decode(key.replaceAll("-----[A-Z ]+-----", ""));
    assertThat(pkcs1.length).isGreaterThan(500);
    assertThat(Arrays.copyOfRange(pkcs8, pkcs8.length - pkcs1.length, pkcs8.length)).isEqualTo(pkcs1);
  }

  @Test
  void hundredPods_shareOneHttpClient_noThreadPoolPerPod() throws Exception {
    // deltas: threads of hosts closed by earlier tests may still be ending, never starting
    int selectorsBefore = threads("SelectorManager");
    int syncThreadsBefore = threads("passport-secret-sync");
    try (SecretSync sync = KubernetesAccess.secretSync(KubernetesAccess.withoutCredentials(driverConfig()),
        SecretSync.Identity.POD, "", "the driver's service account")) {
      for (int i = 0; i < 100; i++) {
        SecretObject object = new SecretObject("creds-" + i, "Opaque", Map.of(), Map.of(),
            List.of(new SecretObject.Data("roleName", "role")));
        Pod pod = Pod.of(NS, "web-" + i, "uid-" + i, "web");
        sync.sync(new SecretSync.Target("vol-" + i, "shared", pod,
                Optional.of(ServiceAccountToken.of(apiToken(pod.name()), START.plus(Duration.ofHours(1))))),
            List.of(object), List.of(MaterialFile.of("roleName", "database".getBytes(StandardCharsets.UTF_8))),
            false);
      }
      assertThat(threads("SelectorManager") - selectorsBefore).isLessThanOrEqualTo(1);
      assertThat(threads("passport-secret-sync") - syncThreadsBefore).isLessThanOrEqualTo(2);
    }
    assertThat(secret("creds-99").getMetadata().getOwnerReferences())
        .extracting(OwnerReference::getUid).containsExactly("uid-99");
    assertThat(secretRequests).extracting(Recorded::bearer).doesNotContain(DRIVER_TOKEN)
        .contains(apiToken("web-0"), apiToken("web-99"));
  }

  @Test
  void existingSecretWithoutTheManagedLabel_isNeverOverwritten_failedPreconditionSaysWhatToChange()
      throws Exception {
    Secret theirs = admin.secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withNamespace(NS).withName("theirs").endMetadata()
        .withType("Opaque").addToData("role", encode("someone else's")).build()).create();
    applyClass("unmanaged", Map.of("roleName", "database"), secretObject("theirs", "Opaque",
        Map.of(), Map.of("roleName", "role")));
    startPodMode();

    assertThatThrownBy(() -> publish("vol-u", "web-u", "unmanaged", true))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.FAILED_PRECONDITION,
            "Secret shop/theirs, which exists and is not managed"))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.FAILED_PRECONDITION,
            "delete it, label it, or change secretName"));

    Secret after = secret("theirs");
    assertThat(decoded(after)).containsExactly(Map.entry("role", "someone else's"));
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(theirs.getMetadata().getResourceVersion());
    assertThat(after.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(secretRequests).extracting(Recorded::method).containsOnly("GET");
    assertThat(host.volumes().state("vol-u")).isEmpty();
  }

  @Test
  void existingManagedSecretOfAnotherType_isFailedPrecondition_sayingToDeleteIt_andUnchanged()
      throws Exception {
    Secret basic = admin.secrets().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.SecretBuilder()
        .withNewMetadata().withNamespace(NS).withName("typed")
        .addToLabels("secrets-store.csi.k8s.io/managed", "true").endMetadata()
        .withType("kubernetes.io/basic-auth").addToData("username", encode("u"))
        .addToData("password", encode("p")).build()).create();
    applyClass("retyped", Map.of("roleName", "database"), secretObject("typed", "Opaque",
        Map.of(), Map.of("roleName", "role")));
    startPodMode();

    assertThatThrownBy(() -> publish("vol-t", "web-t", "retyped", true))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.FAILED_PRECONDITION,
            "has type kubernetes.io/basic-auth but SecretProviderClass shop/retyped asks for Opaque"))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.FAILED_PRECONDITION,
            "delete the Secret so it is created again"));

    Secret after = secret("typed");
    assertThat(after.getType()).isEqualTo("kubernetes.io/basic-auth");
    assertThat(decoded(after)).containsExactlyInAnyOrderEntriesOf(Map.of("username", "u", "password", "p"));
    assertThat(after.getMetadata().getResourceVersion())
        .isEqualTo(basic.getMetadata().getResourceVersion());
    assertThat(secretRequests).extracting(Recorded::method).containsOnly("GET");
  }

  @Test
  void conflictOnUpdate_isReadAgainAndRetried_andTheSecondPodBecomesAnOwner() throws Exception {
    applyClass("race", Map.of("roleName", "database"), secretObject("race-creds", "Opaque",
        Map.of(), Map.of("roleName", "role")));
    startPodMode();
    publish("vol-c1", "web-c1", "race", true);
    secretRequests.clear();
    conflictingPuts.set(1);

    publish("vol-c2", "web-c2", "race", true);

    // GET, PUT (409), GET again, PUT with the fresh resourceVersion
    assertThat(secretRequests).extracting(Recorded::method).containsExactly("GET", "PUT", "GET", "PUT");
    assertThat(secret("race-creds").getMetadata().getOwnerReferences())
        .extracting(OwnerReference::getUid)
        .containsExactlyInAnyOrder(Requests.podUid("vol-c1"), Requests.podUid("vol-c2"));
  }

  @Test
  void conflictOnEveryUpdate_givesUpAfterFourAttempts_unavailable_andTheSecretIsUnchanged()
      throws Exception {
    applyClass("busy", Map.of("roleName", "database"), secretObject("busy-creds", "Opaque",
        Map.of(), Map.of("roleName", "role")));
    startPodMode();
    publish("vol-b1", "web-b1", "busy", true);
    String version = secret("busy-creds").getMetadata().getResourceVersion();
    secretRequests.clear();
    conflictingPuts.set(Integer.MAX_VALUE);

    assertThatThrownBy(() -> publish("vol-b2", "web-b2", "busy", true))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.UNAVAILABLE,
            "Secret shop/busy-creds kept changing while it was being updated (4 conflicts)"))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.UNAVAILABLE, "the next republish retries"));

    // 409 is never retried by the HTTP client itself: each PUT is one attempt of the sync's
    assertThat(secretRequests.stream().filter(r -> r.method().equals("PUT"))).hasSize(4);
    assertThat(secret("busy-creds").getMetadata().getResourceVersion()).isEqualTo(version);
    assertThat(host.volumes().state("vol-b2")).isEmpty();
  }

  @Test
  void apiServerThatNeverAnswersAGet_onARepublish_givesUpWithinTheCallBound_contentKept()
      throws Exception {
    applyClass("stall", Map.of("roleName", "v1"), secretObject("stall-creds", "Opaque", Map.of(),
        Map.of("roleName", "role")));
    startPodMode();
    publish("vol-s", "web-s", "stall", true);
    applyClass("stall", Map.of("roleName", "v2"), secretObject("stall-creds", "Opaque", Map.of(),
        Map.of("roleName", "role")));
    awaitParameter("stall", "roleName", "v2");
    stallSecretGets = true;
    clock.advance(Duration.ofSeconds(10));

    // the gRPC deadline (60 s) is far beyond the sync's bound: only the sync can end this call
    assertThatThrownBy(() -> publish("vol-s", "web-s", "stall", true))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.UNAVAILABLE, "keeps its content"))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.UNAVAILABLE, "Secret shop/stall-creds"))
        .satisfies(e -> assertThat(((StatusRuntimeException) e).getStatus().getDescription())
            .containsOnlyOnce("the next republish retries"));
    assertThat(Files.readString(Requests.target(kubelet, "vol-s").resolve("roleName"))).isEqualTo("v2");
    assertThat(decoded(secret("stall-creds"))).containsEntry("role", "v1");
  }

  private static String encode(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  private static int threads(String nameContains) {
    return (int) Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().contains(nameContains)).count();
  }

  /** Go's pem.EncodeToMemory: 64 columns, a newline after every line. */
  private static String pem(String type, byte[] der) {
    String b64 = Base64.getEncoder().encodeToString(der);
    StringBuilder out = new StringBuilder("-----BEGIN " + type + "-----\n");
    for (int i = 0; i < b64.length(); i += 64) {
      out.append(b64, i, Math.min(b64.length(), i + 64)).append('\n');
    }
    return out.append("-----END ").append(type).append("-----\n").toString();
  }

  // --- the host and the pods

  private void startPodMode() throws Exception {
    // the driver's config with its token: pod mode must strip it
    start(KubernetesAccess.secretSync(KubernetesAccess.withoutCredentials(driverConfig()),
        SecretSync.Identity.POD, "", "the driver's service account"));
  }

  private void start(SecretSync sync) throws Exception {
    kubelet = dir.resolve("kubelet");
    host = DropInFixture.builder(dir, clock)
        .backendFactory(vault, Map.of())
        .secretProviderClasses(DropInFixture.unclosed(classes), Map.of())
        .secretSync(sync)
        .start();
    client = new CsiClient(host.socket());
  }

  private void publish(String volumeId, String podName, String spc, boolean apiToken) {
    Map<String, String> tokens = new LinkedHashMap<>();
    tokens.put("vault", "vault-token-" + podName);
    TOKENS.add("vault-token-" + podName);
    if (apiToken) {
      tokens.put("", apiToken(podName));
    }
    Csi.NodePublishVolumeRequest.Builder request = Requests.publish(volumeId,
        Requests.target(kubelet, volumeId), Map.of("secretProviderClass", spc),
        Requests.tokensJson(tokens, START.plus(Duration.ofHours(1))));
    request.putVolumeContext("csi.storage.k8s.io/pod.name", podName);
    client.node().withDeadlineAfter(60, TimeUnit.SECONDS).nodePublishVolume(request.build());
  }

  private void unpublish(String volumeId) {
    client.node().withDeadlineAfter(60, TimeUnit.SECONDS).nodeUnpublishVolume(
        Csi.NodeUnpublishVolumeRequest.newBuilder().setVolumeId(volumeId)
            .setTargetPath(Requests.target(kubelet, volumeId).toString()).build());
  }

  private static String apiToken(String podName) {
    String token = "api-token-" + podName;
    TOKENS.add(token);
    return token;
  }

  /**
   * Kubernetes' garbage collector, for the Secrets of this namespace: owner references to deleted
   * pods go, and a Secret left with no owner is deleted.
   */
  private static void collectGarbage(Set<String> deletedPodUids) {
    for (Secret secret : admin.secrets().inNamespace(NS).list().getItems()) {
      List<OwnerReference> owners = secret.getMetadata().getOwnerReferences();
      if (owners == null || owners.isEmpty()) {
        continue;
      }
      List<OwnerReference> alive = owners.stream()
          .filter(o -> !deletedPodUids.contains(o.getUid())).toList();
      if (alive.isEmpty()) {
        admin.secrets().inNamespace(NS).withName(secret.getMetadata().getName()).delete();
      } else if (alive.size() != owners.size()) {
        secret.getMetadata().setOwnerReferences(alive);
        admin.secrets().inNamespace(NS).resource(secret).update();
      }
    }
  }

  // --- the API server

  private static KubernetesClient client(String token) {
    return new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(url()).withOauthToken(token)
            .withNamespace("default").withRequestRetryBackoffLimit(0).build())
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  private static Config driverConfig() {
    return new ConfigBuilder(Config.empty()).withMasterUrl(url()).withOauthToken(DRIVER_TOKEN)
        .withRequestRetryBackoffLimit(0).build();
  }

  private static String url() {
    return "http://127.0.0.1:" + server.getPort();
  }

  static Map<String, Object> secretObject(String name, String type, Map<String, String> labels,
      Map<String, String> objectToKey) {
    Map<String, Object> object = new LinkedHashMap<>();
    object.put("secretName", name);
    object.put("type", type);
    if (!labels.isEmpty()) {
      object.put("labels", labels);
    }
    List<Object> data = new ArrayList<>();
    objectToKey.forEach((o, k) -> data.add(Map.of("objectName", o, "key", k)));
    object.put("data", data);
    return object;
  }

  private static void applyClass(String name, Map<String, String> parameters,
      Map<String, Object> secretObject) throws Exception {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("provider", "vault");
    spec.put("parameters", new LinkedHashMap<>(parameters));
    spec.put("secretObjects", List.of(secretObject));
    applySpec(name, spec);
    awaitClass(name);
  }

  private static void applySpec(String name, Map<String, Object> spec) {
    GenericKubernetesResource resource = new GenericKubernetesResourceBuilder()
        .withApiVersion("secrets-store.csi.x-k8s.io/v1").withKind("SecretProviderClass")
        .withNewMetadata().withNamespace(NS).withName(name).endMetadata()
        .addToAdditionalProperties("spec", spec).build();
    admin.genericKubernetesResources(InformedSecretProviderClasses.CRD).inNamespace(NS)
        .resource(resource).createOr(existing -> existing.update());
  }

  private static Secret secret(String name) {
    Secret secret = admin.secrets().inNamespace(NS).withName(name).get();
    assertThat(secret).as("Secret " + name).isNotNull();
    return secret;
  }

  private static Map<String, String> decoded(Secret secret) {
    Map<String, String> out = new LinkedHashMap<>();
    secret.getData().forEach((k, v) ->
        out.put(k, new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8)));
    return out;
  }

  private static List<String> visibleFiles(Path target) throws java.io.IOException {
    if (!Files.isDirectory(target)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(target)) {
      return entries.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("..")).toList();
    }
  }

  private static void awaitClass(String name) throws Exception {
    DropInFixture.awaitClass(classes, NS, name);
  }

  private static void awaitParameter(String name, String key, String value) throws Exception {
    DropInFixture.awaitParameter(classes, NS, name, key, value);
  }
}
