package dev.passport.plugins.vault;

import dev.passport.api.BackendException;
import dev.passport.support.Settings;
import java.net.URI;
import java.util.Locale;

/**
 * A Vault address, parsed by the same {@link URI} parser the JDK HTTP client connects with, so
 * that what is allow-listed is exactly where the driver connects.
 *
 * <p>Two addresses are the same Vault when their {@link #key()} is: scheme and host lower-cased,
 * the port with the scheme's default filled in, the path without trailing slashes. So
 * {@code https://vault:8200/} and {@code https://VAULT:8200} match; {@code https://vault:8200@evil}
 * (user info, refused), {@code https://evil/https://vault:8200} (host {@code evil}) and
 * {@code https://vault:8200/other} (another path, perhaps another service behind a proxy) do not.
 * Anything that does not compare equal is refused, so a spelling the comparison does not
 * recognise (a trailing dot, an IP in another notation) fails closed.
 *
 * @param url what the driver is given: the value with the host lower-cased and trailing slashes
 *     removed (the port stays as written, so the Host header a proxy routes on is unchanged)
 * @param origin {@code scheme://host:port}, the remote the host limits concurrent fetches by
 * @param path the path prefix, empty or starting with {@code /}, no trailing slash
 */
record VaultAddress(String url, String origin, String path) {

  /** Parses {@code value} of {@code key}; INVALID_ARGUMENT naming the key when it is not a Vault URL. */
  static VaultAddress parse(Settings settings, String key, String value) throws BackendException {
    URI uri;
    try {
      uri = new URI(value);
    } catch (java.net.URISyntaxException e) {
      throw settings.invalid(key, value, "it is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw settings.invalid(key, value,
          "it must be an http:// or https:// URL such as https://vault.vault.svc:8200");
    }
    if (uri.getRawUserInfo() != null) {
      // Vault takes no credentials in its address; "https://vault:8200@evil" connects to evil
      throw settings.invalid(key, value, "it must not contain user info (\"...@\"); write"
          + " scheme://host:port, e.g. https://vault.vault.svc:8200");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw settings.invalid(key, value, "it must not have a query or fragment");
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String written = uri.getPort() >= 0 ? host + ":" + uri.getPort() : host;
    return new VaultAddress(scheme + "://" + written + path, scheme + "://" + host + ":" + port, path);
  }

  /** What two addresses must share to be the same Vault: the origin and the path. */
  String key() {
    return origin + path;
  }

  @Override
  public String toString() {
    return url;
  }
}
