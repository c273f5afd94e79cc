package dev.passport.host;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendContext;
import dev.passport.api.BackendFactory;
import dev.passport.host.cache.RefreshRule;
import dev.passport.host.cache.StateStore;
import dev.passport.host.cache.VolumeStates;
import dev.passport.host.csi.ControllerService;
import dev.passport.host.csi.CsiServer;
import dev.passport.host.csi.CsiThreads;
import dev.passport.host.csi.IdentityService;
import dev.passport.host.csi.NodeService;
import dev.passport.host.csi.SocketInUseException;
import dev.passport.host.k8s.SecretProviderClasses;
import dev.passport.host.k8s.SecretSync;
import dev.passport.host.memory.MaterialBudget;
import dev.passport.host.metrics.CompositeMetrics;
import dev.passport.host.metrics.CountingMetrics;
import dev.passport.host.metrics.HostMetrics;
import dev.passport.host.plugins.BackendRegistry;
import dev.passport.host.plugins.LoadedPlugins;
import dev.passport.host.plugins.PluginLoadException;
import dev.passport.host.plugins.PluginLoader;
import dev.passport.host.publish.KubeletTargets;
import dev.passport.host.publish.Publisher;
import dev.passport.host.publish.SecretProviderClassResolver;
import dev.passport.host.publish.VolumeReconciler;
import dev.passport.host.volume.FileModes;
import dev.passport.host.volume.MaterialLimits;
import dev.passport.host.volume.MountMode;
import dev.passport.host.volume.Mounter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Passport host process as a library: plugins, reconciler and CSI server on a Unix socket.
 * {@code passport serve} runs one; tests, benchmarks and the demo embed one.
 *
 * <p>Close order follows grpc-java's examples: stop accepting calls, drain, then close plugins.
 */
