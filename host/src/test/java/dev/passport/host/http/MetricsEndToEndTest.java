package dev.passport.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.PassportHost;
import dev.passport.host.metrics.PrometheusMetrics;
import dev.passport.host.metrics.Scrape;
import dev.passport.host.testing.CountingBackend;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.volume.MountMode;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real host on a real socket, exporting to the real endpoint, driven as kubelet would. */
class MetricsEndToEndTest {

  private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.pod-token-" + System.nanoTime();

  @TempDir Path dir;
  private final CountingBackend backend = new CountingBackend();
  private final AtomicReference<PassportHost> started = new AtomicReference<>();
  private MetricsServer server;
  private PassportHost host;
  private CsiClient client;

  @BeforeEach
  void start() throws Exception {
    PrometheusMetrics prometheus = PrometheusMetrics.create();
    server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), prometheus, () -> {
      PassportHost running = started.get();
      return running != null && running.ready();
    });
    assertThat(Scrape.get(server.address(), "/healthz").statusCode())
        .as("healthz before the host started").isEqualTo(503);
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .backendFactory(backend, Map.of())
        .metrics(prometheus)
        .start();
    started.set(host);
    client = new CsiClient(host.socket());
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    host.close();
    server.close();
  }

  @Test
  void publishRepublishUnpublish_showInTheScrape_withoutTheToken() throws Exception {
    Path target = Requests.target(dir.resolve("kubelet"), "csi-1");
    String tokens = Requests.tokensJson(Map.of(CountingBackend.AUDIENCE, TOKEN),
        Instant.now().plusSeconds(3600));
    var request = Requests.publish("csi-1", target, Map.of("backend", CountingBackend.NAME), tokens)
        .build();

    client.node().nodePublishVolume(request);
    client.node().nodePublishVolume(request);
    Scrape published = Scrape.of(server.address());
    client.node().nodeUnpublishVolume(csi.v1.Csi.NodeUnpublishVolumeRequest.newBuilder()
        .setVolumeId("csi-1").setTargetPath(target.toString()).build());
    Scrape unpublished = Scrape.of(server.address());

    Map<String, String> counting = Map.of("backend", CountingBackend.NAME);
    assertThat(published.value("passport_rpc_seconds_count", Map.of("method", "NodePublishVolume",
        "backend", CountingBackend.NAME, "code", "OK", "republish", "false"))).hasValue(1);
    assertThat(published.value("passport_rpc_seconds_count", Map.of("method", "NodePublishVolume",
        "backend", CountingBackend.NAME, "code", "OK", "republish", "true"))).hasValue(1);
    assertThat(published.value("passport_backend_fetch_seconds_count",
        Map.of("backend", CountingBackend.NAME, "result", "ok"))).hasValue(backend.calls());
    assertThat(published.value("passport_cache_hits_total", counting)).hasValue(1);
    assertThat(published.value("passport_volumes", counting)).hasValue(1);
    assertThat(unpublished.value("passport_volumes", counting)).hasValue(0);
    assertThat(unpublished.value("passport_rpc_seconds_count", Map.of("method", "NodeUnpublishVolume",
        "backend", CountingBackend.NAME, "code", "OK"))).hasValue(1);
    assertThat(published.text() + unpublished.text()).doesNotContain(TOKEN).doesNotContain("pod-token")
        .doesNotContain("csi-1").doesNotContain("web-0");
  }

  @Test
  void healthz_whileTheHostRuns_is200_andAfterClose_is503() throws Exception {
    assertThat(Scrape.get(server.address(), "/healthz").statusCode()).isEqualTo(200);

    host.close();

    assertThat(Scrape.get(server.address(), "/healthz").statusCode()).isEqualTo(503);
  }
}
