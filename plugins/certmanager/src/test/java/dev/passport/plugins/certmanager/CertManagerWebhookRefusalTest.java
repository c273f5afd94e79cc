package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * cert-manager's webhook refusing a CertificateRequest with 406 (issue 18 item 4): a permanent
 * problem with the request, not an outage to retry. fabric8's mock in expectations mode.
 */
class CertManagerWebhookRefusalTest {

  private static final String CREATE_PATH =
      "/apis/cert-manager.io/v1/namespaces/team-a/certificaterequests";
  private static final String WEBHOOK_MESSAGE = "admission webhook \"webhook.cert-manager.io\""
      + " denied the request: spec.request: Invalid value: []byte{...}: error decoding certificate"
      + " request PEM block";

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

  @Test
  void fetch_webhookAnswers406_isInvalidArgumentQuotingTheWebhook_andNotRetriedByThePlugin()
      throws Exception {
    server.expect().post().withPath(CREATE_PATH)
        .andReturn(406, Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure",
            "code", 406, "message", WEBHOOK_MESSAGE))
        .always();
    Instant now = context.clock().instant();
    CertificateAttributes volume = backend.prepare(Map.of(
        CertificateAttributes.ISSUER_NAME, "ca", CertificateAttributes.DNS_NAMES, "a.example.com"));
    FetchRequest request = FetchRequest.builder().volumeId("csi-1").pod(pod)
        .tokens(Map.of("", tokens.token(pod, "", now, Duration.ofHours(1))))
        .deadline(now.plusSeconds(60)).build();

    assertThatThrownBy(() -> backend.fetch(volume, request))
        .isInstanceOfSatisfying(BackendException.class, e -> {
          assertThat(e.kind()).isEqualTo(Kind.INVALID_ARGUMENT);
          assertThat(e.getMessage()).contains("webhook refused to create")
              .contains(WEBHOOK_MESSAGE).doesNotContain("retr");
          LogHygiene.assertNoSecrets(tokens.minted(), e);
        });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }
}
