package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Pod;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How the API server's refusals reach the user: fabric8's mock in expectations mode. */
class CertificateRequestsErrorTest {

  private static final String CREATE_PATH =
      "/apis/cert-manager.io/v1/namespaces/team-a/certificaterequests";

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(tokens::minted);

  private final Pod pod = Pods.pod("team-a", "web-0", "web");
  private KubernetesMockServer server;
  private TestBackendContext context;
  private Backend<CertificateAttributes> backend;

  @BeforeEach
  void start() throws Exception {
    server = new KubernetesMockServer(false);
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    context = TestBackendContext.create();
    backend = new CertManagerBackendFactory().create(
        Map.of("apiServer", "http://127.0.0.1:" + server.getPort(), "timeout", "30s"), context);
  }

  @AfterEach
  void stop() {
    backend.close();
    context.close();
    server.destroy();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "401|UNAUTHENTICATED|did not accept the pod's service account token",
      "403|PERMISSION_DENIED|may not create certificaterequests.cert-manager.io in namespace team-a",
      "404|NOT_FOUND|is cert-manager (CRD certificaterequests.cert-manager.io/v1) installed?",
      "422|INVALID_ARGUMENT|the API server refused to create",
      "504|DEADLINE_EXCEEDED|the API server timed out",
      "503|UNAVAILABLE|could not create",
      "429|RESOURCE_EXHAUSTED|the API server is rate-limiting requests to create",
  })
  void fetch_apiServerRefusesTheCreate_mapsToAKindAndSaysWhatToFix(int code, Kind kind, String text)
      throws Exception {
    server.expect().post().withPath(CREATE_PATH)
        .andReturn(code, Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure",
            "code", code, "message", "refused by the test"))
        .always();
    Instant now = context.clock().instant();
    CertificateAttributes volume = backend.prepare(Map.of(
        CertificateAttributes.ISSUER_NAME, "ca", CertificateAttributes.DNS_NAMES, "a.example.com"));
    FetchRequest request = FetchRequest.builder().volumeId("csi-1").pod(pod)
        .tokens(Map.of("", tokens.token(pod, "", now, Duration.ofHours(1))))
        .deadline(now.plusSeconds(60)).build();

    assertThatThrownBy(() -> backend.fetch(volume, request))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(kind);
          assertThat(e.getMessage()).contains(text);
          LogHygiene.assertNoSecrets(tokens.minted(), e);
        });
  }

  @org.junit.jupiter.api.Test
  void fetch_createAnswerLargerThanTheBudget_isResourceExhaustedNamingTheLimit_andNotRetried() throws Exception {
    // A Content-Length past the limit: refused before the body is read.
    server.expect().post().withPath(CREATE_PATH)
        .andReturn(201, Map.of("kind", "CertificateRequest", "apiVersion", "cert-manager.io/v1",
            "metadata", Map.of("name", "x", "namespace", "team-a"),
            "padding", "x".repeat(256 * 1024)))
        .always();
    Instant now = context.clock().instant();
    CertificateAttributes volume = backend.prepare(Map.of(
        CertificateAttributes.ISSUER_NAME, "ca", CertificateAttributes.DNS_NAMES, "a.example.com"));
    FetchRequest request = FetchRequest.builder().volumeId("csi-1").pod(pod)
        .tokens(Map.of("", tokens.token(pod, "", now, Duration.ofHours(1))))
        .deadline(now.plusSeconds(60)).budget(ByteBudget.limitedTo(64 * 1024)).build();

    assertThatThrownBy(() -> backend.fetch(volume, request))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.RESOURCE_EXHAUSTED);
          assertThat(e.getMessage()).contains("cannot create").contains("limit of 65536 bytes");
          assertThat(e.getCause()).isNull();
        });
    // Not sent again: fabric8 retries a request that failed with an I/O error.
    assertThat(server.getRequestCount()).isEqualTo(1);
  }
}
