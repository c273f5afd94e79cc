package dev.passport.plugins.certmanager;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import dev.passport.support.BoundedReads;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * cert-manager {@code CertificateRequest}s of one namespace, as one pod: create, wait for a
 * decision by watching, list and delete. Every Kubernetes failure becomes a {@link BackendException}
 * whose message says what to fix.
 *
 * <p>Every call ends within the plugin's {@code timeout}: fabric8's own timeouts are per request
 * and retried, and its synchronous {@code watch()} waits for a WebSocket upgrade that a proxy
 * without WebSocket support never gives. Each call runs on this client's one worker thread while
 * the fetch waits for it at most {@code timeout}; a call still running then is interrupted (and
 * the client closed with the fetch). A wait for cert-manager's decision is bounded by its own
 * timeout, falling back to polling when no watch can be set up.
 */
final class CertificateRequests implements AutoCloseable {

  /** Explicit, so that fabric8 needs no API discovery call (which the pod may not be allowed). */
  static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
      .withGroup("cert-manager.io")
      .withVersion("v1")
      .withKind("CertificateRequest")
      .withPlural("certificaterequests")
      .withNamespaced(true)
      .build();

  /** The most characters of an issuer's condition reason or message an error quotes. */
  static final int MAX_QUOTED = 512;

  /** How often a wait polls when the API server cannot set up a watch (e.g. behind a proxy). */
  static final Duration POLL_INTERVAL = Duration.ofSeconds(1);

  private final KubernetesClient client;
  private final String namespace;
  private final ReadCap cap;
  private final Duration timeout;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(runnable -> {
    Thread thread = new Thread(runnable, "passport-certmanager-api");
    thread.setDaemon(true);
    return thread;
  });

  /**
   * @param timeout the plugin's {@code timeout}: every call of this client ends by then
   */
  CertificateRequests(KubernetesClient client, String namespace, ReadCap cap, Duration timeout) {
    this.client = client;
    this.namespace = namespace;
    this.cap = cap;
    this.timeout = timeout;
  }

  /** A fabric8 call; a {@link KubernetesClientException} it throws is turned into its failure. */
  private interface Call<T> {
    T call() throws BackendException;
  }

  /**
   * Runs {@code call} on the worker, waiting at most {@code waitNanos} and the timeout. A read the
   * budget refuses ends the wait at once: fabric8 may retry it or never hear of it (see ReadCap).
   */
  private <T> T bounded(String verb, long waitNanos, Call<T> call) throws BackendException {
    long wait = Math.min(waitNanos, timeout.toNanos());
    if (wait <= 0) {
      throw deadline(verb);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    Future<?> future = worker.submit(() -> {
      try {
        result.complete(call.call());
      } catch (Throwable e) {
        result.completeExceptionally(e);
      }
    });
    cap.onRefusal(refusal -> result.completeExceptionally(tooLarge(verb, refusal)));
    try {
      return result.get(wait, TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw deadline(verb);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof BackendException backend) {
        throw backend;
      }
      if (cause instanceof KubernetesClientException kube) {
        throw failure(verb, kube);
      }
      throw new BackendException(Kind.UNAVAILABLE, "could not " + verb + " certificaterequests"
          + ".cert-manager.io in namespace " + namespace + ": " + cause, cause);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new BackendException(Kind.UNAVAILABLE, "interrupted while trying to " + verb
          + " certificaterequests.cert-manager.io in namespace " + namespace);
    }
  }

  private <T> T bounded(String verb, Call<T> call) throws BackendException {
    return bounded(verb, Long.MAX_VALUE, call);
  }

  private BackendException deadline(String verb) {
    return new BackendException(Kind.DEADLINE_EXCEEDED, "the Kubernetes API server did not answer"
        + " (" + verb + " certificaterequests.cert-manager.io in namespace " + namespace + ") within"
        + " the certmanager timeout of " + seconds(timeout) + "; Passport retries on the next"
        + " attempt. If it persists, check the API server and any proxy in front of it, or raise"
        + " timeout in certmanager.properties");
  }

  private static String seconds(Duration duration) {
    return duration.toMillis() < 1000 ? duration.toMillis() + "ms" : duration.toSeconds() + "s";
  }

  /** What cert-manager decided about a request, from its conditions. */
  sealed interface Decision {
    record Pending() implements Decision {}

    record Issued(GenericKubernetesResource request) implements Decision {}

    record Denied(String reason, String message) implements Decision {}

    record Failed(String reason, String message) implements Decision {}
  }

  private MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList,
      Resource<GenericKubernetesResource>> requests() {
    return client.genericKubernetesResources(CONTEXT);
  }

  /** Creates {@code request} in the namespace and returns the stored object. */
  GenericKubernetesResource create(GenericKubernetesResource request) throws BackendException {
    return bounded("create", () -> requests().inNamespace(namespace).resource(request).create());
  }

  /** The request named {@code name}, if it exists. */
  Optional<GenericKubernetesResource> get(String name) throws BackendException {
    return bounded("get", () -> Optional.ofNullable(requests().inNamespace(namespace).withName(name).get()));
  }

  /** Names of the requests carrying {@code label=value}. */
  List<String> namesLabelled(String label, String value) throws BackendException {
    return bounded("list", () -> {
      List<String> names = new ArrayList<>();
      for (GenericKubernetesResource item :
          requests().inNamespace(namespace).withLabel(label, value).list().getItems()) {
        names.add(item.getMetadata().getName());
      }
      return names;
    });
  }

  /** Deletes the request named {@code name}; a request already gone is fine. */
  void delete(String name) throws BackendException {
    bounded("delete", () -> {
      try {
        requests().inNamespace(namespace).withName(name).delete();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) {
          throw e;
        }
      }
      return null;
    });
  }

