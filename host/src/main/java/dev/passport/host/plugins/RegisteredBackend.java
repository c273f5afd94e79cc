package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import java.util.Map;
import java.util.Set;

/**
 * A backend as the host serves it: the plugin's {@link Backend} inside the decorator chain of
 * {@link BackendRegistry}. Its prepared volumes come back as {@link Bound}, which keeps each one
 * with the backend that made it, so a fetch always receives its own kind of prepared volume.
 */
public final class RegisteredBackend {

  private final String name;
  private final Backend<?> chain;

  RegisteredBackend(String name, Backend<?> chain) {
    this.name = requireNonNull(name, "name is null");
    this.chain = requireNonNull(chain, "chain is null");
  }

  public String name() {
    return name;
  }

  /** Parses and validates a volume's attributes once; the result is reused for every fetch. */
  public Bound prepare(Map<String, String> attributes) throws BackendException {
    return bind(chain, attributes);
  }

  /** Lets the backend drop what it holds for an unpublished volume. */
  public void release(String volumeId) throws BackendException {
    chain.release(volumeId);
  }

  void close() {
    chain.close();
  }

  private static <V extends PreparedVolume> Bound bind(Backend<V> backend,
      Map<String, String> attributes) throws BackendException {
    V volume = backend.prepare(attributes);
    if (volume == null) {
      throw new BackendException(BackendException.Kind.INTERNAL, "prepare returned null");
    }
    return new Bound.Of<>(backend, volume, Set.copyOf(volume.audiences()),
        Set.copyOf(volume.optionalAudiences()));
  }

  @Override
  public String toString() {
    return "RegisteredBackend[" + name + "]";
  }

  /** A prepared volume with its backend. */
  public sealed interface Bound permits Bound.Of {

    /** The audiences whose tokens the backend needs for this volume. */
    Set<String> audiences();

    /** The audiences whose tokens the backend takes when kubelet sent them. */
    Set<String> optionalAudiences();

    /** Fetches the volume's material through the decorator chain. */
    Material fetch(FetchRequest request) throws BackendException;

    /** The backend and its own prepared volume, typed together. */
    record Of<V extends PreparedVolume>(Backend<V> backend, V volume, Set<String> audiences,
        Set<String> optionalAudiences) implements Bound {

      @Override
      public Material fetch(FetchRequest request) throws BackendException {
        return backend.fetch(volume, request);
      }
    }
  }
}
