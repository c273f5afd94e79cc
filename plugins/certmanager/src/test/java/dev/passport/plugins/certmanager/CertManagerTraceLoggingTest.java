package dev.passport.plugins.certmanager;

import static dev.passport.plugins.certmanager.CertificateAttributes.DNS_NAMES;
import static dev.passport.plugins.certmanager.CertificateAttributes.ISSUER_NAME;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.passport.api.Backend;
import dev.passport.api.FetchRequest;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.LogCapture;
import dev.passport.testkit.LogHygiene;
import dev.passport.testkit.Pods;
import dev.passport.testkit.ServiceAccountTokens;
import dev.passport.testkit.TestBackendContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpLoggingInterceptor;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * fabric8 logs every request header, the bearer token included, once its
 * {@code HttpLoggingInterceptor} logger is at TRACE, whatever level the rest of the log is at;
 * the plugin's clients leave that interceptor out.
 */
class CertManagerTraceLoggingTest {

  private static final Instant START = Instant.parse("2026-11-26T12:00:00Z");

  private final ServiceAccountTokens tokens = ServiceAccountTokens.create();
  @RegisterExtension final LogCapture logs = LogCapture.checkingFor(tokens::minted);

  private final FakeClock clock = FakeClock.at(START);
  private final Pod pod = Pods.pod("team-a", "web-0", "web");
  private final Logger fabric8HttpLog = (Logger) LoggerFactory.getLogger(HttpLoggingInterceptor.class);
  private Level savedLevel;
  private FakeCertManager certManager;
  private TestBackendContext context;

  @BeforeEach
  void start() throws Exception {
    savedLevel = fabric8HttpLog.getLevel();
    fabric8HttpLog.setLevel(Level.TRACE);
    certManager = new FakeCertManager(clock);
    context = TestBackendContext.builder().clock(clock).nodeId("node-1").build();
  }

  @AfterEach
  void stop() {
    context.close();
    certManager.close();
    fabric8HttpLog.setLevel(savedLevel);
  }

  @Test
  void fetch_fabric8HttpLoggingAtTrace_logsNoToken() throws Exception {
    ServiceAccountToken token = tokens.token(pod, "", START, Duration.ofHours(1));
    try (Backend<CertificateAttributes> backend = new CertManagerBackendFactory().create(
        Map.of("apiServer", certManager.url()), context)) {

      backend.fetch(backend.prepare(Map.of(ISSUER_NAME, "ca-issuer", DNS_NAMES, "a.example.com")),
          FetchRequest.builder().volumeId("csi-1").pod(pod).tokens(Map.of("", token))
              .deadline(START.plus(Duration.ofMinutes(2))).build());
    }

    // LogCapture fails the test if the pod's token is in any line; this says it directly.
    LogHygiene.assertNoSecrets(tokens.minted(), logs.lines());
  }

  /** The hazard is real: a client built the ordinary way prints the token in this very setup. */
  @Test
  void control_aPlainFabric8ClientAtTheSameLevel_logsItsBearerToken() {
    String controlToken = "control-bearer-" + System.nanoTime();
    try (KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(Config.empty()).withMasterUrl(certManager.url())
            .withOauthToken(controlToken).build())
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build()) {
      client.genericKubernetesResources(CertificateRequests.CONTEXT).inNamespace("team-a").list();
    }

    assertThat(logs.lines()).anySatisfy(line -> assertThat(line).contains(controlToken));
  }
}