  /**
   * Waits by watching until cert-manager decides about request {@code name}, at most
   * {@code timeout}.
   *
   * @return the decision, never {@link Decision.Pending}
   * @throws BackendException DEADLINE_EXCEEDED when undecided after {@code timeout}; NOT_FOUND when
   *     the request does not exist or was deleted while waiting
   */
  Decision await(String name, Duration timeout) throws BackendException {
    CompletableFuture<Decision> decided = new CompletableFuture<>();
    Watcher<GenericKubernetesResource> watcher = new Watcher<>() {
      @Override
      public void eventReceived(Action action, GenericKubernetesResource resource) {
        if (action == Action.DELETED) {
          decided.completeExceptionally(new BackendException(Kind.NOT_FOUND,
              "CertificateRequest " + namespace + "/" + name + " was deleted before it was issued"));
          return;
        }
        Decision decision = decide(resource);
        if (!(decision instanceof Decision.Pending)) {
          decided.complete(decision);
        }
      }

      @Override
      public void onClose(WatcherException cause) {
        decided.completeExceptionally(cause.asClientException());
      }
    };
    // Most resumed requests are decided already: one read, no watch.
    Optional<GenericKubernetesResource> current = get(name);
    if (current.isEmpty()) {
      throw new BackendException(Kind.NOT_FOUND,
          "CertificateRequest " + namespace + "/" + name + " does not exist");
    }
    Decision known = decide(current.get());
    if (!(known instanceof Decision.Pending)) {
      return known;
    }
    // A watch the budget cut is reconnected by fabric8 without a word to the watcher.
    cap.onRefusal(refusal -> decided.completeExceptionally(tooLarge("watch", refusal)));
    long waitNanos = Math.max(1, timeout.toNanos());
    long until = System.nanoTime() + waitNanos;
    // A watch without a resourceVersion starts with the object's current state (a synthetic
    // ADDED event), so a decision made since the read above is not missed. Its set-up gets half
    // the wait: a server that cannot upgrade to WebSocket leaves the rest for polling.
    Watch watch = null;
    try {
      watch = bounded("watch", waitNanos / 2,
          () -> requests().inNamespace(namespace).withName(name).watch(watcher));
    } catch (BackendException e) {
      if (!watchUnavailable(e)) {
        throw e;
      }
    }
    if (watch == null) {
      return poll(name, until, timeout);
    }
    try (Watch ignored = watch) {
      return decided.get(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw undecided(name, timeout, "");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BackendException backend) {
        throw backend;
      }
      if (e.getCause() instanceof KubernetesClientException kube) {
        throw failure("watch", kube);
      }
      throw new BackendException(Kind.UNAVAILABLE, "watching CertificateRequest " + namespace + "/"
          + name + " failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(Kind.UNAVAILABLE, "interrupted while waiting for CertificateRequest "
          + namespace + "/" + name);
    }
  }

