package dev.passport.bench;

import dev.passport.bench.plugin.BenchBackendFactory;
import dev.passport.host.PassportHost;
import dev.passport.host.metrics.PrometheusMetrics;
import dev.passport.host.volume.MountMode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/**
 * A host in this JVM, for what a separate process cannot give: a moved clock, exact backend call
 * counts, a metrics scrape, and this JVM's threads and file descriptors. It still serves on a real
 * Unix socket and loads nothing from the class path but the bench backend.
 */
final class InProcessHost implements AutoCloseable {

  final PassportHost host;
  final CsiConnection client;
  final PrometheusMetrics prometheus = PrometheusMetrics.create();

  InProcessHost(Path dir, BenchBackendFactory backend, Clock clock, Duration refreshInterval)
      throws Exception {
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .backendFactory(backend, Map.of())
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .clock(clock)
        .refreshInterval(refreshInterval)
        .metrics(prometheus)
        .start();
    client = new CsiConnection(host.socket(), Duration.ofSeconds(30));
  }

  /** Every text the host exposes besides its logs: the Prometheus scrape and the counters. */
  String metricsText() {
    return prometheus.scrape() + "\n" + host.counters().snapshot();
  }

  @Override
  public void close() {
    client.close();
    host.close();
  }
}
