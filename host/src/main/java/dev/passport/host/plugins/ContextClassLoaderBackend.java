package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import java.util.Map;

/**
 * Runs every call into a plugin's backend with the thread context class loader set to the plugin's
 * class loader, and restores the caller's loader afterwards.
 *
 * <p>Libraries inside a plugin (gRPC, Google auth, Jackson modules) look up their providers through
 * the context class loader; on a host thread that would be the host's loader, which cannot see the
 * plugin's jars. Doing it here, once, means no plugin has to remember it.
 */
final class ContextClassLoaderBackend<V extends PreparedVolume> implements Backend<V> {

  private final Backend<V> delegate;
  private final ClassLoader loader;

  /**
   * @param delegate the plugin's backend
   * @param loader the class loader of the plugin that created it
   */
  public ContextClassLoaderBackend(Backend<V> delegate, ClassLoader loader) {
    this.delegate = requireNonNull(delegate, "delegate is null");
    this.loader = requireNonNull(loader, "loader is null");
  }

  /** The plugin's own backend, e.g. to check which class loader defined it. */
  /** Wraps a backend of any prepared-volume type. */
  public static <V extends PreparedVolume> ContextClassLoaderBackend<V> wrap(
      Backend<V> delegate, ClassLoader loader) {
    return new ContextClassLoaderBackend<>(delegate, loader);
  }

  public Backend<V> delegate() {
    return delegate;
  }

  /** The plugin's class loader, set as context class loader around every call. */
  public ClassLoader classLoader() {
    return loader;
  }

  @Override
  public V prepare(Map<String, String> attributes) throws BackendException {
    return inPluginContext(() -> delegate.prepare(attributes));
  }

  @Override
  public Material fetch(V volume, FetchRequest request) throws BackendException {
    return inPluginContext(() -> delegate.fetch(volume, request));
  }

  @Override
  public void release(String volumeId) throws BackendException {
    inPluginContext(
        () -> {
          delegate.release(volumeId);
          return null;
        });
  }

  @Override
  public void close() {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      delegate.close();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  private <T> T inPluginContext(BackendCall<T> call) throws BackendException {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      return call.run();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  @FunctionalInterface
  private interface BackendCall<T> {
    T run() throws BackendException;
  }

  @Override
  public String toString() {
    return "ContextClassLoaderBackend[" + loader.getName() + "]";
  }
}
