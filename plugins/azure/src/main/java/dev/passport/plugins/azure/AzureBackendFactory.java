package dev.passport.plugins.azure;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import dev.passport.support.TlsTrust;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The {@code azure} backend: Azure Key Vault secrets, keys and certificates, read as the pod
 * through Microsoft Entra workload identity (the pod's token for
 * {@code api://AzureADTokenExchange} as client assertion).
 *
 * <p>Volume attributes are those of secrets-store-csi-driver-provider-azure: {@code keyvaultName},
 * {@code tenantId}/{@code tenantID}, {@code clientID}, {@code cloudName} and {@code objects}. The
 * configuration ({@code azure.properties}) sets the default tenant and cloud, the endpoints and
 * an optional CA bundle; see the plugin's README.
 */
public final class AzureBackendFactory implements BackendFactory {

  /** The backend name volumes select with {@code backend: azure}. */
  public static final String NAME = "azure";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend<AzureVolume> create(Map<String, String> config, BackendContext context)
      throws BackendException {
    requireNonNull(config, "config is null");
    requireNonNull(context, "context is null");
    AzureConfig parsed = AzureConfig.parse(config);
    AzureBackend backend = new AzureBackend(parsed, context,
        TlsTrust.jdkAnd(parsed.caBundle(), AzureConfig.FILE + " key " + AzureConfig.CA_BUNDLE)
            .sslContext());
    LoggerFactory.getLogger(context.loggerName()).info("azure backend: {}", backend);
    return backend;
  }
}
