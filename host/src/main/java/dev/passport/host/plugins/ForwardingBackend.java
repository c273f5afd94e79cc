package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.PreparedVolume;
import java.util.Map;

/**
 * A link of the decorator chain: forwards everything but {@link #fetch}, which is what each link
 * is about. The context class loader link is not one: it wraps every call.
 */
abstract class ForwardingBackend<V extends PreparedVolume> implements Backend<V> {

  final Backend<V> delegate;

  ForwardingBackend(Backend<V> delegate) {
    this.delegate = requireNonNull(delegate, "delegate is null");
  }

  @Override
  public final V prepare(Map<String, String> attributes) throws BackendException {
    return delegate.prepare(attributes);
  }

  @Override
  public final void release(String volumeId) throws BackendException {
    delegate.release(volumeId);
  }

  @Override
  public final void close() {
    delegate.close();
  }
}
