package dev.passport.plugins.gcp;

import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;
import static dev.passport.api.BackendException.Kind.INVALID_ARGUMENT;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.passport.api.BackendException;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * provider-gcp's impersonation target: the {@code iam.gke.io/gcp-service-account} annotation of
 * the pod's Kubernetes service account, and {@code iam.gke.io/gcp-service-account-delegates} (a
 * JSON list of emails). Read with fabric8 as the driver ({@link KubernetesAccess}), cached per
 * service account for {@code annotationCacheTtl}, so that kubelet's republishes cost the API
 * server nothing.
 *
 * <p>The namespace owner controls the annotation, as with provider-gcp: it can name any Google
 * service account, and IAM decides (the pod's principal needs {@code roles/iam.workloadIdentityUser}
 * on it). The value is held to the service account alphabet, so it stays one path segment of the
 * IAM Credentials URL.
 */
final class ServiceAccountAnnotations implements AutoCloseable {

  static final String GCP_SERVICE_ACCOUNT = "iam.gke.io/gcp-service-account";
  static final String GCP_SERVICE_ACCOUNT_DELEGATES = "iam.gke.io/gcp-service-account-delegates";
  static final int MAX_ENTRIES = 10_000;
  static final int MAX_DELEGATES = 10;

  // RFC 1123 label (namespace) and subdomain (service account): one path segment each
  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern NAME =
      Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  /** Whom to impersonate, as the annotations say; empty service account: none. */
  record Target(Optional<String> serviceAccount, List<String> delegates) {
    Target {
      delegates = List.copyOf(delegates);
    }
  }

  private record Key(String namespace, String name) {}

  private record Entry(Target target, Instant readAt) {}

  private final KubernetesClient client;
  private final KubernetesAccess access;
  private final Clock clock;
  private final Map<Key, Entry> cache = new LinkedHashMap<>(16, 0.75f, true);

  ServiceAccountAnnotations(KubernetesAccess access, Clock clock) {
    this.access = access;
    this.clock = clock;
    ConfigBuilder config = new ConfigBuilder(Config.empty())
        // never fabric8's auto-configuration (kubeconfig, KUBERNETES_* variables, proxies)
        .withAutoConfigure(false)
        .withMasterUrl(access.apiServer().toString())
        // a fetch has a deadline; fabric8's default of 10 retries with backoff would outlive it
        .withRequestRetryBackoffLimit(1)
        .withConnectionTimeout(10_000)
        .withRequestTimeout(15_000)
        // kubelet rotates the driver's projected token: read the file on every request
        .withOauthTokenProvider(this::driverToken);
    access.caFile().ifPresent(ca -> config.withCaCertFile(ca.toString()));
    this.client = new KubernetesClientBuilder()
        .withConfig(config.build())
        .withHttpClientFactory(new JdkHttpClientFactory())
        .build();
  }

  /** The annotations of service account {@code namespace/name}: cached, or read now. */
  Target target(String namespace, String name) throws BackendException {
    if (!NAMESPACE.matcher(namespace).matches() || !NAME.matcher(name).matches()) {
      throw new BackendException(INVALID_ARGUMENT, "the pod's namespace or service account name"
          + " from kubelet is not a Kubernetes name");
    }
    Key key = new Key(namespace, name);
    Instant now = clock.instant();
    synchronized (cache) {
      Entry cached = cache.get(key);
      if (cached != null && now.isBefore(cached.readAt().plus(access.cacheTtl()))) {
        return cached.target();
      }
    }
    Target target = read(namespace, name);
    synchronized (cache) {
      cache.put(key, new Entry(target, now));
      if (cache.size() > MAX_ENTRIES) {
        Iterator<Key> eldest = cache.keySet().iterator();
        eldest.next();
        eldest.remove();
      }
    }
    return target;
  }

