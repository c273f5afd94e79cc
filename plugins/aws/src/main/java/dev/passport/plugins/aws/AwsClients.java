package dev.passport.plugins.aws;

import dev.passport.support.TlsTrust;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import javax.net.ssl.TrustManager;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The SDK clients, made on first use (issue 22: a plugin no volume uses costs little) and kept per
 * region. A volume's region is one of {@link AwsConfig#allowedRegions}, and at most
 * {@link #MAX_REGIONS} regions keep clients (the least recently used is dropped), so volumes
 * cannot make the plugin hold clients without bound. Every client shares one HTTP client.
 */
final class AwsClients implements AutoCloseable {

  static final int MAX_REGIONS = 32;

  private final AwsConfig config;
  private final TlsTrust trust;
  private SdkHttpClient http;
  private HttpClient jdkHttp;
  private final Map<String, StsClient> sts = lru();
  private final Map<String, SecretsManagerClient> secretsManager = lru();
  private final Map<String, SsmClient> ssm = lru();
  private boolean closed;

  AwsClients(AwsConfig config, TlsTrust trust) {
    this.config = config;
    this.trust = trust;
  }

  synchronized StsClient sts(String region) {
    return get(sts, region, r -> StsClient.builder()
        .region(Region.of(r))
        .endpointOverride(AwsConfig.resolve(config.stsEndpoint(), r))
        // AssumeRoleWithWebIdentity is unsigned: the pod's token is the credential
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .httpClient(http())
        .overrideConfiguration(overrides())
        .build());
  }

  synchronized SecretsManagerClient secretsManager(String region) {
    return get(secretsManager, region, r -> SecretsManagerClient.builder()
        .region(Region.of(r))
        .endpointOverride(AwsConfig.resolve(config.secretsManagerEndpoint(), r))
        .putAuthScheme(QuietSigV4.scheme())
        // every request carries the pod's credentials; the client has none of its own
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .httpClient(http())
        .overrideConfiguration(overrides())
        .build());
  }

  synchronized SsmClient ssm(String region) {
    return get(ssm, region, r -> SsmClient.builder()
        .region(Region.of(r))
        .endpointOverride(AwsConfig.resolve(config.ssmEndpoint(), r))
        .putAuthScheme(QuietSigV4.scheme())
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .httpClient(http())
        .overrideConfiguration(overrides())
        .build());
  }

  /** The JDK client for the Pod Identity agent. */
  synchronized HttpClient jdkHttp() {
    if (jdkHttp == null) {
      jdkHttp = HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10))
          // the agent speaks HTTP/1.1; no h2c upgrade dance
          .version(HttpClient.Version.HTTP_1_1)
          .followRedirects(HttpClient.Redirect.NEVER)
          .sslContext(trust.sslContext())
          .build();
    }
    return jdkHttp;
  }

  private ClientOverrideConfiguration overrides() {
    // The retry mode pinned: the SDK would otherwise take AWS_RETRY_MODE or ~/.aws/config from the
    // node, and the attempts per read (4, AwsThrottlingTest) are part of the plugin's bounds.
    return ClientOverrideConfiguration.builder()
        .apiCallTimeout(config.requestTimeout())
        .retryStrategy(RetryMode.LEGACY)
        .build();
  }

  private SdkHttpClient http() {
    if (closed) {
      throw new IllegalStateException("the aws backend is closed");
    }
    if (http == null) {
      http = new BoundedHttpClient(UrlConnectionHttpClient.builder()
          .connectionTimeout(Duration.ofSeconds(10))
          .socketTimeout(config.requestTimeout())
          .tlsTrustManagersProvider(() -> new TrustManager[] {trust.trustManager()})
          .build(), config.maxResponseBytes());
    }
    return http;
  }

  private static <C> C get(Map<String, C> clients, String region, Function<String, C> make) {
    return clients.computeIfAbsent(region, make);
  }

  private static <C> Map<String, C> lru() {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, C> eldest) {
        // dropped, not closed: a fetch may still be using it, and it owns nothing but its
        // configuration (the HTTP client is shared and closed with the backend)
        return size() > MAX_REGIONS;
      }
    };
  }

  @Override
  public synchronized void close() {
    closed = true;
    sts.values().forEach(StsClient::close);
    secretsManager.values().forEach(SecretsManagerClient::close);
    ssm.values().forEach(SsmClient::close);
    sts.clear();
    secretsManager.clear();
    ssm.clear();
    if (http != null) {
      http.close();
    }
    // the JDK client (Java 17) has no close: its selector thread is a daemon and ends with it
    jdkHttp = null;
  }
}
