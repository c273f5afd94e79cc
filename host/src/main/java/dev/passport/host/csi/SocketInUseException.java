package dev.passport.host.csi;

import java.io.IOException;

/** Another server answers on the socket this host was told to serve: two hosts must not share one. */
public final class SocketInUseException extends IOException {

  private static final long serialVersionUID = 1L;

  /** An exception whose message names the socket and is shown to the operator as is. */
  public SocketInUseException(String message) {
    super(message);
  }
}
