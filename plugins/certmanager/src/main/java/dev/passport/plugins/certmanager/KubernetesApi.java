package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ByteBudget;
import dev.passport.api.ServiceAccountToken;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.util.regex.Pattern;

/**
 * Builds Kubernetes clients that authenticate as a pod: one per fetch, from one base
 * configuration, each reading through that fetch's {@link ReadCap}.
 *
 * <p>The base configuration starts from {@link Config#empty()}, never from fabric8's
 * auto-configuration: that would find the driver's own service-account token or a kubeconfig and,
 * on a 401, could silently retry as the driver instead of the pod. Nor does it read fabric8's
 * environment variables and system properties ({@code KUBERNETES_MASTER}, {@code HTTPS_PROXY}...).
 *
 * <p>Where it connects: the API server of {@code certmanager.properties} ({@code apiServer}) or of
 * the driver pod's environment ({@code KUBERNETES_SERVICE_HOST}/{@code PORT}), both the
 * operator's, and nowhere else. No volume attribute reaches this configuration: attributes become
 * the CertificateRequest's body (CSR, issuerRef, annotations), and the URL path holds only the
 * pod's namespace (kubelet's, shape-checked here) and a name Passport generates. Redirects are not
 * followed ({@link CappedHttpClientFactory}).
 */
final class KubernetesApi {

  private final Config base;
  private final boolean hasApiServer;
  private final java.time.Duration timeout;
  /** A namespace name (RFC 1123 label), so that it can only ever be one segment of the path. */
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  KubernetesApi(CertManagerConfig config) {
    // A fetch has a deadline; fabric8's default of 10 retries with backoff would outlive it.
    // CertificateRequests bounds every call by the timeout; these only keep fabric8 from holding
    // a connection longer than that in the background.
    int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, config.timeout().toMillis()));
    ConfigBuilder builder = new ConfigBuilder(Config.empty())
        .withAutoConfigure(false)
        .withRequestRetryBackoffLimit(1)
        .withConnectionTimeout(Math.min(10_000, timeoutMillis))
        .withRequestTimeout(Math.min(30_000, timeoutMillis));
    config.apiServer().ifPresent(url -> builder.withMasterUrl(url.toString()));
    config.caFile().ifPresent(ca -> builder.withCaCertFile(ca.toString()));
    this.base = builder.build();
    this.hasApiServer = config.apiServer().isPresent();
    this.timeout = config.timeout();
  }

  /**
   * A client for {@code namespace} whose every request carries {@code token} as its bearer token
   * and whose every read is charged to {@code budget}. The caller closes it.
   */
  CertificateRequests forPod(ServiceAccountToken token, String namespace, ByteBudget budget)
      throws BackendException {
    if (!hasApiServer) {
      throw new BackendException(Kind.FAILED_PRECONDITION, "certmanager: no Kubernetes API server"
          + " to call: Passport is not running in a pod (KUBERNETES_SERVICE_HOST is unset) and"
          + " certmanager.properties sets no apiServer");
    }
    if (!NAMESPACE.matcher(namespace).matches()) {
      throw new BackendException(Kind.INVALID_ARGUMENT, "certmanager: the pod's namespace from"
          + " kubelet (csi.storage.k8s.io/pod.namespace) is not a Kubernetes namespace name");
    }
    String bearer = token.token();
    Config config = new ConfigBuilder(base)
        .withNamespace(namespace)
        // A provider rather than a fixed token: fabric8's refresh-on-401 then asks it again (and
        // gets the same pod token) instead of re-reading any configuration of its own.
        .withOauthTokenProvider(() -> bearer)
        .build();
    ReadCap cap = new ReadCap(budget);
    KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new CappedHttpClientFactory(cap))
        .build();
    return new CertificateRequests(client, namespace, cap, timeout);
  }
}
