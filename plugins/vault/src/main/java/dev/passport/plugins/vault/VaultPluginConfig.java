package dev.passport.plugins.vault;

import dev.passport.api.BackendException;
import dev.passport.support.Settings;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

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

  static final String FILE = "vault.properties";
  static final String ADDRESS = "vaultAddress";
  static final String AUTH_MOUNT_PATH = "vaultAuthMountPath";
  static final String ALLOW_SKIP_TLS_VERIFY = "allowSkipTLSVerify";
  static final String ALLOWED_CERT_DIRECTORIES = "allowedCertDirectories";
  static final String CONNECT_TIMEOUT = "connectTimeout";
  static final String REQUEST_TIMEOUT = "requestTimeout";
  static final String REVOKE_ON_UNPUBLISH = "revokeOnUnpublish";

  private static final String[] KEYS = {ADDRESS, AUTH_MOUNT_PATH, TlsSettings.CA_CERT_PATH,
      TlsSettings.CA_DIRECTORY, TlsSettings.TLS_SERVER_NAME, TlsSettings.CLIENT_CERT_PATH,
      TlsSettings.CLIENT_KEY_PATH, ALLOW_SKIP_TLS_VERIFY, ALLOWED_CERT_DIRECTORIES,
      CONNECT_TIMEOUT, REQUEST_TIMEOUT, REVOKE_ON_UNPUBLISH};

  /** Binds {@code vault.properties}; unknown keys and bad values fail, naming the key. */
  static VaultPluginConfig parse(Map<String, String> values) throws BackendException {
    // a misspelt key is reported as such before any problem it causes
    Settings config = Settings.config(FILE, values).known(KEYS);
    config.rejectUnknown();
    Optional<String> address = trimmed(config, ADDRESS);
    if (address.isPresent()) {
      checkAddress(config, ADDRESS, address.get());
    }
    return new VaultPluginConfig(
        address.map(VaultPluginConfig::stripTrailingSlash),
        trimmed(config, AUTH_MOUNT_PATH).map(VaultPluginConfig::trimSlashes).orElse("kubernetes"),
        TlsSettings.bind(config, key -> trimmed(config, key), false),
        config.bool(ALLOW_SKIP_TLS_VERIFY, false),
        directories(config),
        config.positiveDuration(CONNECT_TIMEOUT, Duration.ofSeconds(5)),
        config.positiveDuration(REQUEST_TIMEOUT, Duration.ofSeconds(30)),
        config.bool(REVOKE_ON_UNPUBLISH, false));
  }

  private static List<Path> directories(Settings config) throws BackendException {
    List<Path> allowed = new ArrayList<>();
    for (String dir : config.list(ALLOWED_CERT_DIRECTORIES)) {
      Path path = Path.of(dir);
      if (!path.isAbsolute()) {
        throw config.invalid(ALLOWED_CERT_DIRECTORIES, dir,
            "each entry must be an absolute directory path");
      }
      allowed.add(path.normalize());
    }
    return List.copyOf(allowed);
  }

  /** A value with surrounding blanks removed, as vault-csi-provider reads its parameters. */
  static Optional<String> trimmed(Settings settings, String key) {
    return settings.optional(key).map(String::strip);
  }

  static void checkAddress(Settings settings, String key, String address) throws BackendException {
    URI uri;
    try {
      uri = URI.create(address);
    } catch (IllegalArgumentException e) {
      throw settings.invalid(key, address, "it is not a URL");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
      throw settings.invalid(key, address,
          "it must be an http:// or https:// URL such as https://vault.vault.svc:8200");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw settings.invalid(key, address, "it must not have a query or fragment");
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
}
