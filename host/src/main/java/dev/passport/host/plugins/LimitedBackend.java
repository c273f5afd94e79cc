package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import dev.passport.host.volume.InvalidMaterialException;
import dev.passport.host.volume.MaterialLimits;
import java.util.Map;

/** Checks what a backend answered against the material limits before anything else sees it. */
final class LimitedBackend<V extends PreparedVolume> implements Backend<V> {

  private final Backend<V> delegate;
  private final MaterialLimits limits;

  LimitedBackend(Backend<V> delegate, MaterialLimits limits) {
    this.delegate = requireNonNull(delegate, "delegate is null");
    this.limits = requireNonNull(limits, "limits is null");
  }

  @Override
  public V prepare(Map<String, String> attributes) throws BackendException {
    return delegate.prepare(attributes);
  }

  @Override
  public Material fetch(V volume, FetchRequest request) throws BackendException {
    Material material = delegate.fetch(volume, request);
    try {
      limits.validate(material.files());
    } catch (InvalidMaterialException e) {
      throw new UnusableMaterialException(e);
    }
    return material;
  }

  @Override
  public void release(String volumeId) throws BackendException {
    delegate.release(volumeId);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
