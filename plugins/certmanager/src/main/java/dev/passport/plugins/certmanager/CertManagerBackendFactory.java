package dev.passport.plugins.certmanager;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.BackendFactory;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * The {@code certmanager} backend: per-pod X.509 certificates from cert-manager, requested as the
 * pod itself, with cert-manager csi-driver's volume attributes ({@code csi.cert-manager.io/*}).
 *
 * <p>Configuration ({@code certmanager.properties}), every key optional:
 *
 * <ul>
 *   <li>{@code apiServer}: the Kubernetes API server URL; default from
 *       {@code KUBERNETES_SERVICE_HOST}/{@code KUBERNETES_SERVICE_PORT} in a pod;
 *   <li>{@code caFile}: the CA bundle of the API server; default the pod's service-account
 *       {@code ca.crt} when {@code apiServer} is not set;
 *   <li>{@code timeout}: how long one publish waits for issuance, default {@code 60s}
 *       ({@code 60s}, {@code 2m} or ISO-8601 {@code PT2M}).
 * </ul>
 */
public final class CertManagerBackendFactory implements BackendFactory {

  /** The backend name volumes select with {@code backend: certmanager}. */
  public static final String NAME = "certmanager";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Backend<CertificateAttributes> create(Map<String, String> config, BackendContext context) throws BackendException {
    requireNonNull(config, "config is null");
    requireNonNull(context, "context is null");
    CertManagerConfig bound =
        CertManagerConfig.from(config, System.getenv(), CertManagerConfig.IN_CLUSTER_CA);
    if (bound.apiServer().isEmpty()) {
      LoggerFactory.getLogger(context.loggerName()).warn("certmanager: no Kubernetes API"
          + " server (not in a pod and no apiServer configured); certmanager volumes will fail");
    }
    return new CertManagerBackend(bound, context);
  }
}
