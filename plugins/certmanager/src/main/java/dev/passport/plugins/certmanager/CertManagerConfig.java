package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The plugin's configuration ({@code certmanager.properties}).
 *
 * @param apiServer the Kubernetes API server URL; empty when neither configured nor in a pod
 * @param caFile the PEM bundle that signs the API server's certificate; empty for the JVM's trust
 * @param timeout the longest a fetch waits for cert-manager to issue a certificate
 */
record CertManagerConfig(Optional<URI> apiServer, Optional<Path> caFile, Duration timeout) {

  static final String API_SERVER = "apiServer";
  static final String CA_FILE = "caFile";
  static final String TIMEOUT = "timeout";
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  static final Path IN_CLUSTER_CA = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");

  private static final Set<String> KEYS = Set.of(API_SERVER, CA_FILE, TIMEOUT);

  /**
   * Binds the configuration, defaulting the API server and CA to the in-cluster ones.
   *
   * @param environment the process environment ({@code KUBERNETES_SERVICE_HOST/PORT})
   * @param inClusterCa where a pod finds its cluster CA
   */
  static CertManagerConfig from(Map<String, String> config, Map<String, String> environment,
      Path inClusterCa) throws BackendException {
    for (String key : new TreeSet<>(config.keySet())) {
      if (!KEYS.contains(key)) {
        throw new BackendException(Kind.INVALID_ARGUMENT, "certmanager: unknown configuration key "
            + key + " (known: " + String.join(", ", new TreeSet<>(KEYS)) + ")");
      }
    }
    Optional<String> apiServerValue = Optional.ofNullable(config.get(API_SERVER))
        .filter(s -> !s.isBlank())
        .or(() -> inClusterApiServer(environment));
    Optional<URI> apiServer = Optional.empty();
    if (apiServerValue.isPresent()) {
      URI parsed = parseUrl(apiServerValue.get());
      if (parsed == null) {
        throw new BackendException(Kind.INVALID_ARGUMENT, "certmanager: " + API_SERVER + " \""
            + apiServerValue.get() + "\" is not an http(s) URL such as https://10.0.0.1:6443");
      }
      apiServer = Optional.of(parsed);
    }
    Optional<Path> caFile = Optional.ofNullable(config.get(CA_FILE)).filter(s -> !s.isBlank()).map(Path::of);
    if (caFile.isPresent() && !Files.isReadable(caFile.get())) {
      throw new BackendException(Kind.INVALID_ARGUMENT, "certmanager: " + CA_FILE + " "
          + caFile.get() + " is not a readable file");
    }
    if (caFile.isEmpty() && config.get(API_SERVER) == null && Files.isReadable(inClusterCa)) {
      caFile = Optional.of(inClusterCa);
    }
    Duration timeout = DEFAULT_TIMEOUT;
    String timeoutValue = config.get(TIMEOUT);
    if (timeoutValue != null && !timeoutValue.isBlank()) {
      timeout = GoDuration.parse(timeoutValue.trim()).filter(d -> !d.isNegative() && !d.isZero())
          .orElseThrow(() -> new BackendException(Kind.INVALID_ARGUMENT, "certmanager: " + TIMEOUT
              + " \"" + timeoutValue + "\" is not a positive duration such as 60s or 2m"));
    }
    return new CertManagerConfig(apiServer, caFile, timeout);
  }

  private static Optional<String> inClusterApiServer(Map<String, String> environment) {
    String host = environment.get("KUBERNETES_SERVICE_HOST");
    String port = environment.get("KUBERNETES_SERVICE_PORT");
    if (host == null || host.isBlank() || port == null || port.isBlank()) {
      return Optional.empty();
    }
    return Optional.of("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
  }

  /** The URL, or null when malformed. */
  private static URI parseUrl(String value) {
    try {
      URI uri = new URI(value.trim());
      boolean http = "https".equals(uri.getScheme()) || "http".equals(uri.getScheme());
      return http && uri.getHost() != null ? uri : null;
    } catch (java.net.URISyntaxException e) {
      return null;
    }
  }
}
