package dev.passport.host.plugins;

import dev.passport.api.BackendException;
import dev.passport.host.volume.InvalidMaterialException;

/**
 * A backend answered material the host will not write: RESOURCE_EXHAUSTED naming the limit when
 * it holds more than the material limits allow (per file, per volume, file count; issue 13),
 * INTERNAL when it breaks a path rule (a plugin bug or a hostile server, never the pod's doing).
 */
public final class UnusableMaterialException extends BackendException {

  private static final long serialVersionUID = 1L;

  UnusableMaterialException(InvalidMaterialException cause) {
    super(cause.overLimit() ? Kind.RESOURCE_EXHAUSTED : Kind.INTERNAL, cause.getMessage(), cause);
  }
}
