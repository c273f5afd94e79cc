package dev.passport.host;

import java.io.IOException;

/**
 * The host refuses to start because of how it was deployed (another host serves the socket, or
 * holds the state dir). The message names the socket or directory and is shown to the operator as
 * is, without a stack trace.
 */
public final class HostStartException extends IOException {

  private static final long serialVersionUID = 1L;

  public HostStartException(String message) {
    super(message);
  }

  public HostStartException(String message, Throwable cause) {
    super(message, cause);
  }
}
