package dev.passport.plugins.certmanager;

import static dev.passport.plugins.certmanager.CertificateAttributes.COMMON_NAME;
import static dev.passport.plugins.certmanager.CertificateAttributes.DNS_NAMES;
import static dev.passport.plugins.certmanager.CertificateAttributes.IP_SANS;
import static dev.passport.plugins.certmanager.CertificateAttributes.ISSUER_NAME;
import static dev.passport.plugins.certmanager.CertificateAttributes.URI_SANS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.Pod;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Where the plugin connects: only to the API server the operator configured. No volume attribute
 * can name another address; the ones that may hold a URL are data in the CertificateRequest; the
 * API server cannot send the plugin (and the pod's token) elsewhere with a redirect.
 */
class CertManagerOutboundTest {

  private static final Instant START = Instant.parse("2026-11-26T12:00:00Z");
  private static final String CREATE_PATH =
      "/apis/cert-manager.io/v1/namespaces/team-a/certificaterequests";

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(tokens::minted);

  private final FakeClock clock = FakeClock.at(START);
  private final Pod pod = Pods.pod("team-a", "web-0", "web");
  private ConnectionTrap trap;
  private FakeCertManager certManager;
  private TestBackendContext context;
  private Backend<CertificateAttributes> backend;

  @BeforeEach
  void start() throws Exception {
    trap = new ConnectionTrap();
    certManager = new FakeCertManager(clock);
    context = TestBackendContext.builder().clock(clock).nodeId("node-1").build();
    backend = backendFor(certManager.url());
  }

  @AfterEach
  void stop() throws Exception {
    backend.close();
    context.close();
    certManager.close();
    trap.close();
  }

  private Backend<CertificateAttributes> backendFor(String apiServer) throws BackendException {
    return new CertManagerBackendFactory().create(
        Map.of("apiServer", apiServer, "timeout", "10s"), context);
  }

  private FetchRequest request(Pod pod) {
    return FetchRequest.builder().volumeId("csi-1").pod(pod)
        .tokens(Map.of("", tokens.token(pod, "", START, Duration.ofHours(1))))
        .deadline(START.plus(Duration.ofMinutes(2))).build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"apiServer", "server", "masterUrl", "kubeconfig", "url", "caFile"})
  void prepare_attributeNamingAServer_isInvalidArgumentNamingIt(String key) {
    Map<String, String> attributes = Map.of(ISSUER_NAME, "ca-issuer", key, trap.url());

    assertThatThrownBy(() -> backend.prepare(attributes))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
          assertThat(e.getMessage()).contains(key);
        });
  }

  @Test
  void fetch_everyAttributeThatCanHoldAnAddressNamesAnother_connectsOnlyToTheConfiguredServer()
      throws Exception {
    Map<String, String> attributes = new HashMap<>();
    attributes.put(ISSUER_NAME, trap.url());
    attributes.put(COMMON_NAME, trap.hostPort());
    attributes.put(DNS_NAMES, "localhost");
    attributes.put(IP_SANS, "127.0.0.1");
    attributes.put(URI_SANS, trap.url() + "/api");
    // Keys with a "/" become annotations on the CertificateRequest.
    attributes.put("example.com/api-server", trap.url());
    attributes.put("kubernetes.io/master", trap.url());
    // Unknown csi.cert-manager.io keys are ignored (as csi-driver does), neither used nor copied.
    attributes.put("csi.cert-manager.io/api-server", trap.url());
    attributes.put("csi.cert-manager.io/issuer-url", trap.url());

    Material material = backend.fetch(backend.prepare(attributes), request(pod));

    assertThat(material.file("tls.crt")).isPresent();
    assertThat(certManager.created()).hasSize(1);
    GenericKubernetesResource created = certManager.created().get(0);
    assertThat(created.getMetadata().getAnnotations())
        .containsEntry("example.com/api-server", trap.url());
    assertThat(created.getMetadata().getAnnotations()).doesNotContainKey("csi.cert-manager.io/api-server");
    assertThat(trap.connections()).isZero();
  }

  @Test
  void fetch_namespaceThatIsNoName_isInvalidArgumentWithoutAnyRequest() throws Exception {
    Pod forged = Pods.pod("../../api/v1/namespaces/kube-system", "web-0", "web");
    certManager.takeRequests();

    assertThatThrownBy(() -> backend.fetch(backend.prepare(Map.of(ISSUER_NAME, "ca-issuer",
        DNS_NAMES, "a.example.com")), request(forged)))
        .isInstanceOfSatisfying(BackendException.class,
            e -> assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT));
    assertThat(certManager.takeRequests()).isEmpty();
  }

  @Test
  void fetch_apiServerAnswersARedirect_isNotFollowed() throws Exception {
    KubernetesMockServer redirecting = new KubernetesMockServer(false);
    redirecting.init(InetAddress.getByName("127.0.0.1"), 0);
    Backend<CertificateAttributes> redirected =
        backendFor("http://127.0.0.1:" + redirecting.getPort());
    try {
      redirecting.expect().post().withPath(CREATE_PATH).andReturn(307, "")
          .withHeader("Location", trap.url() + CREATE_PATH).always();

      assertThatThrownBy(() -> redirected.fetch(redirected.prepare(Map.of(ISSUER_NAME,
          "ca-issuer", DNS_NAMES, "a.example.com")), request(pod)))
          .isInstanceOfSatisfying(BackendException.class, e -> {
            assertThat(e.kind()).isEqualTo(Kind.UNAVAILABLE);
            assertThat(e.getMessage()).contains("307");
            LogHygiene.assertNoSecrets(tokens.minted(), e);
          });
      assertThat(trap.connections()).isZero();
    } finally {
      redirected.close();
      redirecting.destroy();
    }
  }
}
