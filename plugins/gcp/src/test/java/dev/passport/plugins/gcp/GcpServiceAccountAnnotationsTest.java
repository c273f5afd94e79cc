package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpTestbed.SERVICE_ACCOUNT;
import static dev.passport.plugins.gcp.GcpTestbed.secretsAttribute;
import static dev.passport.plugins.gcp.ServiceAccountAnnotations.GCP_SERVICE_ACCOUNT;
import static dev.passport.plugins.gcp.ServiceAccountAnnotations.GCP_SERVICE_ACCOUNT_DELEGATES;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.passport.support.KubernetesAccess;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * provider-gcp's impersonation target from the pod's Kubernetes service account annotations,
 * read as the driver from fabric8's mock API server in CRUD mode (issue 17, item 4). The fakes and
 * the API server are shared by the tests (each gets a new backend, so a cold annotation cache);
 * Google call counts are compared before and after.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GcpServiceAccountAnnotationsTest {

  static final String DB = "projects/test-project/secrets/db-password/versions/3";
  static final String DRIVER_TOKEN = "driver-token-for-the-api-server";
  static final String ANNOTATED = "annotated@test-project.iam.gserviceaccount.com";
  static final String HOP = "hop@test-project.iam.gserviceaccount.com";

  // static: one directory for the class-wide fakes (an instance @TempDir is replaced per test)
  @TempDir static Path dir;
  GcpTestbed bed;
  KubernetesMockServer api;
  KubernetesClient admin;
  GcpBackend backend;
  Path tokenFile;

  int impersonationsBefore;
  int bearersBefore;

  @BeforeAll
  void startFakes() throws Exception {
    bed = new GcpTestbed(dir);
    bed.global.put(DB, "s3cret-db".getBytes(UTF_8));
    api = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
        new KubernetesCrudDispatcher(), false);
    api.init(InetAddress.getByName("127.0.0.1"), 0);
    admin = api.createClient();
    tokenFile = Files.writeString(dir.resolve("token"), DRIVER_TOKEN + "\n");
  }

  @BeforeEach
  void startBackend() throws Exception {
    backend = bed.backend(annotationsConfig(Map.of()));
    impersonationsBefore = bed.auth.impersonations().size();
    bearersBefore = bed.global.bearers().size();
  }

  @AfterEach
  void stopBackend() {
    backend.close();
    assertThat(bed.auth.problems()).isEmpty();
  }

  @AfterAll
  void stopFakes() throws Exception {
    admin.close();
    api.destroy();
    bed.close();
  }

  /** The generateAccessToken calls of this test. */
  private List<FakeGoogleAuth.Impersonation> impersonations() {
    List<FakeGoogleAuth.Impersonation> all = bed.auth.impersonations();
    return all.subList(impersonationsBefore, all.size());
  }

  @Test
  void fetch_ksaAnnotated_impersonatesTheAnnotatedAccountWithItsDelegates_asTheDriver()
      throws Exception {
    annotate(bed.pod(), Map.of(GCP_SERVICE_ACCOUNT, ANNOTATED,
        GCP_SERVICE_ACCOUNT_DELEGATES, "[\"" + HOP + "\"]"));

    backend.fetch(backend.prepare(secretsAttribute(DB, "db")), bed.request());

    assertThat(impersonations()).singleElement().satisfies(call -> {
      assertThat(call.serviceAccount()).isEqualTo(ANNOTATED);
      assertThat(call.delegates()).containsExactly("projects/-/serviceAccounts/" + HOP);
    });
    assertThat(serviceAccountReads()).singleElement()
        .satisfies(r -> assertThat(r.getHeader("Authorization")).isEqualTo("Bearer " + DRIVER_TOKEN));
  }

  @Test
  void fetch_twentyTimes_readsTheServiceAccountOnceWithinTheCacheTtl() throws Exception {
    annotate(bed.pod(), Map.of(GCP_SERVICE_ACCOUNT, ANNOTATED));
    Pod pod = bed.pod();
    ServiceAccountToken token = bed.token(pod);
    var volume = backend.prepare(secretsAttribute(DB, "db"));

    for (int i = 0; i < 20; i++) {
      bed.clock.advance(Duration.ofSeconds(10));
      backend.fetch(volume, bed.request(pod, token));
    }

    assertThat(serviceAccountReads()).hasSize(1);
    assertThat(impersonations()).hasSize(1);
  }

  @Test
  void fetch_afterTheCacheTtl_readsTheAnnotationAgainAndFollowsAChange() throws Exception {
    annotate(bed.pod(), Map.of(GCP_SERVICE_ACCOUNT, ANNOTATED));
    var volume = backend.prepare(secretsAttribute(DB, "db"));
    backend.fetch(volume, bed.request());

    annotate(bed.pod(), Map.of(GCP_SERVICE_ACCOUNT, SERVICE_ACCOUNT));
    bed.clock.advance(KubernetesAccess.DEFAULT_CACHE_TTL.plusSeconds(1));
    backend.fetch(volume, bed.request());

    assertThat(impersonations()).extracting(FakeGoogleAuth.Impersonation::serviceAccount)
        .containsExactly(ANNOTATED, SERVICE_ACCOUNT);
  }

  @Test
  void fetch_serviceAccountAttribute_winsAndTheApiServerIsNotAsked() throws Exception {
    annotate(bed.pod(), Map.of(GCP_SERVICE_ACCOUNT, ANNOTATED));
    Map<String, String> attributes = new HashMap<>(secretsAttribute(DB, "db"));
    attributes.put(GcpConfig.SERVICE_ACCOUNT, SERVICE_ACCOUNT);

    backend.fetch(backend.prepare(attributes), bed.request());

    assertThat(impersonations()).singleElement()
        .satisfies(call -> assertThat(call.serviceAccount()).isEqualTo(SERVICE_ACCOUNT));
    assertThat(serviceAccountReads()).isEmpty();
  }

  @Test
  void fetch_ksaWithoutAnnotation_usesTheFederatedTokenDirectly_asProviderGcpDoes()
      throws Exception {
    annotate(bed.pod(), Map.of());

    backend.fetch(backend.prepare(secretsAttribute(DB, "db")), bed.request());

    assertThat(impersonations()).isEmpty();
    List<String> bearers = bed.global.bearers();
    assertThat(bearers.subList(bearersBefore, bearers.size())).isNotEmpty()
        .allSatisfy(bearer -> assertThat(bed.auth.federatedTokens()).contains(bearer));
  }

  @Test
  void fetch_annotationThatIsNoServiceAccountEmail_isInvalidArgumentAndNothingIsImpersonated()
      throws Exception {
    annotate(bed.pod(), Map.of(GCP_SERVICE_ACCOUNT, "evil.example/../x"));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> backend.fetch(backend.prepare(secretsAttribute(DB, "db")), bed.request()));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains(GCP_SERVICE_ACCOUNT, "shop/web");
    assertThat(impersonations()).isEmpty();
  }

  @Test
  void fetch_delegatesAnnotationNotAJsonList_isInvalidArgumentNamingIt() throws Exception {
    annotate(bed.pod(), Map.of(GCP_SERVICE_ACCOUNT, ANNOTATED,
        GCP_SERVICE_ACCOUNT_DELEGATES, HOP));

    BackendException e = catchThrowableOfType(BackendException.class,
        () -> backend.fetch(backend.prepare(secretsAttribute(DB, "db")), bed.request()));

    assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
    assertThat(e.getMessage()).contains(GCP_SERVICE_ACCOUNT_DELEGATES, "JSON list");
  }

  @Test
  void fetch_driverMayNotGetServiceAccounts_isPermissionDeniedNamingTheChartValue()
      throws Exception {
    KubernetesMockServer forbidding = new KubernetesMockServer(false);
    forbidding.init(InetAddress.getByName("127.0.0.1"), 0);
    forbidding.expect().get().withPath("/api/v1/namespaces/shop/serviceaccounts/web")
        .andReturn(403, "{\"kind\":\"Status\",\"code\":403,\"reason\":\"Forbidden\"}").always();
    backend.close();
    backend = bed.backend(annotationsConfig(Map.of(
        KubernetesAccess.KUBERNETES_API_SERVER, forbidding.url("/"))));
    try {
      BackendException e = catchThrowableOfType(BackendException.class,
          () -> backend.fetch(backend.prepare(secretsAttribute(DB, "db")), bed.request()));

      assertThat(e.kind()).isEqualTo(Kind.PERMISSION_DENIED);
      assertThat(e.getMessage()).contains("gcp.serviceAccountAnnotations.enabled=true");
    } finally {
      forbidding.destroy();
    }
  }

  @Test
  void config_kubernetesKeysWithoutTheSwitch_stopStartupNamingTheKey() {
    BackendException e = catchThrowableOfType(BackendException.class, () -> GcpConfig.parse(
        Map.of(KubernetesAccess.KUBERNETES_API_SERVER, "https://10.0.0.1"), Map.of()));

    assertThat(e).hasMessageContaining(KubernetesAccess.KUBERNETES_API_SERVER)
        .hasMessageContaining("serviceAccountAnnotations=true");
  }

  @Test
  void config_switchOnOutsideAPodWithoutApiServer_stopsStartupSayingWhatToSet() {
    BackendException e = catchThrowableOfType(BackendException.class, () -> GcpConfig.parse(
        Map.of(KubernetesAccess.SERVICE_ACCOUNT_ANNOTATIONS, "true"), Map.of()));

    assertThat(e).hasMessageContaining(KubernetesAccess.KUBERNETES_API_SERVER);
  }

  private Map<String, String> annotationsConfig(Map<String, String> extra) {
    Map<String, String> config = new HashMap<>(bed.config());
    config.put(KubernetesAccess.SERVICE_ACCOUNT_ANNOTATIONS, "true");
    config.put(KubernetesAccess.KUBERNETES_API_SERVER, api.url("/"));
    config.put(KubernetesAccess.KUBERNETES_TOKEN_FILE, tokenFile.toString());
    config.putAll(extra);
    return config;
  }

  private void annotate(Pod pod, Map<String, String> annotations) {
    admin.serviceAccounts().inNamespace(pod.namespace()).resource(new ServiceAccountBuilder()
        .withNewMetadata().withNamespace(pod.namespace()).withName(pod.serviceAccount())
        .withAnnotations(annotations).endMetadata().build()).createOr(a -> a.update());
    drainRequests();
  }

  /** Forgets the requests so far: the test's own writes. */
  private void drainRequests() {
    try {
      while (api.takeRequest(10, TimeUnit.MILLISECONDS) != null) {
        // the test's own requests
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The plugin's GETs of service accounts since the last {@link #annotate}. */
  private List<RecordedRequest> serviceAccountReads() throws InterruptedException {
    List<RecordedRequest> reads = new ArrayList<>();
    for (RecordedRequest r = api.takeRequest(10, TimeUnit.MILLISECONDS); r != null;
        r = api.takeRequest(10, TimeUnit.MILLISECONDS)) {
      if ("GET".equals(r.getMethod()) && r.getPath().contains("/serviceaccounts/")) {
        reads.add(r);
      }
    }
    return reads;
  }

}