public final class PassportHost implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(PassportHost.class);
  /** The version kubelet sees in GetPluginInfo. */
  public static final String VERSION = versionOf();

  private final CsiServer server;
  private final BackendRegistry backends;
  private final VolumeStates volumes;
  private final CountingMetrics counters;
  private final StateDirLock stateDirLock;
  private final SecretProviderClasses secretProviderClasses;
  private final SecretSync secretSync;
  private final AtomicBoolean closed = new AtomicBoolean();

  private PassportHost(CsiServer server, BackendRegistry backends, VolumeStates volumes,
      CountingMetrics counters, StateDirLock stateDirLock,
      SecretProviderClasses secretProviderClasses, SecretSync secretSync) {
    this.secretProviderClasses = secretProviderClasses;
    this.secretSync = secretSync;
    this.server = server;
    this.backends = backends;
    this.volumes = volumes;
    this.counters = counters;
    this.stateDirLock = stateDirLock;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The socket the CSI services listen on. */
  public Path socket() {
    return server.socket();
  }

  /** Exact in-memory counters of everything the host recorded. */
  public CountingMetrics counters() {
    return counters;
  }

  /** The volumes the host manages (their states), for diagnostics and tests. */
  public VolumeStates volumes() {
    return volumes;
  }

  /** The names of the backends this host serves, sorted. */
  public Set<String> backendNames() {
    return backends.names();
  }

  /** Whether the host answers Probe with ready. */
  public boolean ready() {
    return !closed.get();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    LOG.info("shutting down");
    server.shutdown(Duration.ofSeconds(10));
    backends.close();
    if (secretProviderClasses != null) {
      secretProviderClasses.close();
    }
    if (secretSync != null) {
      secretSync.close();
    }
    // Last: a successor may take the state dir only once nothing here writes to it.
    stateDirLock.close();
    LOG.info("stopped");
  }

  private static String versionOf() {
    String version = PassportHost.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

  /** Configures and starts a {@link PassportHost}. */
  public static final class Builder {
    private Path socket;
    private Path stateDir;
    private Path kubeletDir = Path.of("/var/lib/kubelet");
    private String nodeId = "local";
    private String driverName = "passport.csi.dev";
    private Path pluginsDir;
    private Path configDir;
    private final Map<String, BackendFactory> factories = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> factoryConfigs = new LinkedHashMap<>();
    private MountMode mountMode = MountMode.TMPFS;
    private FileModes fileModes = FileModes.defaults();
    private Clock clock = Clock.systemUTC();
    private Duration refreshInterval = Duration.ofMinutes(5);
    private Duration republishPeriod = RefreshRule.DEFAULT_REPUBLISH_PERIOD;
    private Duration fetchTimeout = Duration.ofSeconds(100);
    private long volumeSizeLimit = 16L * 1024 * 1024;
    private long cacheMaxBytes = 32L * 1024 * 1024;
    private CsiThreads csiThreads = CsiThreads.defaults();
    private int fetchThreads = 12;
    private int maxFetchesPerBackend = 8;
    private int maxFetchesPerRemote = 4;
    private Map<String, String> environment = System.getenv();
    private final List<HostMetrics> exporters = new ArrayList<>();
    // Memory bounds (issue 13): what a volume may hold, and the bytes in flight across fetches.
    private MaterialLimits limits = MaterialLimits.defaults();
    private MaterialBudget materialBudget;
    // Drop-in mode (issue 19): off unless the CLI or a test hands in the cluster's classes.
    private SecretProviderClasses secretProviderClasses;
    private Map<String, String> providerBackends = Map.of();
    private SecretSync secretSync;

    private Builder() {}

    /**
     * Drop-in mode's Secret sync (issue 19 item 4): the {@code spec.secretObjects} of a volume's
     * SecretProviderClass are written with {@code sync} (which the host closes); without it such a
     * volume is refused with FAILED_PRECONDITION.
     */
    public Builder secretSync(SecretSync sync) {
      this.secretSync = requireNonNull(sync, "sync is null");
      return this;
    }

    /**
     * Drop-in mode: volumes naming a {@code secretProviderClass} are resolved from {@code classes}
     * (which the host closes), their {@code spec.provider} mapped to a backend by
     * {@code providerBackends} over the defaults (vault→vault, gcp→gcp, else the same name).
     */
    public Builder secretProviderClasses(SecretProviderClasses classes,
        Map<String, String> providerBackends) {
      this.secretProviderClasses = requireNonNull(classes, "classes is null");
      this.providerBackends = Map.copyOf(providerBackends);
      return this;
    }

    /** What one volume may hold (files, bytes per file, bytes in all); the defaults otherwise. */
    public Builder limits(MaterialLimits limits) {
      this.limits = requireNonNull(limits, "limits is null");
      return this;
    }

    /** The budget for material in flight; by default twice the per-volume limit. */
    public Builder materialBudget(MaterialBudget budget) {
      this.materialBudget = requireNonNull(budget, "budget is null");
      return this;
    }

    /** The Unix socket to listen on (required). */
    public Builder socket(Path socket) {
      this.socket = socket;
      return this;
    }

    /** Where per-volume state lives (required), {@code /var/lib/passport} in production. */
    public Builder stateDir(Path stateDir) {
      this.stateDir = stateDir;
      return this;
    }

    /**
     * kubelet's root dir ({@code --root-dir}), {@code /var/lib/kubelet} by default: publish and
     * unpublish act only on {@code <kubeletDir>/pods/<uid>/volumes/kubernetes.io~csi/<name>/mount}.
     * Local runs and tests in directory mode pass their own.
     */
    public Builder kubeletDir(Path kubeletDir) {
      this.kubeletDir = requireNonNull(kubeletDir, "kubeletDir is null");
      return this;
    }

    public Builder nodeId(String nodeId) {
      this.nodeId = nodeId;
      return this;
    }

    public Builder driverName(String driverName) {
      this.driverName = driverName;
      return this;
    }

    /** Load plugin directories from here (pf4j, isolated class loaders). */
    public Builder pluginsDir(Path pluginsDir) {
      this.pluginsDir = pluginsDir;
      return this;
    }

    /** Per-plugin {@code <id>.properties} files. */
    public Builder configDir(Path configDir) {
      this.configDir = configDir;
      return this;
    }

    /** Serve a backend from a factory on the host's class path (tests, conformance, the demo). */
    public Builder backendFactory(BackendFactory factory, Map<String, String> config) {
      requireNonNull(factory, "factory is null");
      if (factories.putIfAbsent(factory.name(), factory) != null) {
        throw new IllegalArgumentException("backend " + factory.name() + " is registered twice");
      }
      factoryConfigs.put(factory.name(), Map.copyOf(config));
      return this;
    }

    public Builder mountMode(MountMode mountMode) {
      this.mountMode = mountMode;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** {@code --default-file-mode}: the mode of files whose backend chooses none (0644 unless set). */
    public Builder fileModes(FileModes fileModes) {
      this.fileModes = requireNonNull(fileModes, "fileModes is null");
      return this;
    }

    public Builder refreshInterval(Duration refreshInterval) {
      this.refreshInterval = refreshInterval;
      return this;
    }

    /**
     * kubelet's longest gap between republishes: material due within it is refreshed at the
     * current republish, so no refresh is later than its backend asked; zero for tests that step
     * exactly to a refresh instant.
     */
    public Builder republishPeriod(Duration republishPeriod) {
      this.republishPeriod = republishPeriod;
      return this;
    }

    public Builder fetchTimeout(Duration fetchTimeout) {
      this.fetchTimeout = fetchTimeout;
      return this;
    }

    public Builder volumeSizeLimit(long bytes) {
      this.volumeSizeLimit = bytes;
      return this;
    }

    public Builder cacheMaxBytes(long bytes) {
      this.cacheMaxBytes = bytes;
      return this;
    }

    /** The most NodePublishVolume calls handled at once (16); more wait in the publish queue. */
    public Builder threads(int threads) {
      this.csiThreads = csiThreads.withPublish(threads, csiThreads.publishQueue());
      return this;
    }

    /**
     * The threads and queues of the CSI call lanes: publish, unpublish, and Identity with node
     * info; a call finding its lane full is answered RESOURCE_EXHAUSTED at once.
     */
    public Builder csiThreads(CsiThreads sizes) {
      this.csiThreads = requireNonNull(sizes, "sizes is null");
      return this;
    }

    /**
     * Fetches at once in all (12), of one backend (8) and to one remote (4). A fetch past a limit
     * is refused with UNAVAILABLE; the defaults keep remote &lt; backend &lt; fetch threads &lt;
     * publish threads, so a server that never answers cannot hold every thread.
     */
    public Builder fetchConcurrency(int fetchThreads, int perBackend, int perRemote) {
      // Checked now, so that the CLI can answer a wrong flag as a usage error.
      BackendRegistry.builder().fetchThreads(fetchThreads).maxFetches(perBackend, perRemote);
      if (perBackend > fetchThreads) {
        throw new IllegalArgumentException("--max-fetches-per-backend (" + perBackend
            + ") must not exceed --fetch-threads (" + fetchThreads + ")");
      }
      this.fetchThreads = fetchThreads;
      this.maxFetchesPerBackend = perBackend;
      this.maxFetchesPerRemote = perRemote;
      return this;
    }

    /** Variables for {@code ${ENV:NAME}} in plugin configuration. */
    public Builder environment(Map<String, String> environment) {
      this.environment = Map.copyOf(environment);
      return this;
    }

    /** Also record metrics here (e.g. the Prometheus registry). */
    public Builder metrics(HostMetrics exporter) {
      exporters.add(requireNonNull(exporter, "exporter is null"));
      return this;
    }

    /**
     * Starts the host.
     *
     * @throws HostStartException when another host holds the state dir or answers on the socket
     */
    public PassportHost start() throws IOException, PluginLoadException {
      requireNonNull(socket, "socket is null");
      requireNonNull(stateDir, "stateDir is null");
      if (fetchTimeout.compareTo(Duration.ofSeconds(115)) > 0) {
        throw new IllegalArgumentException("fetch timeout " + fetchTimeout
            + " must stay below kubelet's 2 minute NodePublishVolume timeout");
      }
      KubeletTargets targets = new KubeletTargets(kubeletDir);
      if (!Files.isDirectory(kubeletDir)) {
        LOG.warn("kubelet dir {} is not a directory: every publish will be refused until it is"
            + " (set --kubelet-dir to kubelet's --root-dir)", kubeletDir);
      }
      StateDirLock lock = StateDirLock.acquire(stateDir);
      try {
        // Before loading plugins: a second host should fail in milliseconds, not after the load.
        if (CsiServer.answersProbe(socket)) {
          throw new SocketInUseException("another CSI server answers on unix://" + socket
              + "; refusing to start a second host on it (stop that one first, or choose another"
              + " --endpoint)");
        }
        return start(lock, targets);
      } catch (SocketInUseException e) {
        lock.close();
        throw new HostStartException(e.getMessage(), e);
      } catch (IOException | PluginLoadException | RuntimeException e) {
        lock.close();
        throw e;
      }
    }

    private PassportHost start(StateDirLock lock, KubeletTargets targets)
        throws IOException, PluginLoadException {
      CountingMetrics counters = CountingMetrics.create();
      List<HostMetrics> all = new ArrayList<>(exporters);
      all.add(0, counters);
      HostMetrics metrics = new CompositeMetrics(all);
      // Sizes first: a wrong one fails before any plugin is loaded.
      BackendRegistry.Builder registry = BackendRegistry.builder()
          .contexts(this::context)
          .fetchThreads(fetchThreads)
          .maxFetches(maxFetchesPerBackend, maxFetchesPerRemote)
          .fetchTimeout(fetchTimeout)
          .limits(limits)
          .metrics(metrics);
      LoadedPlugins plugins = pluginsDir == null ? null
          : PluginLoader.load(pluginsDir, Optional.ofNullable(configDir), this::context, environment);
      registry.plugins(plugins);
      factories.forEach((name, factory) -> registry.factory(factory, factoryConfigs.get(name)));
      BackendRegistry backends = registry.build();
      try {
        VolumeReconciler.Builder volumes = VolumeReconciler.builder().limits(limits);
        if (materialBudget != null) {
          volumes.materialBudget(materialBudget);
        }
        volumes.fileModes(fileModes);
        VolumeReconciler reconciler = volumes
            .clock(clock)
            .mounter(Mounter.forMode(mountMode))
            .volumeSizeLimit(volumeSizeLimit)
            .store(new StateStore(stateDir))
            .metrics(metrics)
            .refreshInterval(refreshInterval)
            .republishPeriod(republishPeriod)
            .fetchTimeout(fetchTimeout)
            .cacheMaxBytes(cacheMaxBytes)
            .build();
        Publisher publisher = new Publisher(backends, reconciler, driverName, metrics, targets,
            new SecretProviderClassResolver(Optional.ofNullable(secretProviderClasses),
                providerBackends, driverName), Optional.ofNullable(secretSync));
        AtomicBoolean ready = new AtomicBoolean();
        CsiServer server = CsiServer.start(socket, List.of(
            new IdentityService(driverName, VERSION, ready::get),
            new NodeService(publisher, nodeId),
            new ControllerService()), csiThreads, metrics);
        PassportHost host = new PassportHost(server, backends, reconciler.volumes(), counters, lock,
            secretProviderClasses, secretSync);
        ready.set(true);
        LOG.info("{} {} ready on node {} with backends {}", driverName, VERSION, nodeId,
            host.backendNames());
        return host;
      } catch (IOException | RuntimeException e) {
        backends.close();
        if (secretProviderClasses != null) {
          secretProviderClasses.close();
        }
        if (secretSync != null) {
          secretSync.close();
        }
        throw e;
      }
    }

    private BackendContext context(String id) {
      return new HostBackendContext(clock, "dev.passport.plugins." + id, refreshInterval, nodeId);
    }
  }
}
