package dev.passport.plugins.azure;

import dev.passport.api.BackendException;
import dev.passport.support.Settings;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How the plugin reads a pod's Kubernetes service account, for the
 * {@code azure.workload.identity/client-id} annotation: as the driver (its own projected token,
 * re-read on every request since kubelet rotates it), at the operator's API server. Off unless
 * {@code serviceAccountAnnotations=true}; the chart then grants the driver {@code get
 * serviceaccounts} and nothing else.
 *
 * @param apiServer the API server's URL
 * @param caFile the API server's CA, or the JVM's trust store when empty
 * @param tokenFile the driver's service account token
 * @param cacheTtl how long an annotation read is reused for the same service account
 */
record KubernetesAccess(URI apiServer, Optional<Path> caFile, Path tokenFile, Duration cacheTtl) {

  static final String SERVICE_ACCOUNT_ANNOTATIONS = "serviceAccountAnnotations";
  static final String KUBERNETES_API_SERVER = "kubernetesApiServer";
  static final String KUBERNETES_CA_FILE = "kubernetesCaFile";
  static final String KUBERNETES_TOKEN_FILE = "kubernetesTokenFile";
  static final String ANNOTATION_CACHE_TTL = "annotationCacheTtl";
  static final String[] KEYS = {SERVICE_ACCOUNT_ANNOTATIONS, KUBERNETES_API_SERVER,
      KUBERNETES_CA_FILE, KUBERNETES_TOKEN_FILE, ANNOTATION_CACHE_TTL};

  static final Path IN_CLUSTER = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
  static final Duration DEFAULT_CACHE_TTL = Duration.ofMinutes(5);

  /** The access azure.properties configures, or empty when annotations are not read. */
  static Optional<KubernetesAccess> parse(Settings settings, Map<String, String> environment)
      throws BackendException {
    boolean enabled = settings.bool(SERVICE_ACCOUNT_ANNOTATIONS, false);
    Duration ttl = settings.positiveDuration(ANNOTATION_CACHE_TTL, DEFAULT_CACHE_TTL);
    Optional<String> server = AzureConfig.stripped(settings, KUBERNETES_API_SERVER);
    Optional<String> ca = AzureConfig.stripped(settings, KUBERNETES_CA_FILE);
    Optional<String> token = AzureConfig.stripped(settings, KUBERNETES_TOKEN_FILE);
    if (!enabled) {
      for (String key : new String[] {KUBERNETES_API_SERVER, KUBERNETES_CA_FILE,
          KUBERNETES_TOKEN_FILE, ANNOTATION_CACHE_TTL}) {
        if (settings.has(key)) {
          throw settings.invalid(key, settings.optional(key).orElse(""), "it has no effect unless "
              + SERVICE_ACCOUNT_ANNOTATIONS + "=true; set that or remove " + key);
        }
      }
      return Optional.empty();
    }
    String url = server.or(() -> inCluster(environment)).orElseThrow(() -> settings.invalid(
        SERVICE_ACCOUNT_ANNOTATIONS, "true", "the driver is not in a pod"
            + " (KUBERNETES_SERVICE_HOST is unset); set " + KUBERNETES_API_SERVER));
    URI apiServer;
    try {
      apiServer = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw settings.invalid(KUBERNETES_API_SERVER, url, "write a URL such as https://10.0.0.1:443");
    }
    if (!("https".equals(apiServer.getScheme()) || "http".equals(apiServer.getScheme()))
        || apiServer.getHost() == null) {
      throw settings.invalid(KUBERNETES_API_SERVER, url, "write a URL such as https://10.0.0.1:443");
    }
    Optional<Path> caFile = ca.map(Path::of)
        .or(() -> Optional.of(IN_CLUSTER.resolve("ca.crt")).filter(Files::isRegularFile));
    if (ca.isPresent() && !Files.isReadable(caFile.get())) {
      throw settings.invalid(KUBERNETES_CA_FILE, ca.get(), "not a readable PEM file");
    }
    Path tokenFile = Path.of(token.orElse(IN_CLUSTER.resolve("token").toString()));
    return Optional.of(new KubernetesAccess(apiServer, caFile, tokenFile, ttl));
  }

  private static Optional<String> inCluster(Map<String, String> environment) {
    String host = environment.get("KUBERNETES_SERVICE_HOST");
    String port = environment.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
    if (host == null || host.isBlank()) {
      return Optional.empty();
    }
    return Optional.of("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
  }
}
