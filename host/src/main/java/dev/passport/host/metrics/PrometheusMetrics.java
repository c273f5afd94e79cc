package dev.passport.host.metrics;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Prometheus exporter: records {@link HostMetrics} into a Micrometer registry and writes it in
 * the Prometheus text format. Series (Prometheus names):
 *
 * <ul>
 *   <li>{@code passport_rpc_seconds_{count,sum,max,bucket}{method,backend,code,republish}} — CSI
 *       publish/unpublish calls; {@code _count} is the total;
 *   <li>{@code passport_backend_fetch_seconds_{count,sum,max,bucket}{backend,result}} — backend calls;
 *   <li>{@code passport_cache_hits_total{backend}}, {@code passport_cache_misses_total{backend}};
 *   <li>{@code passport_writes_skipped_total{backend}} — fresh material identical to the volume's;
 *   <li>{@code passport_refresh_failures_total{backend}};
 *   <li>{@code passport_expired_content_served_total{backend}};
 *   <li>{@code passport_volumes{backend}} — managed volumes (gauge);
 *   <li>{@code passport_material_earliest_expiry_timestamp_seconds{backend}} — the earliest
 *       {@code expiresAt} among a backend's volumes, seconds since the epoch; {@code +Inf} while
 *       none has an expiry (from start, for every loaded backend), so {@code x - time() < 3600}
 *       stays false rather than "no data";
 *   <li>{@code passport_build_info{version}} — always 1; the host's version as a label;
 *   <li>the JVM's memory, threads, CPU and uptime ({@code jvm_*}, {@code process_*}, {@code system_*}).
 * </ul>
 *
 * <p>Labels are bounded: backend names are the ones the host was configured with (the publish path
 * maps anything else to {@code unknown}), and past {@value #MAX_BACKENDS} distinct values this class
 * folds the rest into {@code other}, so a bug upstream cannot grow the scrape without limit.
 */
public final class PrometheusMetrics implements HostMetrics {

  static final int MAX_BACKENDS = 32;
  static final String OTHER = "other";

  /** Buckets around kubelet's cadence: cache answers (ms), backend calls (s), the 2 min timeout. */
  private static final Duration[] BUCKETS = {
      Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(120)};

  private static final Map<String, String> DESCRIPTIONS = Map.of(
      "passport.cache.hits", "Republishes answered without calling the backend",
      "passport.cache.misses", "Publishes that had to call the backend",
      "passport.writes.skipped", "Fetched material identical to the volume's: nothing written",
      "passport.refresh.failures", "Failed refreshes of volumes with content (content kept)",
      "passport.expired.content.served",
      "Republishes that kept content past its expiry because the refresh failed");

  private final PrometheusMeterRegistry registry;
  private final Set<String> backends = ConcurrentHashMap.newKeySet();
  private final Map<RpcKey, Timer> rpcTimers = new ConcurrentHashMap<>();
  private final Map<CounterKey, Counter> counters = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> volumes = new ConcurrentHashMap<>();
  private final Map<String, AtomicReference<Instant>> expiries = new ConcurrentHashMap<>();

  private PrometheusMetrics(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  /** A registry of its own (not Prometheus' global one), with the JVM and process meters bound. */
  public static PrometheusMetrics create() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT,
        new PrometheusRegistry(), Clock.SYSTEM);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    // An info metric of Prometheus' own model: Micrometer strips an "_info" suffix from gauges.
    InfoSnapshot buildInfo = InfoSnapshot.builder()
        .name("passport_build")
        .help("Always 1: the Passport host's version as a label")
        .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder()
            .labels(Labels.of("version", version()))
            .build())
        .build();
    registry.getPrometheusRegistry().register(() -> buildInfo);
    return new PrometheusMetrics(registry);
  }

  /** The content type of {@link #scrape(OutputStream)}: the Prometheus text format 0.0.4. */
  public static String contentType() {
    return "text/plain; version=0.0.4; charset=utf-8";
  }

  /** Writes every series in the Prometheus text format. */
  public void scrape(OutputStream out) throws IOException {
    registry.scrape(out, contentType());
  }

  /** Every series in the Prometheus text format. */
  public String scrape() {
    return registry.scrape(contentType());
  }

  /**
   * Starts the per-backend counters and the volume gauge at zero, so that a scrape shows every
   * configured backend before its first volume (dashboards and alerts see 0, not "no data").
   */
  public void backends(Collection<String> names) {
    for (String name : names) {
      counter("passport.cache.hits", name);
      counter("passport.cache.misses", name);
      counter("passport.writes.skipped", name);
      counter("passport.refresh.failures", name);
      counter("passport.expired.content.served", name);
      volumes(name, 0);
      expiry(name);
    }
  }

  /** The jar's Implementation-Version, as {@code PassportHost.VERSION} (the same jar). */
  private static String version() {
    String version = PrometheusMetrics.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

  @Override
  public void rpc(String method, String backend, String code, boolean republish, Duration duration) {
    requireNonNull(method, "method is null");
    requireNonNull(code, "code is null");
    // Registered once per label set (issue 22): a builder and a registry lookup on every call
    // were a tenth of a warm republish. The label sets are bounded (methods, codes, MAX_BACKENDS).
    RpcKey key = new RpcKey(method, backend(backend), code, republish);
    Timer timer = rpcTimers.get(key);
    if (timer == null) {
      timer = rpcTimers.computeIfAbsent(key, k -> Timer.builder("passport.rpc")
          .description("CSI NodePublishVolume/NodeUnpublishVolume calls by backend, gRPC code and republish")
          .tag("method", k.method())
          .tag("backend", k.backend())
          .tag("code", k.code())
          .tag("republish", Boolean.toString(k.republish()))
          .serviceLevelObjectives(BUCKETS)
          .register(registry));
    }
    timer.record(duration);
  }

  private record RpcKey(String method, String backend, String code, boolean republish) {}

  private record CounterKey(String name, String backend) {}

  @Override
  public void fetch(String backend, String result, Duration duration) {
    Timer.builder("passport.backend.fetch")
        .description("Backend fetches by backend and result (ok or the failure kind)")
        .tag("backend", backend(backend))
        .tag("result", requireNonNull(result, "result is null"))
        .serviceLevelObjectives(BUCKETS)
        .register(registry)
        .record(duration);
  }

  @Override
  public void cacheHit(String backend) {
    count("passport.cache.hits", backend);
  }

  @Override
  public void cacheMiss(String backend) {
    count("passport.cache.misses", backend);
  }

  @Override
  public void writeSkipped(String backend) {
    count("passport.writes.skipped", backend);
  }

  @Override
  public void refreshFailure(String backend) {
    count("passport.refresh.failures", backend);
  }

  @Override
  public void expiredContentServed(String backend) {
    count("passport.expired.content.served", backend);
  }

  @Override
  public void volumes(String backend, int delta) {
    String label = backend(backend);
    volumes.computeIfAbsent(label, b -> {
      AtomicLong value = new AtomicLong();
      Gauge.builder("passport.volumes", value, AtomicLong::get)
          .description("Volumes this node manages, by backend")
          .tag("backend", b)
          .register(registry);
      return value;
    }).addAndGet(delta);
  }

  @Override
  public void earliestExpiry(String backend, Instant expiresAt) {
    expiry(backend).set(expiresAt);
  }

  private AtomicReference<Instant> expiry(String backend) {
    return expiries.computeIfAbsent(backend(backend), b -> {
      AtomicReference<Instant> value = new AtomicReference<>();
      Gauge.builder("passport.material.earliest.expiry.timestamp", value,
              PrometheusMetrics::epochSeconds)
          .description("The earliest expiresAt among a backend's volumes, seconds since the epoch;"
              + " +Inf while none has one")
          .baseUnit("seconds")
          .tag("backend", b)
          .register(registry);
      return value;
    });
  }

  private void count(String name, String backend) {
    counter(name, backend).increment();
  }

  private Counter counter(String name, String backend) {
    CounterKey key = new CounterKey(name, backend(backend));
    Counter counter = counters.get(key);
    if (counter == null) {
      counter = counters.computeIfAbsent(key, k -> Counter.builder(k.name())
          .description(DESCRIPTIONS.get(k.name())).tag("backend", k.backend()).register(registry));
    }
    return counter;
  }

  private String backend(String name) {
    String label = name == null || name.isEmpty() ? "unknown" : name;
    if (backends.contains(label)) {
      return label;
    }
    synchronized (backends) {
      if (backends.size() >= MAX_BACKENDS) {
        return OTHER;
      }
      backends.add(label);
      return label;
    }
  }

  private static double epochSeconds(AtomicReference<Instant> value) {
    Instant at = value.get();
    // Nothing yet, or (Instant.MAX from the engine) no volume of the backend has an expiry left:
    // "never", so that an alert on expiry - time() < N neither fires nor sees "no data".
    if (at == null || at.equals(Instant.MAX)) {
      return Double.POSITIVE_INFINITY;
    }
    return at.getEpochSecond() + at.getNano() / 1e9;
  }
}
