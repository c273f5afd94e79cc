package dev.passport.host.plugins;

import dev.passport.api.BackendException;

/** The host thread waiting for a fetch was interrupted (shutdown); not the backend's failure. */
public final class FetchInterruptedException extends BackendException {

  private static final long serialVersionUID = 1L;

  FetchInterruptedException() {
    super(Kind.UNAVAILABLE, "interrupted while waiting for the backend");
  }
}
