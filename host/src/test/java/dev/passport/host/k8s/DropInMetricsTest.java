package dev.passport.host.k8s;

import static dev.passport.host.k8s.DropInFixture.NAMESPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.host.http.MetricsServer;
import dev.passport.host.metrics.PrometheusMetrics;
import dev.passport.host.metrics.Scrape;
import dev.passport.testkit.FakeClock;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A drop-in volume's metrics name the backend its SecretProviderClass resolved to, not
 * {@code unknown}: the volume has no {@code backend} attribute, so the label comes from the class.
 * The real host on a real socket, the class from fabric8's mock API server, scraped from the real
 * metrics endpoint.
 */
class DropInMetricsTest {

  @TempDir Path dir;
  private final FakeClock clock = FakeClock.at(DropInFixture.START);
  private final AttributeEchoBackend vault = new AttributeEchoBackend("vault", "vault");
  private FakeApiServer api;
  private MetricsServer server;
  private DropInFixture.Node node;

  @BeforeEach
  void start() throws Exception {
    api = new FakeApiServer();
    api.apply(NAMESPACE, "vault-database", "vault", Map.of("roleName", "database", "objects", "[]"));
    InformedSecretProviderClasses classes = api.informer();
    DropInFixture.awaitClass(classes, NAMESPACE, "vault-database");
    PrometheusMetrics prometheus = PrometheusMetrics.create();
    server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), prometheus, () -> true);
    node = new DropInFixture.Node(DropInFixture.builder(dir, clock)
        .backendFactory(vault, Map.of())
        .backendFactory(new AttributeEchoBackend("gcp", "gcp"), Map.of())
        .secretProviderClasses(classes, Map.of())
        .metrics(prometheus), dir.resolve("kubelet"));
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    if (server != null) {
      server.close();
    }
    if (api != null) {
      api.close();
    }
  }

  @Test
  void classVolume_publishRepublishUnpublish_areLabelledWithTheResolvedBackend() throws Exception {
    Map<String, String> attributes = Map.of("secretProviderClass", "vault-database");
    Path target = node.publish("vol-metrics", attributes, "vault");
    clock.advance(Duration.ofSeconds(10));
    node.publish("vol-metrics", attributes, "vault");
    node.client.node().nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder()
        .setVolumeId("vol-metrics").setTargetPath(target.toString()).build());

    Scrape scrape = Scrape.of(server.address());

    assertThat(scrape.value("passport_rpc_seconds_count", Map.of("method", "NodePublishVolume",
        "backend", "vault", "code", "OK", "republish", "false"))).hasValue(1);
    assertThat(scrape.value("passport_rpc_seconds_count", Map.of("method", "NodePublishVolume",
        "backend", "vault", "code", "OK", "republish", "true"))).hasValue(1);
    assertThat(scrape.value("passport_rpc_seconds_count", Map.of("method", "NodeUnpublishVolume",
        "backend", "vault", "code", "OK"))).hasValue(1);
    assertThat(scrape.samples("passport_rpc_seconds_count"))
        .noneMatch(s -> "unknown".equals(s.labels().get("backend")))
        .noneMatch(s -> "gcp".equals(s.labels().get("backend")));
    assertThat(scrape.text()).doesNotContain("vault-database");
  }

  @Test
  void classVolume_refusedAfterResolving_isLabelledWithTheResolvedBackend() throws Exception {
    // the class resolves (provider vault), then kubelet sent no token for vault's audience
    Map<String, String> attributes = Map.of("secretProviderClass", "vault-database");
    assertThatThrownBy(() -> node.publish("vol-no-token", attributes, "someone-else"))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.UNAUTHENTICATED, "needed by backend vault"));

    Scrape scrape = Scrape.of(server.address());

    assertThat(scrape.value("passport_rpc_seconds_count", Map.of("method", "NodePublishVolume",
        "backend", "vault", "code", "UNAUTHENTICATED"))).hasValue(1);
  }

  @Test
  void classNamingNoClass_isLabelledUnknown_noSeriesPerPodChosenName() throws Exception {
    assertThatThrownBy(() -> node.publish("vol-missing", Map.of("secretProviderClass", "no-such-class"), "vault"))
        .satisfies(e -> DropInFixture.assertStatus(e, Status.Code.NOT_FOUND, "shop/no-such-class"));

    Scrape scrape = Scrape.of(server.address());

    assertThat(scrape.value("passport_rpc_seconds_count", Map.of("method", "NodePublishVolume",
        "backend", "unknown", "code", "NOT_FOUND"))).hasValue(1);
    assertThat(scrape.text()).doesNotContain("no-such-class");
  }
}
