package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.support.Settings;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The plugin's configuration ({@code certmanager.properties}).
 *
 * @param apiServer the Kubernetes API server URL; empty when neither configured nor in a pod
 * @param caFile the PEM bundle that signs the API server's certificate; empty for the JVM's trust
 * @param timeout the longest a fetch waits for cert-manager to issue a certificate, and the bound
 *     of every API call it makes
 * @param defaultKeyAlgorithm the key algorithm of volumes that set no {@code key-algorithm}:
 *     csi-driver's RSA unless the operator chose another for the node
 */
record CertManagerConfig(Optional<URI> apiServer, Optional<Path> caFile, Duration timeout,
    KeySpec.Algorithm defaultKeyAlgorithm) {

  CertManagerConfig(Optional<URI> apiServer, Optional<Path> caFile, Duration timeout) {
    this(apiServer, caFile, timeout, KeySpec.Algorithm.RSA);
  }

  static final String FILE = "certmanager.properties";
  static final String API_SERVER = "apiServer";
  static final String CA_FILE = "caFile";
  static final String TIMEOUT = "timeout";
  static final String DEFAULT_KEY_ALGORITHM = "defaultKeyAlgorithm";
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
  static final Path IN_CLUSTER_CA = Path.of("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt");

  /**
   * Binds the configuration, defaulting the API server and CA to the in-cluster ones. Unknown keys
   * are refused.
   *
   * @param environment the process environment ({@code KUBERNETES_SERVICE_HOST/PORT})
   * @param inClusterCa where a pod finds its cluster CA
   */
  static CertManagerConfig from(Map<String, String> config, Map<String, String> environment,
      Path inClusterCa) throws BackendException {
    Settings settings = Settings.config(FILE, config);
    Optional<String> configuredApiServer = settings.optional(API_SERVER);
    Optional<String> apiServerValue = configuredApiServer.or(() -> inClusterApiServer(environment));
    Optional<URI> apiServer = Optional.empty();
    if (apiServerValue.isPresent()) {
      apiServer = Optional.of(httpUrl(apiServerValue.get()).orElseThrow(() -> settings.invalid(
          API_SERVER, apiServerValue.get(), "write an http(s) URL such as https://10.0.0.1:6443")));
    }
    Optional<Path> caFile = settings.optional(CA_FILE).map(Path::of);
    if (caFile.isPresent() && !Files.isReadable(caFile.get())) {
      throw settings.invalid(CA_FILE, caFile.get().toString(), "not a readable file");
    }
    // The pod's CA signs the in-cluster API server only, not one configured explicitly.
    if (caFile.isEmpty() && configuredApiServer.isEmpty() && Files.isReadable(inClusterCa)) {
      caFile = Optional.of(inClusterCa);
    }
    Duration timeout = settings.positiveDuration(TIMEOUT, DEFAULT_TIMEOUT);
    KeySpec.Algorithm defaultKey = KeySpec.Algorithm.valueOf(settings.oneOf(DEFAULT_KEY_ALGORITHM,
        KeySpec.Algorithm.RSA.name(), java.util.Arrays.stream(KeySpec.Algorithm.values())
            .map(Enum::name).toList()));
    settings.rejectUnknown();
    return new CertManagerConfig(apiServer, caFile, timeout, defaultKey);
  }

  private static Optional<String> inClusterApiServer(Map<String, String> environment) {
    String host = environment.get("KUBERNETES_SERVICE_HOST");
    String port = environment.get("KUBERNETES_SERVICE_PORT");
    if (host == null || host.isBlank() || port == null || port.isBlank()) {
      return Optional.empty();
    }
    return Optional.of("https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
  }

  private static Optional<URI> httpUrl(String value) {
    try {
      URI uri = new URI(value.strip());
      boolean http = "https".equals(uri.getScheme()) || "http".equals(uri.getScheme());
      return http && uri.getHost() != null ? Optional.of(uri) : Optional.empty();
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }
}
