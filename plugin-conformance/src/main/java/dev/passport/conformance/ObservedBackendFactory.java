package dev.passport.conformance;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Wraps the plugin's factory so the conformance suite sees exactly what crossed the SPI: every
 * fetch request and the material the plugin returned, before the host validated it.
 */
final class ObservedBackendFactory implements BackendFactory {

  private final BackendFactory delegate;
  private final List<FetchRequest> requests = new CopyOnWriteArrayList<>();
  private final List<Material> returned = new CopyOnWriteArrayList<>();
  private final List<Set<String>> declaredAudiences = new CopyOnWriteArrayList<>();
  private final Object inFlightLock = new Object();
  private int inFlight;

  ObservedBackendFactory(BackendFactory delegate) {
    this.delegate = requireNonNull(delegate, "delegate is null");
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context)
      throws BackendException {
    Backend<?> backend = requireNonNull(delegate.create(config, context),
        "factory " + delegate.name() + " returned a null backend");
    return observe(backend);
  }

  /** The same backend, recording what crosses the SPI; generic so that V stays the plugin's. */
  private <V extends PreparedVolume> Backend<V> observe(Backend<V> backend) {
    return new Backend<V>() {
      @Override
      public V prepare(Map<String, String> attributes) throws BackendException {
        V volume = backend.prepare(attributes);
        if (volume != null && volume.audiences() != null) {
          declaredAudiences.add(Set.copyOf(volume.audiences()));
        }
        return volume;
      }

      @Override
      public Material fetch(V volume, FetchRequest request) throws BackendException {
        requests.add(request);
        synchronized (inFlightLock) {
          inFlight++;
        }
        try {
          Material material = backend.fetch(volume, request);
          if (material != null) {
            returned.add(material);
          }
          return material;
        } finally {
          synchronized (inFlightLock) {
            inFlight--;
            inFlightLock.notifyAll();
          }
        }
      }

      @Override
      public void release(String volumeId) throws BackendException {
        backend.release(volumeId);
      }

      @Override
      public void close() {
        backend.close();
      }
    };
  }

  /**
   * Waits until no fetch is running, at most {@code timeoutMillis}.
   *
   * @return whether every fetch has returned or thrown
   */
  boolean awaitNoFetchInFlight(long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    synchronized (inFlightLock) {
      while (inFlight > 0) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          return false;
        }
        inFlightLock.wait(left);
      }
      return true;
    }
  }

  /** Fetches started so far (including ones that failed or stalled). */
  int fetches() {
    return requests.size();
  }

  List<FetchRequest> requests() {
    return List.copyOf(requests);
  }

  /** The audiences of what {@code prepare} returned so far, in order. */
  List<Set<String>> declaredAudiences() {
    return List.copyOf(declaredAudiences);
  }

  /** Material the plugin returned so far, in order. */
  List<Material> returned() {
    return List.copyOf(returned);
  }
}
