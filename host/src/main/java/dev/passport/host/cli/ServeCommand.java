package dev.passport.host.cli;

import dev.passport.host.HostStartException;
import dev.passport.host.PassportHost;
import dev.passport.host.csi.CsiThreads;
import dev.passport.host.http.ListenAddress;
import dev.passport.host.logging.LogFormat;
import dev.passport.host.memory.HeapFormula;
import dev.passport.host.memory.MaterialBudget;
import dev.passport.host.http.MetricsServer;
import dev.passport.host.metrics.PrometheusMetrics;
import dev.passport.host.plugins.PluginLoadException;
import dev.passport.host.volume.FileModes;
import dev.passport.host.volume.MaterialLimits;
import dev.passport.host.volume.MountMode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code passport serve}: the CSI node driver kubelet talks to. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve CSI Identity and Node on a Unix socket until SIGTERM.")
final class ServeCommand implements Callable<Integer> {

  private static final String UNIX = "unix://";

  @Option(names = "--endpoint", required = true,
      description = "The socket, e.g. unix:///var/lib/kubelet/plugins/passport.csi.dev/csi.sock")
  String endpoint;

  @Option(names = "--node-id", required = true, defaultValue = "${env:NODE_NAME}",
      description = "This node's name (NodeGetInfo). Default: $NODE_NAME.")
  String nodeId;

  @Option(names = "--driver-name", defaultValue = "passport.csi.dev",
      description = "The CSIDriver name. Default: ${DEFAULT-VALUE}.")
  String driverName;

  @Option(names = "--plugins-dir", required = true,
      description = "Directory of plugin directories (<id>/plugin.properties + <id>/lib/*.jar).")
  Path pluginsDir;

  @Option(names = "--config-dir", description = "Directory of <plugin-id>.properties files.")
  Path configDir;

  @Option(names = "--state-dir", defaultValue = "/var/lib/passport",
      description = "Per-volume state (no tokens, no content). Default: ${DEFAULT-VALUE}.")
  Path stateDir;

  @Option(names = "--kubelet-dir", defaultValue = "/var/lib/kubelet",
      description = "kubelet's root dir: publish and unpublish act only on <dir>/pods/<uid>/volumes/"
          + "kubernetes.io~csi/<name>/mount. Default: ${DEFAULT-VALUE}.")
  Path kubeletDir;

  @Option(names = "--mount-mode", defaultValue = "tmpfs",
      description = "tmpfs (a size-limited tmpfs per volume; needs privileges) or directory (no mount,"
          + " for local runs). Default: ${DEFAULT-VALUE}.")
  String mountMode;

  @Option(names = "--default-file-mode", defaultValue = "0644", converter = FileModeConverter.class,
      description = "The mode of files whose backend chooses none, octal within 0000..0777: 0644"
          + " lets every user of the pod read them (kubelet's secret volumes), 0440 only the owner"
          + " (root) and the group (the pod's fsGroup or the plugin's). A mode the plugin chooses"
          + " wins; directories follow the files. Default: ${DEFAULT-VALUE}.")
  FileModes defaultFileMode;

  @Option(names = "--refresh-interval", defaultValue = "5m", converter = DurationConverter.class,
      description = "When material without its own expiry is fetched again (up to 10%% earlier, as"
          + " jitter). Default: ${DEFAULT-VALUE}.")
  Duration refreshInterval;

  @Option(names = "--republish-period", defaultValue = "90s", converter = DurationConverter.class,
      description = "kubelet's longest gap between republishes (requiresRepublish; its pod sync runs"
          + " every 60-90 s): material due within it is refreshed at the current republish, so no"
          + " renewal is later than its backend asked. Default: ${DEFAULT-VALUE}.")
  Duration republishPeriod;

  @Option(names = "--fetch-timeout", defaultValue = "100s", converter = DurationConverter.class,
      description = "The most a backend may take; below kubelet's 2 minutes. Default: ${DEFAULT-VALUE}.")
  Duration fetchTimeout;

  @Option(names = "--log-format", defaultValue = "text",
      description = "text or json (one object per line). Default: ${DEFAULT-VALUE}.")
  LogFormat logFormat;

  @Option(names = "--metrics-address", defaultValue = ":9809",
      description = "Where /metrics (Prometheus) and /healthz listen: :PORT, HOST:PORT, or 0 (off)."
          + " Default: ${DEFAULT-VALUE}.")
  String metricsAddress;

  @Spec CommandSpec spec;

  // Bulkheads (issue 13): what one slow server, or one kind of call, may take of the driver.
  @Option(names = "--publish-threads", defaultValue = "16", description = "NodePublishVolume calls"
      + " handled at once (Probe, node info and unpublish have threads of their own); keep above"
      + " --fetch-threads. Default: ${DEFAULT-VALUE}.")
  int publishThreads;

  @Option(names = "--publish-queue", defaultValue = "128", description = "NodePublishVolume calls"
      + " waiting for a thread; beyond, RESOURCE_EXHAUSTED at once. Default: ${DEFAULT-VALUE}.")
  int publishQueue;

  @Option(names = "--fetch-threads", defaultValue = "12", description = "Backend fetches at once,"
      + " in all; beyond, RESOURCE_EXHAUSTED. Default: ${DEFAULT-VALUE}.")
  int fetchThreads;

