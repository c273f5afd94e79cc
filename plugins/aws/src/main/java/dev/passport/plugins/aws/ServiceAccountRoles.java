package dev.passport.plugins.aws;

import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.Pod;
import dev.passport.support.BoundedReads;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * provider-aws's IRSA role lookup: the {@code eks.amazonaws.com/role-arn} annotation of the pod's
 * service account, read with the driver's own token (RBAC: {@code get serviceaccounts}, nothing
 * else). Only when {@code serviceAccountAnnotations=true}; answers are kept {@link #CACHE_TTL}.
 */
final class ServiceAccountRoles {

  static final String ANNOTATION = "eks.amazonaws.com/role-arn";
  static final Duration CACHE_TTL = Duration.ofMinutes(1);
  static final int MAX_ANSWER = 256 * 1024;
  static final int MAX_ENTRIES = 1024;
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Cached(String roleArn, Instant until) {}

  private final AwsConfig config;
  private final Clock clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  private HttpClient http;

  ServiceAccountRoles(AwsConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  String roleArn(Pod pod, Duration timeout) throws BackendException {
    String key = pod.namespace() + "/" + pod.serviceAccount();
    Instant now = clock.instant();
    Cached cached = cache.get(key);
    if (cached != null && now.isBefore(cached.until())) {
      return cached.roleArn();
    }
    String roleArn = read(pod, timeout);
    if (cache.size() >= MAX_ENTRIES) {
      cache.clear();
    }
    cache.put(key, new Cached(roleArn, now.plus(CACHE_TTL)));
    return roleArn;
  }

  private String read(Pod pod, Duration timeout) throws BackendException {
    String where = "aws: reading service account " + pod.namespace() + "/" + pod.serviceAccount();
    String token;
    try {
      token = Files.readString(config.kubernetesTokenFile()).strip();
    } catch (IOException e) {
      throw new BackendException(FAILED_PRECONDITION, where + ": cannot read the driver's token "
          + config.kubernetesTokenFile() + " (kubernetesTokenFile in aws.properties)");
    }
    URI uri = URI.create(config.kubernetesApi().replaceAll("/+$", "") + "/api/v1/namespaces/"
        + enc(pod.namespace()) + "/serviceaccounts/" + enc(pod.serviceAccount()));
    HttpResponse<byte[]> answer;
    try {
      answer = client().send(HttpRequest.newBuilder(uri).timeout(timeout)
              .header("Authorization", "Bearer " + token).header("Accept", "application/json")
              .GET().build(),
          BoundedReads.budgeted(HttpResponse.BodyHandlers.ofByteArray(),
              ByteBudget.limitedTo(MAX_ANSWER)));
    } catch (IOException e) {
      throw new BackendException(UNAVAILABLE, where + ": " + AwsErrors.bounded(e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(UNAVAILABLE, where + ": interrupted");
    }
    if (answer.statusCode() == 403 || answer.statusCode() == 401) {
      throw new BackendException(PERMISSION_DENIED, where + ": HTTP " + answer.statusCode()
          + "; give the driver's service account \"get\" on serviceaccounts (deploy/rbac), or set"
          + " roleArn in the SecretProviderClass");
    }
    if (answer.statusCode() != 200) {
      throw new BackendException(answer.statusCode() == 404 ? FAILED_PRECONDITION : UNAVAILABLE,
          where + ": HTTP " + answer.statusCode());
    }
    JsonNode role;
    try {
      role = JSON.readTree(answer.body()).path("metadata").path("annotations").path(ANNOTATION);
    } catch (IOException e) {
      throw new BackendException(UNAVAILABLE, where + ": the answer is not JSON");
    }
    String roleArn = role.isTextual() ? role.asText().strip() : "";
    if (roleArn.isEmpty()) {
      // provider-aws's message
      throw new BackendException(FAILED_PRECONDITION, "An IAM role must be associated with service"
          + " account " + pod.serviceAccount() + " (namespace: " + pod.namespace() + "): annotate"
          + " it with " + ANNOTATION + ", or set roleArn in the SecretProviderClass");
    }
    if (!AwsVolume.ROLE_ARN_PATTERN.matcher(roleArn).matches()) {
      throw new BackendException(FAILED_PRECONDITION, "the " + ANNOTATION + " annotation of"
          + " service account " + pod.namespace() + "/" + pod.serviceAccount()
          + " is not an IAM role ARN such as arn:aws:iam::111122223333:role/my-role");
    }
    return roleArn;
  }

  private synchronized HttpClient client() throws BackendException {
    if (http == null) {
      HttpClient.Builder builder = HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER);
      if (Files.isReadable(config.kubernetesCaFile())) {
        builder.sslContext(sslContext());
      }
      http = builder.build();
    }
    return http;
  }

  private SSLContext sslContext() throws BackendException {
    try (InputStream in = Files.newInputStream(config.kubernetesCaFile())) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new BackendException(FAILED_PRECONDITION, "aws: cannot use "
          + config.kubernetesCaFile() + " as the API server's CA (kubernetesCaFile in"
          + " aws.properties): " + e.getMessage());
    }
  }

  private static String enc(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8);
  }
}
