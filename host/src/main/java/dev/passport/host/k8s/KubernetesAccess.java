package dev.passport.host.k8s;

import dev.passport.host.threads.DaemonThreads;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.fabric8.kubernetes.client.utils.TokenRefreshInterceptor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The driver's own Kubernetes API access for drop-in mode: in-cluster configuration (the
 * DaemonSet's service account) or {@code --kubeconfig}. The only class the CLI calls in this
 * package: nothing of fabric8 is loaded unless it is.
 */
public final class KubernetesAccess {

  /** fabric8's name for the interceptor that, at TRACE, logs every header: the driver's bearer too. */
  private static final String FABRIC8_HTTP_LOGGING = "HttpLogging";
  /** fabric8's name for the interceptor adding the operator's impersonation headers. */
  private static final String FABRIC8_IMPERSONATOR = "IMPERSONATOR";
  /** Threads of the Secret sync's HTTP client, whatever the number of pods. */
  private static final int SYNC_THREADS = 2;
  /** One retry of a failed connection; the sync's deadline bounds the rest. */
  private static final int SYNC_RETRIES = 1;
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  static final Duration SYNC_TIMEOUT = Duration.ofSeconds(30);

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
    Connection connection = connection(kubeconfig, environment);
    return InformedSecretProviderClasses.start(client(connection.config()), connection.source(),
        syncWait);
  }

  /**
   * The Secret sync of {@code spec.secretObjects} (issue 19 item 4), on the same API server as
   * {@link #secretProviderClasses}.
   *
   * @param identity {@link SecretSync.Identity#POD}: a client without credentials of its own, each
   *     request carrying the pod's token; {@link SecretSync.Identity#DRIVER}: the driver's own
   * @param audience the tokens-JSON key of the pod's token for the API server ({@code ""} for
   *     kubelet's {@code audience: ""})
   */
  public static SecretSync secretSync(Optional<Path> kubeconfig, Map<String, String> environment,
      SecretSync.Identity identity, String audience) {
    Connection connection = connection(kubeconfig, environment);
    Config driver = connection.config();
    Config config = identity == SecretSync.Identity.DRIVER ? driver : withoutCredentials(driver);
    return secretSync(config, identity, audience, "the driver's service account, from "
        + connection.source());
  }

  /** A sync on {@code config} (tests hand in their fake API server's). */
  static SecretSync secretSync(Config config, SecretSync.Identity identity, String audience,
      String driverAccount) {
    // Bounded: the JDK client's work runs on these threads, whatever the number of pods.
    ExecutorService executor = Executors.newFixedThreadPool(SYNC_THREADS,
        DaemonThreads.named("passport-secret-sync"));
    QuietJdkHttpClientFactory factory = new QuietJdkHttpClientFactory(executor,
        identity == SecretSync.Identity.POD);
    HttpClient http = factory.newBuilder(config).build();
    return new KubernetesSecretSync(http, executor, config.getMasterUrl(), identity, audience,
        driverAccount, CALL_TIMEOUT, SYNC_TIMEOUT);
  }

  /**
   * The API server's address and trust, and nothing that authenticates: in pod mode the only
   * credential a request carries is the pod's token ({@code Config.empty()} reads no file and no
   * environment, so the driver's mounted token cannot creep in).
   */
  static Config withoutCredentials(Config driver) {
    ConfigBuilder builder = new ConfigBuilder(Config.empty())
        .withMasterUrl(driver.getMasterUrl())
        .withCaCertFile(driver.getCaCertFile())
        .withCaCertData(driver.getCaCertData())
        .withTrustCerts(driver.isTrustCerts())
        .withDisableHostnameVerification(driver.isDisableHostnameVerification())
        .withHttpProxy(driver.getHttpProxy())
        .withHttpsProxy(driver.getHttpsProxy())
        .withNoProxy(driver.getNoProxy())
        .withRequestRetryBackoffLimit(SYNC_RETRIES);
    return builder.build();
  }

  private record Connection(Config config, String source) {}

  private static Connection connection(Optional<Path> kubeconfig, Map<String, String> environment) {
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
    return new Connection(config, source);
  }

  static KubernetesClient client(Config config) {
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientFactory(new QuietJdkHttpClientFactory())
        .build();
  }

  /**
   * fabric8's JDK HTTP client without its TRACE request logging; for the Secret sync also on a
   * bounded executor, and in pod mode without the interceptor that would answer a 401 by retrying
   * with the driver's refreshed token.
   */
  private static final class QuietJdkHttpClientFactory extends JdkHttpClientFactory {
    private final ExecutorService executor;
    private final boolean noDriverToken;

    QuietJdkHttpClientFactory() {
      this(null, false);
    }

    QuietJdkHttpClientFactory(ExecutorService executor, boolean noDriverToken) {
      this.executor = executor;
      this.noDriverToken = noDriverToken;
    }

    @Override
    public HttpClient.Builder newBuilder(Config config) {
      HttpClient.Builder builder = super.newBuilder(config);
      builder.addOrReplaceInterceptor(FABRIC8_HTTP_LOGGING, null);
      if (noDriverToken) {
        builder.addOrReplaceInterceptor(TokenRefreshInterceptor.NAME, null);
        builder.addOrReplaceInterceptor(FABRIC8_IMPERSONATOR, null);
      }
      return builder;
    }

    @Override
    protected java.net.http.HttpClient.Builder createNewHttpClientBuilder() {
      if (executor == null) {
        return super.createNewHttpClientBuilder();
      }
      return java.net.http.HttpClient.newBuilder().executor(executor);
    }
  }
}
