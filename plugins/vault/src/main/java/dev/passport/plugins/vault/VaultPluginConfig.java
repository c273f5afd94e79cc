package dev.passport.plugins.vault;

import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;

import dev.passport.api.BackendException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The plugin configuration ({@code vault.properties}), bound and validated.
 *
 * @param defaultAddress the Vault address volumes use when they set no {@code vaultAddress}
 * @param defaultAuthMountPath the auth mount volumes use when they set none
 * @param tls TLS defaults; paths here are the operator's, so they are not allow-listed
 * @param allowSkipTlsVerify whether a volume may set {@code vaultSkipTLSVerify=true}
 * @param allowedCertDirectories the only directories volume attributes may name certificate and
 *     key files in
 * @param connectTimeout how long to wait for a TCP/TLS connection
 * @param requestTimeout the longest any single Vault request may take (the fetch deadline may
 *     make it shorter)
 * @param revokeOnUnpublish whether leases of a volume are revoked when it is unpublished, unless
 *     the volume says otherwise
 */
record VaultPluginConfig(
    Optional<String> defaultAddress,
    String defaultAuthMountPath,
    TlsSettings tls,
    boolean allowSkipTlsVerify,
    List<Path> allowedCertDirectories,
    Duration connectTimeout,
    Duration requestTimeout,
    boolean revokeOnUnpublish) {

  static final String ADDRESS = "vaultAddress";
  static final String AUTH_MOUNT_PATH = "vaultAuthMountPath";
  static final String CA_CERT_PATH = "vaultCACertPath";
  static final String CA_DIRECTORY = "vaultCADirectory";
  static final String TLS_SERVER_NAME = "vaultTLSServerName";
  static final String CLIENT_CERT_PATH = "vaultTLSClientCertPath";
  static final String CLIENT_KEY_PATH = "vaultTLSClientKeyPath";
  static final String ALLOW_SKIP_TLS_VERIFY = "allowSkipTLSVerify";
  static final String ALLOWED_CERT_DIRECTORIES = "allowedCertDirectories";
  static final String CONNECT_TIMEOUT = "connectTimeout";
  static final String REQUEST_TIMEOUT = "requestTimeout";
  static final String REVOKE_ON_UNPUBLISH = "revokeOnUnpublish";

  private static final Set<String> KEYS = Set.of(ADDRESS, AUTH_MOUNT_PATH, CA_CERT_PATH,
      CA_DIRECTORY, TLS_SERVER_NAME, CLIENT_CERT_PATH, CLIENT_KEY_PATH, ALLOW_SKIP_TLS_VERIFY,
      ALLOWED_CERT_DIRECTORIES, CONNECT_TIMEOUT, REQUEST_TIMEOUT, REVOKE_ON_UNPUBLISH);

  /** Binds {@code vault.properties}; unknown keys and bad values fail, naming the key. */
  static VaultPluginConfig parse(Map<String, String> config) throws BackendException {
    Set<String> unknown = new TreeSet<>(config.keySet());
    unknown.removeAll(KEYS);
    if (!unknown.isEmpty()) {
      throw invalid("unknown key(s) " + unknown + " in vault.properties; known keys are "
          + new TreeSet<>(KEYS));
    }
    Optional<String> address = value(config, ADDRESS);
    if (address.isPresent()) {
      checkAddress(address.get(), "vault.properties key " + ADDRESS);
    }
    List<Path> allowed = new ArrayList<>();
    for (String dir : value(config, ALLOWED_CERT_DIRECTORIES).map(v -> v.split(",")).orElse(new String[0])) {
      if (dir.isBlank()) {
        continue;
      }
      Path path = Path.of(dir.trim());
      if (!path.isAbsolute()) {
        throw invalid("vault.properties key " + ALLOWED_CERT_DIRECTORIES + " names \"" + dir.trim()
            + "\", which is not an absolute directory path");
      }
      allowed.add(path.normalize());
    }
    TlsSettings tls = new TlsSettings(
        value(config, CA_CERT_PATH),
        value(config, CA_DIRECTORY),
        value(config, TLS_SERVER_NAME),
        value(config, CLIENT_CERT_PATH),
        value(config, CLIENT_KEY_PATH),
        false);
    if (tls.clientCertPath().isPresent() != tls.clientKeyPath().isPresent()) {
      throw invalid("vault.properties sets only one of " + CLIENT_CERT_PATH + " and "
          + CLIENT_KEY_PATH + "; a client certificate needs both");
    }
    Duration connectTimeout = duration(config, CONNECT_TIMEOUT, Duration.ofSeconds(5));
    Duration requestTimeout = duration(config, REQUEST_TIMEOUT, Duration.ofSeconds(30));
    return new VaultPluginConfig(
        address.map(VaultPluginConfig::stripTrailingSlash),
        value(config, AUTH_MOUNT_PATH).map(VaultPluginConfig::trimSlashes).orElse("kubernetes"),
        tls,
        bool(config, ALLOW_SKIP_TLS_VERIFY, "vault.properties key"),
        List.copyOf(allowed),
        connectTimeout,
        requestTimeout,
        bool(config, REVOKE_ON_UNPUBLISH, "vault.properties key"));
  }

  static void checkAddress(String address, String where) throws BackendException {
    URI uri;
    try {
      uri = URI.create(address);
    } catch (IllegalArgumentException e) {
      throw invalid(where + " is \"" + address + "\", which is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw invalid(where + " is \"" + address + "\"; it must be an http:// or https:// URL"
          + " such as https://vault.vault.svc:8200");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw invalid(where + " is \"" + address + "\"; it must not have a query or fragment");
    }
  }

  private static Optional<String> value(Map<String, String> config, String key) {
    String value = config.get(key);
    return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
  }

  static boolean bool(Map<String, String> values, String key, String where) throws BackendException {
    Optional<String> value = value(values, key);
    if (value.isEmpty()) {
      return false;
    }
    return parseBoolean(value.get(), where + " " + key);
  }

  static boolean parseBoolean(String value, String where) throws BackendException {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw invalid(where + " is \"" + value + "\"; it must be true or false");
    };
  }

  private static Duration duration(Map<String, String> config, String key, Duration fallback)
      throws BackendException {
    Optional<String> value = value(config, key);
    if (value.isEmpty()) {
      return fallback;
    }
    Duration parsed = parseDuration(value.get());
    if (parsed == null || parsed.isNegative() || parsed.isZero()) {
      throw invalid("vault.properties key " + key + " is \"" + value.get()
          + "\"; it must be a positive duration such as 500ms, 10s, 2m or PT10S");
    }
    return parsed;
  }

  /** {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h} or ISO-8601; {@code null} if neither. */
  static Duration parseDuration(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    try {
      if (v.startsWith("pt")) {
        return Duration.parse(v.toUpperCase(Locale.ROOT));
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long amount = Long.parseLong(v.substring(0, v.length() - 1));
      return switch (v.charAt(v.length() - 1)) {
        case 's' -> Duration.ofSeconds(amount);
        case 'm' -> Duration.ofMinutes(amount);
        case 'h' -> Duration.ofHours(amount);
        default -> null;
      };
    } catch (RuntimeException e) {
      return null;
    }
  }

  static String trimSlashes(String value) {
    String result = value.trim();
    while (result.startsWith("/")) {
      result = result.substring(1);
    }
    while (result.endsWith("/")) {
      result = result.substring(0, result.length() - 1);
    }
    return result;
  }

  static String stripTrailingSlash(String address) {
    String result = address.trim();
    while (result.endsWith("/")) {
      result = result.substring(0, result.length() - 1);
    }
    return result;
  }

  static BackendException invalid(String message) {
    return new BackendException(INVALID_ARGUMENT, message);
  }
}
