package dev.passport.host.http;

import java.net.InetSocketAddress;
import java.util.Optional;

/** Parses {@code --metrics-address}: {@code :9809} (all interfaces), {@code host:port}, {@code [::1]:port}, or {@code 0} (off). */
public final class ListenAddress {

  private ListenAddress() {}

  /** The address to listen on, or empty for {@code 0} (the endpoint is off). */
  public static Optional<InetSocketAddress> parse(String value) {
    if (value == null || value.isBlank()) {
      throw invalid(value, "it is empty");
    }
    String text = value.strip();
    if (text.equals("0")) {
      return Optional.empty();
    }
    int colon = text.lastIndexOf(':');
    if (colon < 0) {
      throw invalid(value, "it has no port");
    }
    String host = text.substring(0, colon);
    int port = port(value, text.substring(colon + 1));
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.contains(":")) {
      throw invalid(value, "an IPv6 address must be in brackets, e.g. [::1]:9809");
    }
    return Optional.of(host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port));
  }

  private static int port(String value, String text) {
    try {
      int port = Integer.parseInt(text);
      if (port < 0 || port > 65535) {
        throw invalid(value, "the port must be 0..65535");
      }
      return port;
    } catch (NumberFormatException e) {
      throw invalid(value, "the port \"" + text + "\" is not a number");
    }
  }

  private static IllegalArgumentException invalid(String value, String why) {
    return new IllegalArgumentException("--metrics-address \"" + value + "\" is invalid: " + why
        + "; use :9809 (all interfaces), 127.0.0.1:9809, [::1]:9809, or 0 to turn metrics off");
  }
}
