package dev.passport.host.plugins;

import dev.passport.api.BackendException;
import dev.passport.host.volume.InvalidMaterialException;

/** A backend answered material the host will not write (paths, sizes, counts). */
public final class UnusableMaterialException extends BackendException {

  private static final long serialVersionUID = 1L;

  UnusableMaterialException(InvalidMaterialException cause) {
    super(Kind.INTERNAL, cause.getMessage(), cause);
  }
}
