package dev.passport.support;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How a plugin reads pods' Kubernetes service accounts (for provider annotations such as
 * {@code iam.gke.io/gcp-service-account}): as the driver, with its own projected token (re-read
 * on every request, since kubelet rotates it), at the operator's API server. The chart then grants
 * the driver {@code get serviceaccounts} and nothing else.
 *
 * @param apiServer the API server's URL, http(s) with a host
 * @param trust whom the connection to it trusts
 * @param tokenFile the driver's service account token
 * @param cacheTtl how long one read serves the same service account
 */
public record KubernetesAccess(URI apiServer, TlsTrust trust, Path tokenFile, Duration cacheTtl) {

  public static final String SERVICE_ACCOUNT_ANNOTATIONS = "serviceAccountAnnotations";
  public static final String KUBERNETES_API_SERVER = "kubernetesApiServer";
  public static final String KUBERNETES_CA_FILE = "kubernetesCaFile";
  public static final String KUBERNETES_TOKEN_FILE = "kubernetesTokenFile";
  public static final String ANNOTATION_CACHE_TTL = "annotationCacheTtl";

  /** Where kubelet mounts a pod's service account token and the cluster's CA. */
  public static final Path IN_CLUSTER = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");
  public static final Duration DEFAULT_CACHE_TTL = Duration.ofMinutes(5);

  public KubernetesAccess {
    requireNonNull(apiServer, "apiServer is null");
    requireNonNull(trust, "trust is null");
    requireNonNull(tokenFile, "tokenFile is null");
    requireNonNull(cacheTtl, "cacheTtl is null");
    if (cacheTtl.isNegative() || cacheTtl.isZero()) {
      throw new IllegalArgumentException("cacheTtl must be positive, not " + cacheTtl);
    }
  }

  /** The keys {@link #parse} reads, for {@link Settings#known}. */
  public static String[] keys() {
    return new String[] {SERVICE_ACCOUNT_ANNOTATIONS, KUBERNETES_API_SERVER, KUBERNETES_CA_FILE,
        KUBERNETES_TOKEN_FILE, ANNOTATION_CACHE_TTL};
  }

  /**
   * The access a plugin's properties configure, or empty unless
   * {@code serviceAccountAnnotations=true}. The API server defaults to the pod's
   * {@code KUBERNETES_SERVICE_HOST}/{@code _PORT}, the CA to the mounted {@code ca.crt} if there is
   * one (trusted besides the JDK's CAs), the token to the mounted one, the TTL to 5 minutes. The
   * other keys without the switch stop start-up: they would silently do nothing.
   *
   * @param environment the process environment, for the in-cluster API server
   */
  public static Optional<KubernetesAccess> parse(Settings settings, Map<String, String> environment)
      throws BackendException {
    requireNonNull(settings, "settings is null");
    requireNonNull(environment, "environment is null");
    boolean enabled = settings.bool(SERVICE_ACCOUNT_ANNOTATIONS, false);
    Duration ttl = settings.positiveDuration(ANNOTATION_CACHE_TTL, DEFAULT_CACHE_TTL);
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
    String url = stripped(settings, KUBERNETES_API_SERVER).or(() -> inCluster(environment))
        .orElseThrow(() -> settings.invalid(SERVICE_ACCOUNT_ANNOTATIONS, "true", "the driver is"
            + " not in a pod (KUBERNETES_SERVICE_HOST is unset); set " + KUBERNETES_API_SERVER));
    Optional<String> ca = stripped(settings, KUBERNETES_CA_FILE);
    Optional<Path> caFile = ca.map(Path::of)
        .or(() -> Optional.of(IN_CLUSTER.resolve("ca.crt")).filter(Files::isRegularFile));
    if (ca.isPresent() && !Files.isReadable(caFile.get())) {
      throw settings.invalid(KUBERNETES_CA_FILE, ca.get(), "not a readable PEM file");
    }
    Path tokenFile = stripped(settings, KUBERNETES_TOKEN_FILE).map(Path::of)
        .orElse(IN_CLUSTER.resolve("token"));
    return Optional.of(new KubernetesAccess(apiServer(settings, KUBERNETES_API_SERVER, url),
        TlsTrust.jdkAnd(caFile, settings.describe(KUBERNETES_CA_FILE)),
        tokenFile, ttl));
  }

  /**
   * {@code url} as an API server URL: http(s) with a host, no query or fragment.
   *
   * @throws BackendException naming {@code key} when it is not one
   */
  public static URI apiServer(Settings settings, String key, String url) throws BackendException {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      throw settings.invalid(key, url, "write a URL such as https://10.0.0.1:443");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
    if (!(scheme.equals("https") || scheme.equals("http")) || uri.getHost() == null
        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw settings.invalid(key, url, "write a URL such as https://10.0.0.1:443");
    }
    return uri;
  }

  private static Optional<String> stripped(Settings settings, String key) {
    return settings.optional(key).map(String::strip).filter(v -> !v.isEmpty());
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