  /**
   * Whether a watch failed to be set up for a reason polling gets around: its set-up timed out
   * or the server answered the upgrade with no Kubernetes status (a proxy). A refusal with a
   * status (401, 403, 404...) or a read over the budget ends the wait instead.
   */
  private static boolean watchUnavailable(BackendException e) {
    return e.kind() == Kind.DEADLINE_EXCEEDED || e.kind() == Kind.UNAVAILABLE;
  }

  /** Waits by reading the request every {@link #POLL_INTERVAL} until it is decided or {@code until}. */
  private Decision poll(String name, long until, Duration timeout) throws BackendException {
    while (true) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        throw undecided(name, timeout, " (the API server set up no watch, so Passport polled)");
      }
      try {
        Thread.sleep(Math.max(1, Math.min(POLL_INTERVAL.toMillis(), TimeUnit.NANOSECONDS.toMillis(left))));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new BackendException(Kind.UNAVAILABLE, "interrupted while waiting for"
            + " CertificateRequest " + namespace + "/" + name);
      }
      Optional<GenericKubernetesResource> current;
      try {
        current = bounded("get", until - System.nanoTime(), () -> Optional.ofNullable(
            requests().inNamespace(namespace).withName(name).get()));
      } catch (BackendException e) {
        if (e.kind() == Kind.DEADLINE_EXCEEDED && System.nanoTime() - until >= 0) {
          throw undecided(name, timeout, " (the API server set up no watch, so Passport polled)");
        }
        throw e;
      }
      if (current.isEmpty()) {
        throw new BackendException(Kind.NOT_FOUND, "CertificateRequest " + namespace + "/" + name
            + " was deleted before it was issued");
      }
      Decision decision = decide(current.get());
      if (!(decision instanceof Decision.Pending)) {
        return decision;
      }
    }
  }

  private BackendException undecided(String name, Duration timeout, String how) {
    return new BackendException(Kind.DEADLINE_EXCEEDED, "cert-manager has not issued"
        + " CertificateRequest " + namespace + "/" + name + " within " + seconds(timeout) + how
        + "; Passport keeps waiting for this request on the next attempt. Check that the"
        + " issuer is ready and that an approver approves the request (kubectl describe"
        + " certificaterequest -n " + namespace + " " + name + ")");
  }

  /** cert-manager's verdict from {@code status.conditions}. */
  static Decision decide(GenericKubernetesResource request) {
    Object status = request.getAdditionalProperties().get("status");
    if (!(status instanceof Map<?, ?> statusMap) || !(statusMap.get("conditions") instanceof List<?> conditions)) {
      return new Decision.Pending();
    }
    Decision decision = new Decision.Pending();
    for (Object item : conditions) {
      if (!(item instanceof Map<?, ?> condition)) {
        continue;
      }
      String type = String.valueOf(condition.get("type"));
      String conditionStatus = String.valueOf(condition.get("status"));
      String reason = quoted(condition.get("reason"));
      String message = quoted(condition.get("message"));
      if (type.equals("Denied") && conditionStatus.equals("True")) {
        return new Decision.Denied(reason, message);
      }
      if (type.equals("InvalidRequest") && conditionStatus.equals("True")) {
        return new Decision.Failed(reason.isEmpty() ? "InvalidRequest" : reason, message);
      }
      if (type.equals("Ready") && conditionStatus.equals("True")) {
        decision = new Decision.Issued(request);
      } else if (type.equals("Ready") && conditionStatus.equals("False") && reason.equals("Failed")) {
        decision = new Decision.Failed(reason, message);
      }
    }
    return decision;
  }

  /**
   * A condition's text as the error may quote it: whoever runs the issuer writes it, and an error
   * message travels in a gRPC status (whose headers kubelet's client limits) and into the log.
   */
  static String quoted(Object value) {
    if (value == null) {
      return "";
    }
    String text = String.valueOf(value);
    return text.length() <= MAX_QUOTED ? text
        : text.substring(0, MAX_QUOTED) + "... (" + (text.length() - MAX_QUOTED) + " more characters)";
  }

  private BackendException failure(String verb, KubernetesClientException e) {
    String what = verb + " certificaterequests.cert-manager.io in namespace " + namespace;
    // Whatever failed once the budget refused a read, failed because of it.
    Optional<BackendException> refusal = BoundedReads.budgetFailure(e).or(cap::refusal);
    if (refusal.isPresent()) {
      return tooLarge(verb, refusal.get());
    }
    String detail = e.getStatus() != null && e.getStatus().getMessage() != null
        ? e.getStatus().getMessage() : String.valueOf(e.getMessage());
    return switch (e.getCode()) {
      case 401 -> new BackendException(Kind.UNAUTHENTICATED, "the Kubernetes API server did not accept"
          + " the pod's service account token (audience \"\") to " + what
          + "; check the CSIDriver's tokenRequests include audience \"\"", e);
      case 403 -> new BackendException(Kind.PERMISSION_DENIED, "the pod's service account may not "
          + what + ": bind it a Role allowing create, get, list, watch and delete on"
          + " certificaterequests.cert-manager.io (see the certmanager plugin README): " + detail, e);
      case 404 -> new BackendException(Kind.NOT_FOUND, "cannot " + what + ": not found; is"
          + " cert-manager (CRD certificaterequests.cert-manager.io/v1) installed? " + detail, e);
      // The API server or cert-manager's webhook judged the request's content (e.g. a duration
      // below cert-manager's minimum): the volume's attributes need fixing.
      case 400, 422 -> new BackendException(Kind.INVALID_ARGUMENT, "the API server refused to "
          + what + ", check the volume's csi.cert-manager.io attributes: " + detail, e);
      // cert-manager's webhook refuses a request it will never accept (e.g. a CSR it cannot
      // parse) with 406: every retry would meet the same answer.
      case 406 -> new BackendException(Kind.INVALID_ARGUMENT, "cert-manager's webhook refused to "
          + what + "; fix the volume's csi.cert-manager.io attributes: " + quoted(detail), e);
      case 504 -> new BackendException(Kind.DEADLINE_EXCEEDED, "the API server timed out trying to "
          + what + ": " + detail, e);
      // API Priority and Fairness (or a webhook) is shedding load: retry later, not at once.
      case 429 -> new BackendException(Kind.RESOURCE_EXHAUSTED, "the API server is rate-limiting"
          + " requests to " + what + "; Passport retries later: " + detail, e);
      case 409 -> new BackendException(Kind.UNAVAILABLE, "conflict trying to " + what + ": " + detail, e);
      default -> new BackendException(Kind.UNAVAILABLE, "could not " + what + ": "
          + (e.getCode() > 0 ? "HTTP " + e.getCode() + " " : "") + detail, e);
    };
  }

  /**
   * The budget's refusal (RESOURCE_EXHAUSTED naming the limit) with what was being read; no cause,
   * since the I/O error that ended the read says nothing more.
   */
  private BackendException tooLarge(String verb, BackendException refusal) {
    return new BackendException(refusal.kind(), "cannot " + verb + " certificaterequests"
        + ".cert-manager.io in namespace " + namespace + ": " + refusal.getMessage());
  }

  @Override
  public void close() {
    worker.shutdownNow();
    client.close();
  }
}
