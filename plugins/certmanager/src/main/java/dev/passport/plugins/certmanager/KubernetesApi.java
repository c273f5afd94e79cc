package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.api.ServiceAccountToken;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;

/**
 * Builds Kubernetes clients that authenticate as a pod: one per fetch, from one base
 * configuration and one HTTP client factory.
 *
 * <p>The base configuration starts from {@link Config#empty()}, never from fabric8's
 * auto-configuration: that would find the driver's own service-account token or a kubeconfig and,
 * on a 401, could silently retry as the driver instead of the pod.
 */
final class KubernetesApi {

  private final Config base;
  private final boolean hasApiServer;
  private final HttpClient.Factory httpClientFactory = new JdkHttpClientFactory();

  KubernetesApi(CertManagerConfig config) {
    ConfigBuilder builder = new ConfigBuilder(Config.empty())
        .withAutoConfigure(false)
        // A fetch has a deadline; fabric8's default of 10 retries with backoff would outlive it.
        .withRequestRetryBackoffLimit(1)
        .withConnectionTimeout(10_000)
        .withRequestTimeout(30_000);
    config.apiServer().ifPresent(url -> builder.withMasterUrl(url.toString()));
    config.caFile().ifPresent(ca -> builder.withCaCertFile(ca.toString()));
    this.base = builder.build();
    this.hasApiServer = config.apiServer().isPresent();
  }

  /**
   * A client for {@code namespace} whose every request carries {@code token} as its bearer token.
   * The caller closes it.
   */
  CertificateRequests forPod(ServiceAccountToken token, String namespace) throws BackendException {
    if (!hasApiServer) {
      throw new BackendException(Kind.FAILED_PRECONDITION, "certmanager: no Kubernetes API server"
          + " to call: Passport is not running in a pod (KUBERNETES_SERVICE_HOST is unset) and"
          + " certmanager.properties sets no apiServer");
    }
    String bearer = token.token();
    Config config = new ConfigBuilder(base)
        .withNamespace(namespace)
        // A provider rather than a fixed token: fabric8's refresh-on-401 then asks it again (and
        // gets the same pod token) instead of re-reading any configuration of its own.
        .withOauthTokenProvider(() -> bearer)
        .build();
    KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(httpClientFactory)
        .build();
    return new CertificateRequests(client, namespace);
  }
}
