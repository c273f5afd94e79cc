package dev.passport.plugins.vault;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import java.util.Map;

/**
 * The {@code vault} backend: a volume logs in to HashiCorp Vault as its pod (Kubernetes or JWT
 * auth with the pod's bound token) and reads any secrets engine — KV v1 and v2, database
 * credentials, PKI — through vault-java-driver.
 *
 * <p>Volume attributes are the {@code parameters} of hashicorp's vault-csi-provider
 * ({@code roleName}, {@code vaultAddress}, {@code objects}, …), so a SecretProviderClass migrates
 * by copying them. Configuration ({@code vault.properties}): {@code vaultAddress},
 * {@code allowedVaultAddresses} (the only other Vaults a volume's {@code vaultAddress} may name),
 * {@code vaultAuthMountPath}, TLS defaults ({@code vaultCACertPath}, {@code vaultCADirectory},
 * {@code vaultTLSServerName}, {@code vaultTLSClientCertPath}, {@code vaultTLSClientKeyPath}),
 * {@code allowSkipTLSVerify}, {@code allowedCertDirectories}, {@code connectTimeout},
 * {@code requestTimeout} and {@code revokeOnUnpublish}. See the plugin's README.
 *
 * <p>Vault tokens are reused until 2/3 of their TTL; leased secrets are renewed rather than read
 * again, so a database credential stays the same across republishes.
 */
public final class VaultBackendFactory implements BackendFactory {

  /** The backend name volumes select with {@code backend: vault}. */
  public static final String NAME = "vault";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend<?> create(Map<String, String> config, BackendContext context) throws BackendException {
    requireNonNull(config, "config is null");
    requireNonNull(context, "context is null");
    return new VaultBackend(VaultPluginConfig.parse(config), context);
  }
}