  @Option(names = "--max-fetches-per-backend", defaultValue = "8", description = "Fetches of one"
      + " backend at once (at most --fetch-threads); beyond, UNAVAILABLE at once. Default:"
      + " ${DEFAULT-VALUE}.")
  int maxFetchesPerBackend;

  @Option(names = "--max-fetches-per-remote", defaultValue = "4", description = "Fetches to one"
      + " server a volume attribute chose (e.g. a vaultAddress) at once (at most"
      + " --max-fetches-per-backend); beyond, UNAVAILABLE at once. Default: ${DEFAULT-VALUE}.")
  int maxFetchesPerRemote;

  // Memory bounds (issue 13). bin/passport derives -Xmx from the same two variables
  // (HeapFormula); the host refuses to start on a heap too small for them.
  @Option(names = "--material-budget", converter = ByteSizeConverter.class,
      defaultValue = "${env:PASSPORT_MATERIAL_BUDGET:-16Mi}",
      description = "The most bytes of material in flight across all fetches and writes; past it a"
          + " publish answers RESOURCE_EXHAUSTED and kubelet retries. At least twice the per-volume"
          + " limit (8Mi). Default: $PASSPORT_MATERIAL_BUDGET or 16Mi.")
  long materialBudget;

  @Mixin DropInOptions dropIn;

  @Option(names = "--cache-size", converter = ByteSizeConverter.class,
      defaultValue = "${env:PASSPORT_CACHE_BYTES:-16Mi}",
      description = "The most bytes of fetched material kept to rewrite lost volumes without a"
          + " backend call. Default: $PASSPORT_CACHE_BYTES or 16Mi.")
  long cacheSize;

  /** The heap must fit the memory bounds: a clear line now rather than an OutOfMemoryError later. */
  private void checkHeap() throws HostStartException {
    Optional<String> problem = HeapFormula.problem(HeapFormula.maxHeapBytes(), cacheSize,
        materialBudget, MaterialLimits.defaults().maxTotalBytes());
    if (problem.isPresent()) {
      throw new HostStartException(problem.get());
    }
  }

  @Override
  public Integer call() throws IOException, PluginLoadException, InterruptedException {
    checkHeap();
    logFormat.apply();
    Logger log = LoggerFactory.getLogger(ServeCommand.class);
    Path socket;
    Optional<InetSocketAddress> metricsAt;
    MountMode mode;
    try {
      socket = socketPath(endpoint);
      metricsAt = ListenAddress.parse(metricsAddress);
      mode = MountMode.parse(mountMode);
    } catch (IllegalArgumentException e) {
      // A wrong flag value is a usage error: one line and the usage, not a stack trace.
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    AtomicReference<PassportHost> started = new AtomicReference<>();
    PassportHost.Builder builder = PassportHost.builder()
        .socket(socket)
        .nodeId(nodeId)
        .driverName(driverName)
        .pluginsDir(pluginsDir)
        .configDir(configDir)
        .stateDir(stateDir)
        .kubeletDir(kubeletDir.toAbsolutePath())
        .mountMode(mode)
        .fileModes(defaultFileMode)
        .refreshInterval(refreshInterval)
        .republishPeriod(republishPeriod)
        .fetchTimeout(fetchTimeout)
        .materialBudget(MaterialBudget.of(materialBudget))
        .cacheMaxBytes(cacheSize);
    try {
      builder.csiThreads(CsiThreads.defaults().withPublish(publishThreads, publishQueue))
          .fetchConcurrency(fetchThreads, maxFetchesPerBackend, maxFetchesPerRemote);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    dropIn.apply(builder, System.getenv());
    MetricsServer http = null;
    PrometheusMetrics prometheus = null;
    if (metricsAt.isPresent()) {
      prometheus = PrometheusMetrics.create();
      builder.metrics(prometheus);
      // Listening before the host starts lets a readiness probe see 503 (not refused) while plugins load.
      try {
        http = MetricsServer.start(metricsAt.get(), prometheus, () -> {
          PassportHost running = started.get();
          return running != null && running.ready();
        }, () -> {
          PassportHost running = started.get();
          return running == null ? java.util.Set.of() : running.backendNames();
        });
      } catch (IOException e) {
        // The address is the operator's: one line naming the flag, no stack trace.
        throw new HostStartException(e.getMessage(), e);
      }
    }
    PassportHost host;
    try {
      host = builder.start();
    } catch (IOException | PluginLoadException | RuntimeException e) {
      closeQuietly(http);
      throw e;
    }
    if (prometheus != null) {
      prometheus.backends(host.backendNames());
    }
    started.set(host);
    MetricsServer metricsServer = http;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("SIGTERM: draining calls, then closing plugins");
      host.close();
      closeQuietly(metricsServer);
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
    return 0;
  }

  private static void closeQuietly(MetricsServer endpoint) {
    if (endpoint != null) {
      endpoint.close();
    }
  }

  static Path socketPath(String endpoint) {
    if (!endpoint.startsWith(UNIX) || endpoint.length() == UNIX.length()) {
      throw new IllegalArgumentException("--endpoint must be unix:///absolute/path.sock, got " + endpoint);
    }
    Path path = Path.of(endpoint.substring(UNIX.length()));
    if (!path.isAbsolute()) {
      throw new IllegalArgumentException("--endpoint must name an absolute path, got " + endpoint);
    }
    return path;
  }
}
