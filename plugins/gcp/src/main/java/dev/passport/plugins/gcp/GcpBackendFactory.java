package dev.passport.plugins.gcp;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code gcp} backend: Google Secret Manager secret versions, read as the pod through Workload
 * Identity Federation (google-auth-library's {@code IdentityPoolCredentials} fed the pod's token),
 * optionally impersonating a Google service account.
 *
 * <p>Volume attributes are those of secrets-store-csi-driver-provider-gcp: {@code secrets} (a YAML
 * list of {@code resourceName}, {@code path}, {@code mode}, {@code extractJSONKey} or
 * {@code extractYAMLKey}), {@code auth}, {@code audience}, {@code workloadIdentityProvider},
 * {@code serviceAccount} and {@code delegates}. The configuration ({@code gcp.properties}) sets
 * defaults for the last four, the endpoints and an optional CA bundle; see the plugin's README.
 */
public final class GcpBackendFactory implements BackendFactory {

  /** The backend name volumes select with {@code backend: gcp}. */
  public static final String NAME = "gcp";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend<GcpVolume> create(Map<String, String> config, BackendContext context)
      throws BackendException {
    requireNonNull(config, "config is null");
    requireNonNull(context, "context is null");
    GcpConfig parsed = GcpConfig.parse(config);
    Logger log = LoggerFactory.getLogger(context.loggerName());
    List<String> loud = LibraryLogs.quiet();
    if (!loud.isEmpty()) {
      log.warn("gcp backend: cannot turn off the payload logging of {}; do not set"
          + " GOOGLE_SDK_JAVA_LOGGING=true in the driver's environment", loud);
    }
    log.info(
        "gcp backend: STS {}, Secret Manager {} (regional {}), libraries: {}",
        parsed.stsTokenUrl(), parsed.secretManagerEndpoint(), parsed.regionalEndpointTemplate(),
        LibraryVersions.describe());
    return new GcpBackend(parsed, context, GoogleTransports.of(parsed.caBundle()));
  }
}
