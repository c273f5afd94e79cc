package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.PreparedVolume;
import dev.passport.host.logging.LogContextExecutor;
import dev.passport.host.metrics.HostMetrics;
import dev.passport.host.threads.DaemonThreads;
import dev.passport.host.volume.MaterialLimits;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every backend the host serves, by name, each inside the same decorator chain, whether it came
 * from a plugin directory or from an in-process factory. The chain, from the plugin outward:
 *
 * <ol>
 *   <li>{@link ContextClassLoaderBackend}: the plugin's class loader is the thread context class
 *       loader of every call (gRPC, Google auth, Jackson find their providers);
 *   <li>{@link DeadlineBackend}: the fetch takes a place of the per-backend and per-remote limits
 *       ({@link FetchLimits}: past one, UNAVAILABLE at once), runs on the bounded fetch executor
 *       and is given up after the fetch timeout; a full executor answers RESOURCE_EXHAUSTED
 *       instead of growing threads. The executor is a {@link LogContextExecutor}: the call's log
 *       context (volume, pod, backend) follows the fetch onto the fetch thread;
 *   <li>{@link LimitedBackend}: what the backend answered is checked against the material limits;
 *   <li>{@link MeteredBackend}: the fetch's duration and result are recorded.
 * </ol>
 *
 * <p>The concurrency limits are checked where the deadline link hands the fetch to the executor,
 * not in a link of their own between it and the plugin: there a refused fetch would already hold
 * a fetch thread. Nothing waits for a place, so no deadline is spent waiting.
 */
