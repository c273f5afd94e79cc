package dev.passport.host.k8s;

import static java.util.Objects.requireNonNull;

import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SecretSync} over the Kubernetes API (issue 19 item 4): for each Secret, a GET, then a
 * create or a full update with the resourceVersion read (optimistic concurrency: pods on other
 * nodes add their owner references to the same Secret; a conflict reads it again). Verbs used:
 * {@code get}, {@code create}, {@code update} on {@code secrets}, in the pod's namespace only.
 *
 * <p>Identity. In {@link Identity#POD} mode every request carries the pod's own token as its
 * {@code Authorization} header, on one shared HTTP client that has no credentials of its own (no
 * token, no client certificate, and fabric8's token-refresh interceptor removed, so a 401 is never
 * retried with another identity): the driver's identity is never used, and 100 pods cost no more
 * threads or connections than one. In {@link Identity#DRIVER} mode the client carries the driver's
 * own credentials, as secrets-store-csi-driver does.
 *
 * <p>What differs from secrets-store-csi-driver on purpose: an existing Secret without the
 * {@value SyncedSecret#MANAGED_LABEL} label is refused rather than overwritten; the owner is the
 * pod itself (not the pod's controller or a SecretProviderClassPodStatus), so Kubernetes' garbage
 * collector deletes the Secret when the last pod that mounts it is gone.
 */
final class KubernetesSecretSync implements SecretSync {

  private static final Logger LOG = LoggerFactory.getLogger(KubernetesSecretSync.class);
  /** Where the Role a pod needs is described (the migration guide's section). */
  static final String DOCS = "docs/migrating-from-secrets-store-csi-driver.md#syncing-kubernetes-secrets";
  private static final int MAX_ATTEMPTS = 4;
  private static final int MAX_MESSAGE = 300;

  private final HttpClient http;
  private final ExecutorService executor;
  private final String baseUrl;
  private final Identity identity;
  private final String audience;
  private final String driverAccount;
  private final Duration callTimeout;
  private final Duration syncTimeout;
  private final KubernetesSerialization json = new KubernetesSerialization();
  /** volume id → Secret name → the hash last written or confirmed for it. */
  private final Map<String, Map<String, String>> synced = new ConcurrentHashMap<>();

  KubernetesSecretSync(HttpClient http, ExecutorService executor, String masterUrl,
      Identity identity, String audience, String driverAccount, Duration callTimeout,
      Duration syncTimeout) {
    this.http = requireNonNull(http, "http is null");
    this.executor = executor;
    String url = requireNonNull(masterUrl, "masterUrl is null");
    this.baseUrl = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    this.identity = requireNonNull(identity, "identity is null");
    this.audience = requireNonNull(audience, "audience is null");
    this.driverAccount = requireNonNull(driverAccount, "driverAccount is null");
    this.callTimeout = requireNonNull(callTimeout, "callTimeout is null");
    this.syncTimeout = requireNonNull(syncTimeout, "syncTimeout is null");
  }

  @Override
  public Identity identity() {
    return identity;
  }

  @Override
  public String audience() {
    return audience;
  }

  @Override
  public void sync(Target target, List<SecretObject> objects, List<MaterialFile> files,
      boolean recheck) throws SecretSyncException {
    String what = "SecretProviderClass " + target.pod().namespace() + "/" + target.secretProviderClass();
    // Everything the class asks is checked against the files before the first API call.
    Map<String, byte[]> byPath = SyncedSecret.files(files);
    List<SyncedSecret> secrets = new ArrayList<>();
    for (SecretObject object : objects) {
      secrets.add(SyncedSecret.build(object, byPath, what));
    }
    String bearer = null;
    if (identity == Identity.POD) {
      bearer = target.token().map(t -> t.token()).orElseThrow(() -> new SecretSyncException(
          SecretSyncException.Kind.PRECONDITION, "no pod token for the API server"));
    }
    long deadline = System.nanoTime() + syncTimeout.toNanos();
    Map<String, String> mine = synced.computeIfAbsent(target.volumeId(), v -> new ConcurrentHashMap<>());
    for (SyncedSecret secret : secrets) {
      if (!recheck && secret.hash().equals(mine.get(secret.name()))) {
        continue;
      }
      mine.remove(secret.name());
      apply(target.pod(), secret, bearer, deadline, what);
      mine.put(secret.name(), secret.hash());
    }
  }

  @Override
  public void forget(String volumeId) {
    synced.remove(volumeId);
  }

  @Override
  public void close() {
    http.close();
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  /** Makes the Secret hold {@code secret} with the pod among its owners: GET, then POST or PUT. */
  private void apply(Pod pod, SyncedSecret secret, String bearer, long deadline, String what)
      throws SecretSyncException {
    String ns = pod.namespace();
    String collection = baseUrl + "/api/v1/namespaces/" + encode(ns) + "/secrets";
    String item = collection + "/" + encode(secret.name());
    String where = "Secret " + ns + "/" + secret.name();
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      HttpResponse<String> got = call(request(item, bearer).build(), deadline, "get", pod, where);
      if (got.code() == 404) {
        Secret created = desired(new ObjectMeta(), ns, secret, List.of(owner(pod)));
        HttpResponse<String> answer = call(request(collection, bearer)
            .post("application/json", json.asJson(created)).build(), deadline, "create", pod, where);
        if (answer.code() == 409) {
          continue; // another pod's node created it meanwhile: read it and update
        }
        expectSuccess(answer, "create", pod, where);
        LOG.info("created {} from {} as {}", where, what, who(pod));
        return;
      }
      expectSuccess(got, "get", pod, where);
      Secret existing = json.unmarshal(got.body(), Secret.class);
      Map<String, String> labels = existing.getMetadata().getLabels();
      if (labels == null || !"true".equals(labels.get(SyncedSecret.MANAGED_LABEL))) {
        throw new SecretSyncException(SecretSyncException.Kind.PRECONDITION, what + " syncs "
            + where + ", which exists and is not managed by a secrets-store driver (no label "
            + SyncedSecret.MANAGED_LABEL + "=true); Passport does not overwrite it: delete it,"
            + " label it, or change secretName");
      }
      String existingType = existing.getType() == null ? "Opaque" : existing.getType();
      if (!existingType.equals(secret.type())) {
        throw new SecretSyncException(SecretSyncException.Kind.PRECONDITION, where + " has type "
            + existingType + " but " + what + " asks for " + secret.type() + " (a Secret's type"
            + " cannot change): delete the Secret so it is created again");
      }
      List<OwnerReference> owners = new ArrayList<>(
          Objects.requireNonNullElse(existing.getMetadata().getOwnerReferences(), List.of()));
      boolean owned = owners.stream().anyMatch(o -> pod.uid().equals(o.getUid()));
      if (!owned) {
        owners.add(owner(pod));
      }
      if (owned && holds(existing, secret)) {
        return;
      }
      Secret updated = desired(existing.getMetadata(), ns, secret, owners);
      HttpResponse<String> answer = call(request(item, bearer)
          .put("application/json", json.asJson(updated)).build(), deadline, "update", pod, where);
      if (answer.code() == 409 || answer.code() == 404) {
        continue; // changed or deleted since the GET: read it again
      }
      expectSuccess(answer, "update", pod, where);
      LOG.info("updated {} from {} as {}", where, what, who(pod));
      return;
    }
    throw new SecretSyncException(SecretSyncException.Kind.UNAVAILABLE, where + " kept changing"
        + " while it was being updated (" + MAX_ATTEMPTS + " conflicts); the next republish retries");
  }

  /** The Secret to write: the class's type, labels, annotations and data; other metadata kept. */
  private static Secret desired(ObjectMeta base, String ns, SyncedSecret secret,
      List<OwnerReference> owners) {
    ObjectMeta meta = base;
    meta.setNamespace(ns);
    meta.setName(secret.name());
    meta.setLabels(new LinkedHashMap<>(secret.labels()));
    meta.setAnnotations(secret.annotations().isEmpty() ? null : new LinkedHashMap<>(secret.annotations()));
    meta.setOwnerReferences(owners);
    Secret out = new Secret();
    out.setApiVersion("v1");
    out.setKind("Secret");
    out.setMetadata(meta);
    out.setType(secret.type());
    Map<String, String> data = new LinkedHashMap<>();
    secret.data().forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v)));
    out.setData(data);
    return out;
  }

  private static boolean holds(Secret existing, SyncedSecret secret) {
    Map<String, String> data = Objects.requireNonNullElse(existing.getData(), Map.of());
    if (!data.keySet().equals(secret.data().keySet())) {
      return false;
    }
    for (Map.Entry<String, byte[]> e : secret.data().entrySet()) {
      if (!Base64.getEncoder().encodeToString(e.getValue()).equals(data.get(e.getKey()))) {
        return false;
      }
    }
    Map<String, String> annotations =
        Objects.requireNonNullElse(existing.getMetadata().getAnnotations(), Map.of());
    return new HashMap<>(existing.getMetadata().getLabels()).equals(secret.labels())
        && annotations.equals(secret.annotations());
  }

  /**
   * The pod as an owner: no {@code controller}, no {@code blockOwnerDeletion} (setting that needs
   * permission on the pod's finalizers); the garbage collector deletes the Secret once no owner
   * exists any more.
   */
  private static OwnerReference owner(Pod pod) {
    return new OwnerReferenceBuilder().withApiVersion("v1").withKind("Pod")
        .withName(pod.name()).withUid(pod.uid()).build();
  }

  private HttpRequest.Builder request(String url, String bearer) {
    HttpRequest.Builder builder = http.newHttpRequestBuilder().uri(url)
        .timeout(callTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .header("Accept", "application/json");
    if (bearer != null) {
      builder.setHeader("Authorization", "Bearer " + bearer);
    }
    return builder;
  }

  private HttpResponse<String> call(HttpRequest request, long deadline, String verb, Pod pod,
      String where) throws SecretSyncException {
    long left = Math.min(deadline - System.nanoTime(), callTimeout.toNanos());
    if (left <= 0) {
      throw new SecretSyncException(SecretSyncException.Kind.DEADLINE_EXCEEDED, "syncing " + where
          + " took longer than " + syncTimeout.toSeconds() + " s; the next republish retries");
    }
    try {
      HttpResponse<String> response = http.sendAsync(request, String.class).get(left, TimeUnit.NANOSECONDS);
      int code = response.code();
      if (code == 401) {
        throw new SecretSyncException(SecretSyncException.Kind.UNAUTHENTICATED, "the API server"
            + " did not accept " + who(pod) + " to " + verb + " " + where
            + (identity == Identity.POD ? ": check that the tokenRequests audience \"" + audience
                + "\" is one the API server accepts (--sync-secret-audience)" : ""));
      }
      if (code == 403) {
        throw forbidden(verb, pod, where);
      }
      return response;
    } catch (TimeoutException e) {
      throw new SecretSyncException(SecretSyncException.Kind.DEADLINE_EXCEEDED, "the API server did"
          + " not answer a " + verb + " of " + where + " in time; the next republish retries");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new SecretSyncException(SecretSyncException.Kind.UNAVAILABLE, "cannot reach the API"
          + " server to " + verb + " " + where + ": " + cause.getClass().getSimpleName()
          + (cause.getMessage() == null ? "" : " " + shorten(cause.getMessage())));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SecretSyncException(SecretSyncException.Kind.UNAVAILABLE, "interrupted while"
          + " syncing " + where);
    }
  }

  private SecretSyncException forbidden(String verb, Pod pod, String where) {
    if (identity == Identity.POD) {
      return new SecretSyncException(SecretSyncException.Kind.PERMISSION_DENIED, "the pod's"
          + " service account " + pod.serviceAccountUser() + " may not " + verb + " " + where
          + ": bind it to a Role in namespace " + pod.namespace() + " that allows get, create and"
          + " update on secrets (kubectl create role passport-secret-sync -n " + pod.namespace()
          + " --verb=get,create,update --resource=secrets; see " + DOCS + ")");
    }
    return new SecretSyncException(SecretSyncException.Kind.PERMISSION_DENIED, "the driver's"
        + " service account " + driverAccount + " may not " + verb + " " + where + ": with"
        + " --sync-secret-identity driver it needs a ClusterRole with get, create and update on"
        + " secrets (Helm: syncSecret.identity=driver installs <release>-secret-sync; kustomize:"
        + " deploy/dropin/sync-driver/ installs passport-secret-sync; see " + DOCS + ")");
  }

  private void expectSuccess(HttpResponse<String> response, String verb, Pod pod, String where)
      throws SecretSyncException {
    int code = response.code();
    if (code >= 200 && code < 300) {
      return;
    }
    String message = statusMessage(response.body());
    if (code == 400 || code == 422) {
      throw new SecretSyncException(SecretSyncException.Kind.INVALID, "the API server refused"
          + " to " + verb + " " + where + ": " + message);
    }
    throw new SecretSyncException(SecretSyncException.Kind.UNAVAILABLE, "the API server answered "
        + code + " to a " + verb + " of " + where + ": " + message + "; the next republish retries");
  }

  private String statusMessage(String body) {
    try {
      Object status = json.unmarshal(body, Map.class);
      if (status instanceof Map<?, ?> map && map.get("message") instanceof String message) {
        return shorten(message);
      }
    } catch (RuntimeException e) {
      // not a Status object
    }
    return "(no message)";
  }

  private String who(Pod pod) {
    return identity == Identity.POD ? "pod " + pod.namespace() + "/" + pod.name()
        + " (" + pod.serviceAccountUser() + ")" : "the driver (" + driverAccount + ")";
  }

  private static String shorten(String message) {
    String oneLine = message.replaceAll("[\\r\\n\\t]", " ");
    return oneLine.length() > MAX_MESSAGE ? oneLine.substring(0, MAX_MESSAGE) + "…" : oneLine;
  }

  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8);
  }
}
