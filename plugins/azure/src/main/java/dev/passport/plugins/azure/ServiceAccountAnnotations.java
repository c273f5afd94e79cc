package dev.passport.plugins.azure;

import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.support.BoundedReads;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * Workload identity's client id from the pod's Kubernetes service account annotation
 * {@code azure.workload.identity/client-id}, for volumes without {@code clientID}: one {@code GET}
 * of the ServiceAccount as the driver ({@code get serviceaccounts}, nothing else), cached per
 * service account for {@code annotationCacheTtl}. Off unless {@code serviceAccountAnnotations=true}.
 * The namespace owner controls the annotation as it controls {@code clientID}: Entra decides
 * (the identity's federated credential must name the pod's service account).
 */
final class ServiceAccountAnnotations {

  static final String CLIENT_ID = "azure.workload.identity/client-id";
  static final int MAX_ENTRIES = 10_000;
  static final long MAX_ANSWER = 64 * 1024;

  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
  private static final ObjectMapper JSON = new ObjectMapper();

  private record Key(String namespace, String name) {}

  private record Entry(Optional<String> clientId, Instant readAt) {}

  private final KubernetesAccess access;
  private final Clock clock;
  private final HttpClient http;
  private final Map<Key, Entry> cache = new LinkedHashMap<>(16, 0.75f, true);

  ServiceAccountAnnotations(KubernetesAccess access, Clock clock) throws BackendException {
    this.access = access;
    this.clock = clock;
    SSLContext tls = TlsTrust.of(access.caFile(), AzureConfig.FILE,
        KubernetesAccess.KUBERNETES_CA_FILE);
    this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** The annotation's client id of service account {@code namespace/name}, if it has one. */
  Optional<String> clientId(String namespace, String name) throws BackendException {
    if (!NAMESPACE.matcher(namespace).matches() || !NAME.matcher(name).matches()) {
      throw new BackendException(INVALID_ARGUMENT, "the pod's namespace or service account name"
          + " from kubelet is not a Kubernetes name");
    }
    Key key = new Key(namespace, name);
    Instant now = clock.instant();
    synchronized (cache) {
      Entry cached = cache.get(key);
      if (cached != null && now.isBefore(cached.readAt().plus(access.cacheTtl()))) {
        return cached.clientId();
      }
    }
    Optional<String> clientId = read(namespace, name);
    synchronized (cache) {
      cache.put(key, new Entry(clientId, now));
      if (cache.size() > MAX_ENTRIES) {
        cache.remove(cache.keySet().iterator().next());
      }
    }
    return clientId;
  }

  private Optional<String> read(String namespace, String name) throws BackendException {
    String where = "service account " + namespace + "/" + name;
    String token;
    try {
      token = Files.readString(access.tokenFile(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new BackendException(UNAVAILABLE, "cannot read the driver's token "
          + access.tokenFile() + " to read " + where + "'s annotations: " + e.getMessage());
    }
    URI uri = access.apiServer().resolve("/api/v1/namespaces/" + namespace + "/serviceaccounts/"
        + name);
    HttpResponse<byte[]> response;
    try {
      response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(15))
              .header("Authorization", "Bearer " + token).header("Accept", "application/json")
              .GET().build(),
          BoundedReads.budgeted(HttpResponse.BodyHandlers.ofByteArray(),
              ByteBudget.limitedTo(MAX_ANSWER)));
    } catch (IOException e) {
      throw new BackendException(UNAVAILABLE, "cannot read " + where + " from the API server: "
          + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(UNAVAILABLE, "interrupted while reading " + where);
    }
    if (response.statusCode() == 403 || response.statusCode() == 401) {
      throw new BackendException(PERMISSION_DENIED, "the driver may not read " + where + " (HTTP "
          + response.statusCode() + "): grant it get on serviceaccounts, or set clientID in the"
          + " volume, or serviceAccountAnnotations=false");
    }
    if (response.statusCode() == 404) {
      return Optional.empty();
    }
    if (response.statusCode() != 200) {
      throw new BackendException(UNAVAILABLE, "the API server answered HTTP "
          + response.statusCode() + " reading " + where);
    }
    try {
      JsonNode value = JSON.readTree(response.body()).path("metadata").path("annotations")
          .path(CLIENT_ID);
      return value.isTextual() && !value.asText().isBlank()
          ? Optional.of(value.asText().strip()) : Optional.empty();
    } catch (IOException e) {
      throw new BackendException(UNAVAILABLE, "the API server's answer for " + where
          + " is not JSON");
    }
  }
}
