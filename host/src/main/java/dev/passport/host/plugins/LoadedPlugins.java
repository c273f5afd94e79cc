package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.pf4j.PluginManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backends of every loaded plugin, by name, and the plugins' lifecycle. Created by {@link
 * PluginLoader#load}; closed by the host after the gRPC server has drained.
 */
public final class LoadedPlugins implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LoadedPlugins.class);

  private final PluginManager pluginManager;
  private final Map<String, ContextClassLoaderBackend<?>> backends;
  private final List<PluginInfo> plugins;
  private final AtomicBoolean closed = new AtomicBoolean();

  LoadedPlugins(
      PluginManager pluginManager,
      Map<String, ContextClassLoaderBackend<?>> backends,
      List<PluginInfo> plugins) {
    this.pluginManager = requireNonNull(pluginManager, "pluginManager is null");
    this.backends = Collections.unmodifiableMap(new TreeMap<>(backends));
    this.plugins = List.copyOf(plugins);
  }

  /**
   * The backend volumes select with {@code backend: <name>}, already wrapped so that every call
   * runs under the plugin's context class loader.
   */
  public Optional<Backend<?>> backend(String name) {
    return Optional.ofNullable(backends.get(requireNonNull(name, "name is null")));
  }

  /** The plugin directory a backend was loaded from. */
  java.nio.file.Path directoryOf(String name) {
    return plugins.stream().filter(p -> p.backendNames().contains(name)).findFirst()
        .map(PluginInfo::directory).orElseThrow();
  }

  /** A loaded backend with its plugin's class loader, for the registry's chain. */
  ContextClassLoaderBackend<?> loaded(String name) {
    return requireNonNull(backends.get(name), "no backend " + name);
  }

  /** The names of all backends, sorted. */
  public Set<String> backendNames() {
    return backends.keySet();
  }

  /** The loaded plugins, in the order they were loaded (sorted by directory name). */
  List<PluginInfo> plugins() {
    return plugins;
  }

  /**
   * Closes every backend (under its plugin's context class loader), then stops and unloads the pf4j
   * plugins, which closes their class loaders. A backend that fails to close is logged and does not
   * keep the others open. Idempotent; the backends must not be used afterwards.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    closeBackends(backends);
    unload(pluginManager);
  }

  static void closeBackends(Map<String, ContextClassLoaderBackend<?>> backends) {
    backends.forEach(
        (name, backend) -> {
          try {
            backend.close();
          } catch (RuntimeException | LinkageError e) {
            log.warn("backend {} failed to close", name, e);
          }
        });
  }

  static void unload(PluginManager pluginManager) {
    try {
      pluginManager.stopPlugins();
      pluginManager.unloadPlugins();
    } catch (RuntimeException e) {
      log.warn("cannot unload plugins cleanly", e);
    }
  }
}