  private Target read(String namespace, String name) throws BackendException {
    String who = "service account " + namespace + "/" + name;
    ServiceAccount account;
    try {
      account = client.serviceAccounts().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw failure(e, who);
    } catch (UncheckedIOException e) {
      throw new BackendException(UNAVAILABLE, "cannot read the driver's token to read " + who
          + ": " + e.getCause().getMessage(), e);
    }
    if (account == null) {
      throw new BackendException(FAILED_PRECONDITION, who + " does not exist, so its "
          + GCP_SERVICE_ACCOUNT + " annotation cannot be read");
    }
    Map<String, String> annotations = account.getMetadata().getAnnotations() == null
        ? Map.of() : account.getMetadata().getAnnotations();
    String serviceAccount = annotations.getOrDefault(GCP_SERVICE_ACCOUNT, "").strip();
    if (serviceAccount.isEmpty()) {
      // provider-gcp then uses the federated token directly; so does Passport
      return new Target(Optional.empty(), List.of());
    }
    if (!GcpConfig.isServiceAccountId(serviceAccount)) {
      throw new BackendException(INVALID_ARGUMENT, "annotation " + GCP_SERVICE_ACCOUNT + " of "
          + who + " is not a Google service account email; write one such as"
          + " reader@<project>.iam.gserviceaccount.com");
    }
    return new Target(Optional.of(serviceAccount),
        delegates(annotations.get(GCP_SERVICE_ACCOUNT_DELEGATES), who));
  }

  /** provider-gcp's format: a JSON list of emails, each sent as projects/-/serviceAccounts/<email>. */
  private static List<String> delegates(String value, String who) throws BackendException {
    if (value == null || value.isBlank()) {
      return List.of();
    }
    String problem = "annotation " + GCP_SERVICE_ACCOUNT_DELEGATES + " of " + who
        + " must be a JSON list of service account emails, e.g. [\"hop@<project>.iam"
        + ".gserviceaccount.com\"]";
    JsonArray list;
    try {
      JsonElement parsed = JsonParser.parseString(value);
      if (!parsed.isJsonArray() || parsed.getAsJsonArray().size() > MAX_DELEGATES) {
        throw new BackendException(INVALID_ARGUMENT, problem + " (at most " + MAX_DELEGATES + ")");
      }
      list = parsed.getAsJsonArray();
    } catch (JsonParseException e) {
      throw new BackendException(INVALID_ARGUMENT, problem);
    }
    List<String> delegates = new ArrayList<>();
    for (JsonElement item : list) {
      if (!item.isJsonPrimitive() || !item.getAsJsonPrimitive().isString()
          || !GcpConfig.isServiceAccountId(item.getAsString())) {
        throw new BackendException(INVALID_ARGUMENT, problem);
      }
      delegates.add("projects/-/serviceAccounts/" + item.getAsString());
    }
    return delegates;
  }

  private static BackendException failure(KubernetesClientException e, String who) {
    return switch (e.getCode()) {
      case 401 -> new BackendException(UNAUTHENTICATED, "the Kubernetes API server refused the"
          + " driver's own token reading " + who + " (HTTP 401)", e);
      case 403 -> new BackendException(PERMISSION_DENIED, "the driver may not get " + who
          + " (HTTP 403), needed for its " + GCP_SERVICE_ACCOUNT + " annotation"
          + " (serviceAccountAnnotations=true in gcp.properties): install the chart with"
          + " gcp.serviceAccountAnnotations.enabled=true, which grants get on serviceaccounts",
          e);
      default -> new BackendException(UNAVAILABLE, "cannot read " + who + " from the Kubernetes"
          + " API server" + (e.getCode() > 0 ? " (HTTP " + e.getCode() + ")" : "") + "; retrying",
          e);
    };
  }

  private String driverToken() {
    try {
      return Files.readString(access.tokenFile(), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(new IOException(
          "cannot read " + access.tokenFile() + " (kubernetesTokenFile)", e));
    }
  }

  /** How many service accounts are cached, for tests. */
  int size() {
    synchronized (cache) {
      return cache.size();
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
