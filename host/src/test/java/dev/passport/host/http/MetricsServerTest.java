package dev.passport.host.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.metrics.PrometheusMetrics;
import dev.passport.host.metrics.Scrape;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MetricsServerTest {

  private final AtomicBoolean healthy = new AtomicBoolean();
  private MetricsServer server;

  @BeforeEach
  void start() throws Exception {
    server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), PrometheusMetrics.create(),
        healthy::get);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void healthz_whileTheHostIsNotUp_answers503() throws Exception {
    healthy.set(false);

    HttpResponse<String> response = Scrape.get(server.address(), "/healthz");

    assertThat(response.statusCode()).isEqualTo(503);
  }

  @Test
  void healthz_whileTheHostIsUp_answers200Ok() throws Exception {
    healthy.set(true);

    HttpResponse<String> response = Scrape.get(server.address(), "/healthz");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("ok\n");
  }

  @Test
  void healthz_withBackends_listsThemSortedOnASecondLine() throws Exception {
    try (MetricsServer listing = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0),
        PrometheusMetrics.create(), () -> true, () -> java.util.Set.of("vault", "gcp"))) {
      HttpResponse<String> response = Scrape.get(listing.address(), "/healthz");

      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("ok\nbackends: gcp,vault\n");
    }
  }

  @Test
  void healthz_withBackendsWhileNotUp_answers503WithAnEmptyList() throws Exception {
    try (MetricsServer listing = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0),
        PrometheusMetrics.create(), () -> false, java.util.Set::<String>of)) {
      HttpResponse<String> response = Scrape.get(listing.address(), "/healthz");

      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.body()).isEqualTo("not ready\nbackends: \n");
    }
  }

  @Test
  void healthz_followsTheHostAcrossStartAndClose() throws Exception {
    assertThat(Scrape.get(server.address(), "/healthz").statusCode()).isEqualTo(503);
    healthy.set(true);
    assertThat(Scrape.get(server.address(), "/healthz").statusCode()).isEqualTo(200);
    healthy.set(false);
    assertThat(Scrape.get(server.address(), "/healthz").statusCode()).isEqualTo(503);
  }

  @Test
  void otherPaths_answer404() throws Exception {
    assertThat(Scrape.get(server.address(), "/").statusCode()).isEqualTo(404);
    assertThat(Scrape.get(server.address(), "/metrics/extra").statusCode()).isEqualTo(404);
  }

  @Test
  void post_answers405() throws Exception {
    HttpRequest post = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.address().getPort() + "/metrics"))
        .timeout(Duration.ofSeconds(10))
        .POST(HttpRequest.BodyPublishers.ofString("x"))
        .build();

    HttpResponse<String> response =
        HttpClient.newHttpClient().send(post, HttpResponse.BodyHandlers.ofString());

    assertThat(response.statusCode()).isEqualTo(405);
  }

  @Test
  void start_onAPortInUse_failsNamingTheAddressAndTheFix() {
    InetSocketAddress taken = server.address();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> MetricsServer.start(
            new InetSocketAddress("127.0.0.1", taken.getPort()), PrometheusMetrics.create(), () -> true))
        .hasMessageContaining(String.valueOf(taken.getPort()))
        .hasMessageContaining("--metrics-address");
  }
}
