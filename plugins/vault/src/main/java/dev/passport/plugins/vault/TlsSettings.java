package dev.passport.plugins.vault;

import java.util.Optional;

/**
 * How to speak TLS to Vault: the names of vault-csi-provider's parameters.
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

  /** These settings, each unset field taken from {@code defaults}. */
  TlsSettings orElse(TlsSettings defaults) {
    boolean ownClientCert = clientCertPath.isPresent();
    return new TlsSettings(
        caCertPath.or(defaults::caCertPath),
        caDirectory.or(defaults::caDirectory),
        serverName.or(defaults::serverName),
        // a client certificate and its key come together, never one from each source
        ownClientCert ? clientCertPath : defaults.clientCertPath,
        ownClientCert ? clientKeyPath : defaults.clientKeyPath,
        skipVerify || defaults.skipVerify);
  }
}
