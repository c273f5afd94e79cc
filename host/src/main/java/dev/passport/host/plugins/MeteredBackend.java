package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import dev.passport.host.metrics.HostMetrics;
import java.time.Duration;
import java.util.Locale;

/** Records every fetch: its duration and {@code ok}, the failure kind, or {@code invalid_material}. */
final class MeteredBackend<V extends PreparedVolume> extends ForwardingBackend<V> {

  private final String name;
  private final HostMetrics metrics;

  MeteredBackend(String name, Backend<V> delegate, HostMetrics metrics) {
    super(delegate);
    this.name = requireNonNull(name, "name is null");
    this.metrics = requireNonNull(metrics, "metrics is null");
  }

  @Override
  public Material fetch(V volume, FetchRequest request) throws BackendException {
    long started = System.nanoTime();
    String result = "ok";
    try {
      return delegate.fetch(volume, request);
    } catch (UnusableMaterialException e) {
      result = "invalid_material";
      throw e;
    } catch (BackendException e) {
      result = e.kind().name().toLowerCase(Locale.ROOT);
      throw e;
    } finally {
      metrics.fetch(name, result, Duration.ofNanos(System.nanoTime() - started));
    }
  }
}
