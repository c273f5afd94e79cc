package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.PreparedVolume;
import dev.passport.host.volume.InvalidMaterialException;
import dev.passport.host.volume.MaterialLimits;

/** Checks what a backend answered against the material limits before anything else sees it. */
final class LimitedBackend<V extends PreparedVolume> extends ForwardingBackend<V> {

  private final MaterialLimits limits;

  LimitedBackend(Backend<V> delegate, MaterialLimits limits) {
    super(delegate);
    this.limits = requireNonNull(limits, "limits is null");
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
}
