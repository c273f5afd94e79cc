package dev.passport.plugins.vault;

import dev.passport.api.BackendException;
import dev.passport.support.Settings;
import java.util.Optional;

/**
 * How to speak TLS to Vault: the names of vault-csi-provider's parameters, which
 * {@code vault.properties} uses too.
 *
 * @param caCertPath a PEM file of CA certificates to trust ({@code vaultCACertPath})
 * @param caDirectory a directory of PEM CA certificates to trust ({@code vaultCADirectory})
 * @param serverName the name the server certificate must carry, when it differs from the address'
 *     host ({@code vaultTLSServerName})
 * @param clientCertPath a PEM client certificate chain ({@code vaultTLSClientCertPath})
 * @param clientKeyPath its PKCS#8 PEM private key ({@code vaultTLSClientKeyPath})
 * @param skipVerify trust any server certificate ({@code vaultSkipTLSVerify}); only when the
 *     plugin configuration allows it
 */
record TlsSettings(
    Optional<String> caCertPath,
    Optional<String> caDirectory,
    Optional<String> serverName,
    Optional<String> clientCertPath,
    Optional<String> clientKeyPath,
    boolean skipVerify) {

  static final String CA_CERT_PATH = "vaultCACertPath";
  static final String CA_DIRECTORY = "vaultCADirectory";
  static final String TLS_SERVER_NAME = "vaultTLSServerName";
  static final String CLIENT_CERT_PATH = "vaultTLSClientCertPath";
  static final String CLIENT_KEY_PATH = "vaultTLSClientKeyPath";

  /** Reads the file path a key names, e.g. after checking it against an allow-list. */
  @FunctionalInterface
  interface PathReader {
    Optional<String> read(String key) throws BackendException;
  }

  /**
   * Binds the TLS keys of {@code settings}; file paths are read by {@code paths}. A client
   * certificate without its key (or the reverse) is invalid.
   */
  static TlsSettings bind(Settings settings, PathReader paths, boolean skipVerify)
      throws BackendException {
    TlsSettings tls = new TlsSettings(
        paths.read(CA_CERT_PATH),
        paths.read(CA_DIRECTORY),
        VaultPluginConfig.trimmed(settings, TLS_SERVER_NAME),
        paths.read(CLIENT_CERT_PATH),
        paths.read(CLIENT_KEY_PATH),
        skipVerify);
    if (tls.clientCertPath().isPresent() != tls.clientKeyPath().isPresent()) {
      throw BackendException.invalid(settings.describe(CLIENT_CERT_PATH) + " and "
          + settings.describe(CLIENT_KEY_PATH) + " must be set together: a client certificate"
          + " needs both");
    }
    return tls;
  }

  /** These settings, each unset field taken from {@code defaults}. */
  TlsSettings orElse(TlsSettings defaults) {
    boolean ownClientCert = clientCertPath.isPresent();
    // the CAs come as a pair too (vault-csi-provider's second ConfigureTLS replaces the roots when
    // the volume names a CA file or directory), and within a pair the file wins
    boolean ownCa = caCertPath.isPresent() || caDirectory.isPresent();
    return new TlsSettings(
        ownCa ? caCertPath : defaults.caCertPath,
        ownCa ? caDirectory : defaults.caDirectory,
        serverName.or(defaults::serverName),
        // a client certificate and its key come together, never one from each source
        ownClientCert ? clientCertPath : defaults.clientCertPath,
        ownClientCert ? clientKeyPath : defaults.clientKeyPath,
        skipVerify || defaults.skipVerify);
  }
}