public final class BackendRegistry implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BackendRegistry.class);

  private final Map<String, RegisteredBackend> backends;
  private final Map<String, RegisteredBackend> inProcess;
  private final LoadedPlugins plugins;
  private final ExecutorService fetchExecutor;

  private BackendRegistry(Map<String, RegisteredBackend> backends,
      Map<String, RegisteredBackend> inProcess, LoadedPlugins plugins,
      ExecutorService fetchExecutor) {
    this.backends = backends;
    this.inProcess = inProcess;
    this.plugins = plugins;
    this.fetchExecutor = fetchExecutor;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Optional<RegisteredBackend> backend(String name) {
    return Optional.ofNullable(backends.get(requireNonNull(name, "name is null")));
  }

  /** The names of all backends, sorted. */
  public Set<String> names() {
    return backends.keySet();
  }

  /**
   * Stops the fetch threads, closes the in-process backends, then the plugins (their backends
   * under their own class loaders, then pf4j). Call after the CSI server has drained.
   */
  @Override
  public void close() {
    fetchExecutor.shutdownNow();
    inProcess.forEach((name, backend) -> {
      try {
        backend.close();
      } catch (RuntimeException e) {
        LOG.warn("backend {} failed to close: {}", name, e.getMessage());
      }
    });
    if (plugins != null) {
      plugins.close();
    }
  }

  /** The one chain around a backend; see the class comment for why this order. */
  private static <V extends PreparedVolume> Backend<V> chain(String name, Backend<V> plugin,
      ClassLoader loader, ExecutorService fetchExecutor, Duration fetchTimeout,
      FetchLimits fetchLimits, MaterialLimits limits, HostMetrics metrics) {
    Backend<V> chain = new ContextClassLoaderBackend<>(plugin, loader);
    chain = new DeadlineBackend<>(name, chain, fetchExecutor, fetchTimeout, fetchLimits);
    chain = new LimitedBackend<>(chain, limits);
    return new MeteredBackend<>(name, chain, metrics);
  }

  /** Builds a {@link BackendRegistry}. */
  public static final class Builder {
    private LoadedPlugins plugins;
    private final Map<String, BackendFactory> factories = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> configs = new LinkedHashMap<>();
    private Function<String, BackendContext> contexts = id -> new BackendContext() {};
    private int fetchThreads = 16;
    private int maxFetchesPerBackend = Integer.MAX_VALUE;
    private int maxFetchesPerRemote = Integer.MAX_VALUE;
    private Duration fetchTimeout = Duration.ofSeconds(100);
    private MaterialLimits limits = MaterialLimits.defaults();
    private HostMetrics metrics = HostMetrics.none();

    private Builder() {}

    /** The backends of the plugin directories; the registry closes them. */
    public Builder plugins(LoadedPlugins plugins) {
      this.plugins = plugins;
      return this;
    }

    /** A backend from a factory on the host's class path (tests, conformance, the demo). */
    public Builder factory(BackendFactory factory, Map<String, String> config) {
      requireNonNull(factory, "factory is null");
      if (factories.putIfAbsent(factory.name(), factory) != null) {
        throw new IllegalArgumentException("backend " + factory.name() + " is registered twice");
      }
      configs.put(factory.name(), Map.copyOf(config));
      return this;
    }

    /** The context each in-process factory gets, by backend name. */
    public Builder contexts(Function<String, BackendContext> contexts) {
      this.contexts = requireNonNull(contexts, "contexts is null");
      return this;
    }

    /** The most fetches running at once; more are refused with RESOURCE_EXHAUSTED. */
    public Builder fetchThreads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("--fetch-threads must be at least 1, got " + threads);
      }
      this.fetchThreads = threads;
      return this;
    }

    /**
     * The most fetches of one backend, and to one remote ({@code PreparedVolume.remote()}), at
     * once; more are refused with UNAVAILABLE. Unlimited unless set (the host sets both).
     *
     * @throws IllegalArgumentException unless 1 &le; perRemote &le; perBackend
     */
    public Builder maxFetches(int perBackend, int perRemote) {
      FetchLimits.of(perBackend, perRemote);
      this.maxFetchesPerBackend = perBackend;
      this.maxFetchesPerRemote = perRemote;
      return this;
    }

    /** How long a backend may take; shorter than kubelet's 2 minutes. */
    public Builder fetchTimeout(Duration timeout) {
      this.fetchTimeout = requireNonNull(timeout, "timeout is null");
      return this;
    }

    public Builder limits(MaterialLimits limits) {
      this.limits = requireNonNull(limits, "limits is null");
      return this;
    }

    public Builder metrics(HostMetrics metrics) {
      this.metrics = requireNonNull(metrics, "metrics is null");
      return this;
    }

    /**
     * Creates the in-process backends and wraps every backend in the chain.
     *
     * @throws PluginLoadException if a factory rejects its configuration or a name is taken twice;
     *     whatever was created is closed again (the plugins too)
     */
    public BackendRegistry build() throws PluginLoadException {
      if (maxFetchesPerBackend != Integer.MAX_VALUE && maxFetchesPerBackend > fetchThreads) {
        // Then one backend could take every fetch thread, which the limit is there to prevent.
        if (plugins != null) {
          plugins.close();
        }
        throw new IllegalArgumentException("--max-fetches-per-backend (" + maxFetchesPerBackend
            + ") must not exceed --fetch-threads (" + fetchThreads + ")");
      }
      FetchLimits fetchLimits = maxFetchesPerBackend == Integer.MAX_VALUE
          ? FetchLimits.unlimited() : FetchLimits.of(maxFetchesPerBackend, maxFetchesPerRemote);
      ExecutorService fetchExecutor = LogContextExecutor.carrying(boundedExecutor(fetchThreads));
      Map<String, RegisteredBackend> all = new TreeMap<>();
      Map<String, RegisteredBackend> inProcess = new LinkedHashMap<>();
      try {
        if (plugins != null) {
          for (String name : plugins.backendNames()) {
            ContextClassLoaderBackend<?> loaded = plugins.loaded(name);
            all.put(name, registered(name, loaded.delegate(), loaded.classLoader(), fetchExecutor,
                fetchLimits));
          }
        }
        for (BackendFactory factory : factories.values()) {
          String name = factory.name();
          if (all.containsKey(name)) {
            throw new PluginLoadException("backend " + name + " is both loaded from "
                + plugins.directoryOf(name) + " and registered in-process");
          }
          RegisteredBackend backend = registered(name, create(factory),
              factory.getClass().getClassLoader(), fetchExecutor, fetchLimits);
          inProcess.put(name, backend);
          all.put(name, backend);
        }
      } catch (PluginLoadException | RuntimeException e) {
        new BackendRegistry(all, inProcess, plugins, fetchExecutor).close();
        throw e;
      }
      return new BackendRegistry(Collections.unmodifiableMap(all), inProcess, plugins,
          fetchExecutor);
    }

    private RegisteredBackend registered(String name, Backend<?> backend, ClassLoader loader,
        ExecutorService fetchExecutor, FetchLimits fetchLimits) {
      return new RegisteredBackend(name, chain(name, backend, loader, fetchExecutor, fetchTimeout,
          fetchLimits, limits, metrics));
    }

    private Backend<?> create(BackendFactory factory) throws PluginLoadException {
      try {
        return requireNonNull(
            factory.create(configs.get(factory.name()), contexts.apply(factory.name())),
            "factory " + factory.name() + " returned null");
      } catch (BackendException e) {
        throw new PluginLoadException("backend " + factory.name() + " rejected its configuration: "
            + e.getMessage(), e);
      }
    }

    /**
     * At most {@code threads} fetches at once and no queue: a fetch either gets a thread or is
     * refused, so stuck backends cannot grow the thread count without bound.
     */
    private static ExecutorService boundedExecutor(int threads) {
      ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
          new SynchronousQueue<>(), DaemonThreads.named("fetch"),
          new ThreadPoolExecutor.AbortPolicy());
      executor.allowCoreThreadTimeOut(true);
      return executor;
    }
  }

  @Override
  public String toString() {
    return "BackendRegistry" + new TreeSet<>(backends.keySet());
  }
}
