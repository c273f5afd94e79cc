package dev.passport.host.k8s;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The driver's own Kubernetes API access for drop-in mode: in-cluster configuration (the
 * DaemonSet's service account) or {@code --kubeconfig}. The only class the CLI calls in this
 * package: nothing of fabric8 is loaded unless it is.
 */
public final class KubernetesAccess {

  /** fabric8's name for the interceptor that, at TRACE, logs every header: the driver's bearer too. */
  private static final String FABRIC8_HTTP_LOGGING = "HttpLogging";

  private KubernetesAccess() {}

  /**
   * Starts the SecretProviderClass informer.
   *
   * @param kubeconfig a kubeconfig file for local runs; in-cluster configuration without one
   * @param environment the process environment ({@code KUBERNETES_SERVICE_HOST} marks a pod)
   * @throws IllegalArgumentException naming the flag when there is no API server to talk to
   */
  public static SecretProviderClasses secretProviderClasses(Optional<Path> kubeconfig,
      Map<String, String> environment, Duration syncWait) {
    Config config;
    String source;
    if (kubeconfig.isPresent()) {
      Path file = kubeconfig.get();
      try {
        config = Config.fromKubeconfig(file.toFile());
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("--kubeconfig " + file + " cannot be read as a kubeconfig: "
            + e.getMessage(), e);
      }
      source = "--kubeconfig " + file + " (" + config.getMasterUrl() + ")";
    } else if (environment.containsKey("KUBERNETES_SERVICE_HOST")) {
      // fabric8's auto-configuration: in the driver's pod that is the service account token and
      // CA kubelet mounts. It also honours a kubeconfig (KUBECONFIG, ~/.kube/config) and
      // KUBERNETES_* settings when the operator provides them: all the operator's, none a pod's.
      config = Config.autoConfigure(null);
      source = "the in-cluster API server (" + config.getMasterUrl() + ")";
    } else {
      throw new IllegalArgumentException("--secret-provider-classes needs the Kubernetes API:"
          + " Passport is not running in a pod (KUBERNETES_SERVICE_HOST is unset); pass"
          + " --kubeconfig FILE for a local run");
    }
    return InformedSecretProviderClasses.start(client(config), source, syncWait);
  }

  static KubernetesClient client(Config config) {
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new QuietJdkHttpClientFactory())
        .build();
  }

  /** fabric8's JDK HTTP client without its TRACE request logging. */
  private static final class QuietJdkHttpClientFactory extends JdkHttpClientFactory {
    @Override
    public HttpClient.Builder newBuilder(Config config) {
      HttpClient.Builder builder = super.newBuilder(config);
      builder.addOrReplaceInterceptor(FABRIC8_HTTP_LOGGING, null);
      return builder;
    }
  }
}
