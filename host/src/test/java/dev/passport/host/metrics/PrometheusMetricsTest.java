package dev.passport.host.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.http.MetricsServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Records through {@link HostMetrics}, scrapes the real endpoint over loopback HTTP. */
class PrometheusMetricsTest {

  private final PrometheusMetrics prometheus = PrometheusMetrics.create();
  private final HostMetrics metrics = prometheus;
  private final AtomicBoolean healthy = new AtomicBoolean(true);
  private MetricsServer server;

  @BeforeEach
  void start() throws Exception {
    server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), prometheus, healthy::get);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void rpc_publishesAndUnpublishes_areCountedAndTimedByBackendCodeAndRepublish() throws Exception {
    metrics.rpc("NodePublishVolume", "vault", "OK", false, Duration.ofMillis(300));
    metrics.rpc("NodePublishVolume", "vault", "OK", true, Duration.ofMillis(2));
    metrics.rpc("NodePublishVolume", "vault", "OK", true, Duration.ofMillis(3));
    metrics.rpc("NodePublishVolume", "gcp", "UNAVAILABLE", true, Duration.ofSeconds(2));
    metrics.rpc("NodeUnpublishVolume", "vault", "OK", false, Duration.ofMillis(1));

    Scrape scrape = scrape();

    assertThat(scrape.value("passport_rpc_seconds_count", Map.of("method", "NodePublishVolume",
        "backend", "vault", "code", "OK", "republish", "true"))).hasValue(2);
    assertThat(scrape.value("passport_rpc_seconds_count", Map.of("method", "NodePublishVolume",
        "backend", "vault", "code", "OK", "republish", "false"))).hasValue(1);
    assertThat(scrape.value("passport_rpc_seconds_sum", Map.of("method", "NodePublishVolume",
        "backend", "vault", "code", "OK", "republish", "false"))).hasValue(0.3);
    assertThat(scrape.value("passport_rpc_seconds_count", Map.of("method", "NodePublishVolume",
        "backend", "gcp", "code", "UNAVAILABLE", "republish", "true"))).hasValue(1);
    assertThat(scrape.value("passport_rpc_seconds_count", Map.of("method", "NodeUnpublishVolume",
        "backend", "vault", "code", "OK"))).hasValue(1);
    // Buckets are cumulative: both cached republishes (2-3 ms) fall under 5 ms.
    assertThat(scrape.value("passport_rpc_seconds_bucket", Map.of("method", "NodePublishVolume",
        "backend", "vault", "code", "OK", "republish", "true", "le", "0.005"))).hasValue(2);
  }

  @Test
  void fetch_isCountedAndTimedByBackendAndResult() throws Exception {
    metrics.fetch("vault", "ok", Duration.ofMillis(40));
    metrics.fetch("vault", "ok", Duration.ofMillis(60));
    metrics.fetch("vault", "unavailable", Duration.ofSeconds(1));

    Scrape scrape = scrape();

    assertThat(scrape.value("passport_backend_fetch_seconds_count",
        Map.of("backend", "vault", "result", "ok"))).hasValue(2);
    assertThat(scrape.value("passport_backend_fetch_seconds_sum",
        Map.of("backend", "vault", "result", "ok"))).hasValue(0.1);
    assertThat(scrape.value("passport_backend_fetch_seconds_count",
        Map.of("backend", "vault", "result", "unavailable"))).hasValue(1);
  }

  @Test
  void cacheAndRefreshEvents_areCountersByBackend() throws Exception {
    metrics.cacheHit("vault");
    metrics.cacheHit("vault");
    metrics.cacheHit("vault");
    metrics.cacheMiss("vault");
    metrics.writeSkipped("vault");
    metrics.refreshFailure("gcp");
    metrics.refreshFailure("gcp");
    metrics.expiredContentServed("gcp");

    Scrape scrape = scrape();

    assertThat(scrape.value("passport_cache_hits_total", Map.of("backend", "vault"))).hasValue(3);
    assertThat(scrape.value("passport_cache_misses_total", Map.of("backend", "vault"))).hasValue(1);
    assertThat(scrape.value("passport_writes_skipped_total", Map.of("backend", "vault"))).hasValue(1);
    assertThat(scrape.value("passport_refresh_failures_total", Map.of("backend", "gcp"))).hasValue(2);
    assertThat(scrape.value("passport_expired_content_served_total", Map.of("backend", "gcp")))
        .hasValue(1);
  }

  @Test
  void volumes_followDeltasPerBackend() throws Exception {
    metrics.volumes("vault", +1);
    metrics.volumes("vault", +1);
    metrics.volumes("vault", +1);
    metrics.volumes("vault", -1);
    metrics.volumes("certmanager", +1);

    Scrape scrape = scrape();

    assertThat(scrape.value("passport_volumes", Map.of("backend", "vault"))).hasValue(2);
    assertThat(scrape.value("passport_volumes", Map.of("backend", "certmanager"))).hasValue(1);
  }

  @Test
  void earliestExpiry_isATimestampGaugeInEpochSeconds_andPlusInfWhenNoneIsLeft() throws Exception {
    metrics.earliestExpiry("certmanager", Instant.parse("2026-11-26T11:00:00Z"));
    metrics.earliestExpiry("certmanager", Instant.parse("2026-11-26T10:30:00.500Z"));
    metrics.earliestExpiry("vault", Instant.MAX);

    Scrape scrape = scrape();

    assertThat(scrape.value("passport_material_earliest_expiry_timestamp_seconds",
        Map.of("backend", "certmanager")))
        .hasValue(Instant.parse("2026-11-26T10:30:00Z").getEpochSecond() + 0.5);
    assertThat(scrape.value("passport_material_earliest_expiry_timestamp_seconds",
        Map.of("backend", "vault"))).hasValue(Double.POSITIVE_INFINITY);
    assertThat(scrape.text()).doesNotContain("passport_material_earliest_expiry_seconds");
  }

  @Test
  void buildInfo_isOneWithTheVersionAsALabel() throws Exception {
    Scrape scrape = scrape();

    assertThat(scrape.value("passport_build_info", Map.of("version", "dev"))).hasValue(1);
    assertThat(scrape.text()).contains("# TYPE passport_build_info gauge");
  }

  @Test
  void backends_beforeAnyVolume_showZeroCountersAndGauges() throws Exception {
    prometheus.backends(java.util.List.of("vault", "gcp"));

    Scrape scrape = scrape();

    for (String backend : java.util.List.of("vault", "gcp")) {
      Map<String, String> labels = Map.of("backend", backend);
      assertThat(scrape.value("passport_cache_hits_total", labels)).hasValue(0);
      assertThat(scrape.value("passport_cache_misses_total", labels)).hasValue(0);
      assertThat(scrape.value("passport_writes_skipped_total", labels)).hasValue(0);
      assertThat(scrape.value("passport_refresh_failures_total", labels)).hasValue(0);
      assertThat(scrape.value("passport_expired_content_served_total", labels)).hasValue(0);
      assertThat(scrape.value("passport_volumes", labels)).hasValue(0);
      assertThat(scrape.value("passport_material_earliest_expiry_timestamp_seconds", labels))
          .hasValue(Double.POSITIVE_INFINITY);
    }
  }

  @Test
  void backendLabels_pastTheLimit_foldIntoOther() throws Exception {
    for (int i = 0; i < PrometheusMetrics.MAX_BACKENDS + 10; i++) {
      metrics.cacheHit("backend-" + i);
    }

    Scrape scrape = scrape();

    assertThat(scrape.samples("passport_cache_hits_total")).hasSize(PrometheusMetrics.MAX_BACKENDS + 1);
    assertThat(scrape.value("passport_cache_hits_total", Map.of("backend", PrometheusMetrics.OTHER)))
        .hasValue(10);
  }

  @Test
  void scrape_includesJvmAndProcessMeters() throws Exception {
    Scrape scrape = scrape();

    assertThat(scrape.samples("jvm_memory_used_bytes")).isNotEmpty();
    assertThat(scrape.samples("process_uptime_seconds")).hasSize(1);
  }

  private Scrape scrape() throws Exception {
    return Scrape.of(server.address());
  }
}
