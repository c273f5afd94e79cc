package dev.passport.plugins.vault;

import dev.passport.api.BackendException;
import dev.passport.support.Settings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The plugin configuration ({@code vault.properties}), bound and validated.
 *
 * @param defaultAddress the Vault address volumes use when they set no {@code vaultAddress}
 * @param allowedAddresses the only Vault addresses a volume's {@code vaultAddress} may name: the
 *     default and those of {@code allowedVaultAddresses}
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
 * @param defaultAudience the pod token audience volumes without {@code audience} log in with:
 *     {@code vault}, or empty for the API server's own audience (kubelet's {@code audience: ""}
 *     token, what vault-csi-provider sends when kubelet gives it no {@code vault} token)
 * @param defaultNamespace the Vault namespace volumes without {@code vaultNamespace} use
 *     (vault-csi-provider's {@code -vault-namespace} flag)
 */
record VaultPluginConfig(
    Optional<VaultAddress> defaultAddress,
    List<VaultAddress> allowedAddresses,
    String defaultAuthMountPath,
    TlsSettings tls,
    boolean allowSkipTlsVerify,
    List<Path> allowedCertDirectories,
    Duration connectTimeout,
    Duration requestTimeout,
    boolean revokeOnUnpublish,
    String defaultAudience,
    Optional<String> defaultNamespace) {

  static final String FILE = "vault.properties";
  static final String ADDRESS = "vaultAddress";
  static final String ALLOWED_ADDRESSES = "allowedVaultAddresses";
  static final String AUTH_MOUNT_PATH = "vaultAuthMountPath";
  static final String ALLOW_SKIP_TLS_VERIFY = "allowSkipTLSVerify";
  static final String ALLOWED_CERT_DIRECTORIES = "allowedCertDirectories";
  static final String CONNECT_TIMEOUT = "connectTimeout";
  static final String REQUEST_TIMEOUT = "requestTimeout";
  static final String REVOKE_ON_UNPUBLISH = "revokeOnUnpublish";
  static final String DEFAULT_AUDIENCE = "defaultAudience";
  static final String NAMESPACE = "vaultNamespace";

  private static final String[] KEYS = {ADDRESS, ALLOWED_ADDRESSES, AUTH_MOUNT_PATH, TlsSettings.CA_CERT_PATH,
      TlsSettings.CA_DIRECTORY, TlsSettings.TLS_SERVER_NAME, TlsSettings.CLIENT_CERT_PATH,
      TlsSettings.CLIENT_KEY_PATH, ALLOW_SKIP_TLS_VERIFY, ALLOWED_CERT_DIRECTORIES,
      CONNECT_TIMEOUT, REQUEST_TIMEOUT, REVOKE_ON_UNPUBLISH, DEFAULT_AUDIENCE, NAMESPACE};

  /** Binds {@code vault.properties}; unknown keys and bad values fail, naming the key. */
  static VaultPluginConfig parse(Map<String, String> values) throws BackendException {
    // a misspelt key is reported as such before any problem it causes
    Settings config = Settings.config(FILE, values).known(KEYS);
    config.rejectUnknown();
    Optional<String> value = trimmed(config, ADDRESS);
    Optional<VaultAddress> address = value.isPresent()
        ? Optional.of(VaultAddress.parse(config, ADDRESS, value.get())) : Optional.empty();
    return new VaultPluginConfig(
        address,
        allowedAddresses(config, address),
        trimmed(config, AUTH_MOUNT_PATH).map(VaultPluginConfig::trimSlashes).orElse("kubernetes"),
        TlsSettings.bind(config, key -> trimmed(config, key), false),
        config.bool(ALLOW_SKIP_TLS_VERIFY, false),
        directories(config),
        config.positiveDuration(CONNECT_TIMEOUT, Duration.ofSeconds(5)),
        config.positiveDuration(REQUEST_TIMEOUT, Duration.ofSeconds(30)),
        config.bool(REVOKE_ON_UNPUBLISH, false),
        // written but empty is a value here: the API server's own audience
        values.containsKey(DEFAULT_AUDIENCE) ? values.get(DEFAULT_AUDIENCE).strip()
            : VaultAttributes.DEFAULT_AUDIENCE,
        trimmed(config, NAMESPACE).map(VaultPluginConfig::trimSlashes).filter(ns -> !ns.isEmpty()));
  }

  /** The default address first, then the listed ones; the default is always allowed. */
  private static List<VaultAddress> allowedAddresses(Settings config, Optional<VaultAddress> fallback)
      throws BackendException {
    List<VaultAddress> allowed = new ArrayList<>();
    fallback.ifPresent(allowed::add);
    for (String entry : config.list(ALLOWED_ADDRESSES)) {
      allowed.add(VaultAddress.parse(config, ALLOWED_ADDRESSES, entry));
    }
    return List.copyOf(allowed);
  }

  /** Whether a volume may name {@code address}: the same Vault as an allowed address. */
  boolean allows(VaultAddress address) {
    return allowedAddresses.stream().anyMatch(allowed -> allowed.key().equals(address.key()));
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
}
