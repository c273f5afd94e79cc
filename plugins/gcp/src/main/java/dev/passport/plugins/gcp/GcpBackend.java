package dev.passport.plugins.gcp;

import static dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED;
import static dev.passport.api.BackendException.Kind.INTERNAL;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;

import com.google.api.core.ApiFuture;
import com.google.api.gax.grpc.GrpcCallContext;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.ApiException;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.secretmanager.v1.AccessSecretVersionRequest;
import com.google.cloud.secretmanager.v1.AccessSecretVersionResponse;
import com.google.cloud.secretmanager.v1.SecretPayload;
import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.plugins.gcp.GcpVolume.Auth;
import io.grpc.CallOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Secret Manager secret versions as the pod: the pod's token is exchanged at STS (and
 * optionally traded for a Google service account's token) by google-auth-library, and the
 * versions are read in parallel with the real Secret Manager client.
 */
final class GcpBackend implements Backend<GcpVolume> {

  static final int AUTH_THREADS = 8;
  // above google-auth-library's own refresh margin (3 min 45 s), so a token judged fresh here is
  // not refreshed inline by the gRPC call either
  static final Duration FRESH_MARGIN = Duration.ofMinutes(5);
  static final int MAX_ATTEMPTS = 3;
  // an AccessSecretVersionResponse beyond its payload: the version's name (a few hundred bytes at
  // most), the checksum and the field tags
  static final int MESSAGE_OVERHEAD = 4096;
  // SecretPayload.data "must be no larger than 64KiB" (the Secret Manager API reference)
  static final int MAX_PAYLOAD = 64 * 1024;

  private final GcpConfig config;
  private final BackendContext context;
  private final Logger log;
  private final GoogleTransports trust;
  private final PodCredentials podCredentials;
  private final SecretManagerClients clients;
  // token exchanges are blocking HTTP calls; they run here so a fetch can give up at its deadline
  private final ExecutorService authExecutor;
  private volatile GoogleCredentials providerCredentials;
  // provider-gcp's iam.gke.io/gcp-service-account annotation, when gcp.properties enables it
  private final Optional<ServiceAccountAnnotations> annotations;

  GcpBackend(GcpConfig config, BackendContext context, GoogleTransports trust) {
    this.config = config;
    this.context = context;
    this.log = LoggerFactory.getLogger(context.loggerName());
    this.trust = trust;
    this.podCredentials =
        new PodCredentials(config, trust.httpTransportFactory(), context.clock());
    this.clients = new SecretManagerClients(trust, log);
    this.authExecutor = newAuthExecutor();
    this.annotations =
        config.kubernetes().map(access -> new ServiceAccountAnnotations(access, context.clock()));
  }

  @Override
  public GcpVolume prepare(Map<String, String> attributes) throws BackendException {
    GcpVolume volume = GcpVolume.parse(attributes, config);
    if (!volume.ignored().isEmpty()) {
      // the host prepares once per distinct set of attributes: one warning per volume spec
      log.warn("volume attributes with secrets {}: ignoring {}, as provider-gcp does; remove them",
          volume.resourceNames(), volume.ignored());
    }
    return volume;
  }

  @Override
  public Material fetch(GcpVolume settings, FetchRequest request) throws BackendException {
    Duration budget = Duration.between(context.clock().instant(), request.deadline());
    if (budget.isNegative() || budget.isZero()) {
      throw new BackendException(
          DEADLINE_EXCEEDED, "the fetch deadline passed before Secret Manager could be called");
    }
    long deadlineNanos = System.nanoTime() + budget.toNanos();
    refuseNodePublishSecrets(request);

    GoogleCredentials credentials = authenticate(request, settings, deadlineNanos);

    List<SecretObject> secrets = settings.secrets();
    ByteBudget bytes = request.budget();
    int maxMessage = maxInboundMessageSize(bytes.limit());
    long payloadLimit = payloadLimit(bytes.limit());
    List<ApiFuture<AccessSecretVersionResponse>> calls = new ArrayList<>(secrets.size());
    try {
      for (SecretObject secret : secrets) {
        calls.add(access(secret, credentials, deadlineNanos, maxMessage));
      }
    } catch (BackendException e) {
      calls.forEach(call -> call.cancel(true));
      throw e;
    }
    List<MaterialFile> files = new ArrayList<>(secrets.size());
    List<String> versions = new ArrayList<>(secrets.size());
    List<BackendException> failures = new ArrayList<>();
    BackendException refused = null;
    for (int i = 0; i < secrets.size(); i++) {
      SecretObject secret = secrets.get(i);
      try {
        AccessSecretVersionResponse response =
            await(calls.get(i), secret, deadlineNanos, payloadLimit);
        refused = charge(bytes, secret, response);
        if (refused != null) {
          break;
        }
        files.add(toFile(secret, response));
        versions.add(response.getName());
      } catch (BackendException e) {
        failures.add(e);
      }
    }
    if (refused != null) {
      // past a limit: the volume cannot be written, and the other answers are not wanted either
      calls.forEach(call -> call.cancel(true));
      throw refused;
    }
    if (!failures.isEmpty()) {
      calls.forEach(call -> call.cancel(true));
      if (failures.stream().anyMatch(f -> f.kind() == UNAUTHENTICATED)) {
        // Google no longer accepts the cached access token (revoked, or its grant changed): the
        // next fetch exchanges the pod token again instead of waiting for the token's expiry
        podCredentials.evict(credentials);
      }
      throw combined(failures, secrets.size());
    }

    Material material = Material.of(files).withVersion(String.join(",", versions));
    log.debug("volume {}: read {} secret version(s) {}", request.volumeId(), files.size(), versions);
    // pinned numeric versions never change; latest and aliases refresh at the host's interval
    return settings.allPinned()
        ? material.withRefreshAt(context.clock().instant().plus(config.pinnedRefreshInterval()))
        : material;
  }

  /**
   * provider-gcp can authenticate with a service account key from a {@code nodePublishSecretRef}
   * ({@code key.json}); Passport authenticates as the pod only, so a volume that brings a key is
   * refused rather than silently read as someone else (issue 17). Key names only in the message,
   * never values.
   */
  private static void refuseNodePublishSecrets(FetchRequest request) throws BackendException {
    if (!request.nodePublishSecrets().isEmpty()) {
      throw BackendException.invalid("the volume's nodePublishSecretRef carries "
          + new java.util.TreeSet<>(request.nodePublishSecrets().keySet()) + "; the gcp plugin"
          + " reads secrets as the pod (Workload Identity) and never with a key from a Secret:"
          + " remove nodePublishSecretRef from the pod's volume and grant the pod's identity access");
    }
  }

  private GoogleCredentials authenticate(
      FetchRequest request, GcpVolume settings, long deadlineNanos) throws BackendException {
    GoogleCredentials credentials;
    if (settings.auth() == Auth.PROVIDER_ADC) {
      credentials = providerCredentials(deadlineNanos, settings);
    } else {
      GcpVolume effective = withAnnotatedTarget(request, settings.withTokenOf(request),
          deadlineNanos);
      credentials =
          podCredentials.forPod(
              request.pod(), request.token(effective.audience().orElseThrow()), effective);
    }
    if (hasFreshToken(credentials)) {
      // the common republish: no hop through the auth pool, so pods whose token is cached never
      // queue behind exchanges that a slow STS holds up
      return credentials;
    }
    GoogleCredentials chosen = credentials;
    Future<?> refresh = submitAuth(() -> {
      chosen.refreshIfExpired();
      return null;
    });
    awaitAuth(refresh, deadlineNanos, settings);
    return credentials;
  }

  /**
   * The volume with the impersonation target of the pod's Kubernetes service account annotation,
   * as provider-gcp impersonates it, unless the volume's attributes choose one; an annotation
   * without a service account leaves the config default (or none).
   */
  private GcpVolume withAnnotatedTarget(
      FetchRequest request, GcpVolume settings, long deadlineNanos) throws BackendException {
    if (annotations.isEmpty() || settings.serviceAccountChosen()) {
      return settings;
    }
    ServiceAccountAnnotations reader = annotations.get();
    Future<ServiceAccountAnnotations.Target> lookup = submitAuth(() ->
        reader.target(request.pod().namespace(), request.pod().serviceAccount()));
    ServiceAccountAnnotations.Target target = awaitAuth(lookup, deadlineNanos, settings);
    return target.serviceAccount().isPresent() ? settings.impersonating(target) : settings;
  }

  /**
   * Whether the library holds an access token it will not refresh during the coming calls. Judged
   * by the wall clock, as the library judges it: the token's expiry comes from Google.
   */
  private static boolean hasFreshToken(GoogleCredentials credentials) {
    AccessToken token = credentials.getAccessToken();
    return token != null
        && token.getExpirationTime() != null
        && token.getExpirationTime().toInstant().isAfter(Instant.now().plus(FRESH_MARGIN));
  }

  private GoogleCredentials providerCredentials(long deadlineNanos, GcpVolume settings)
      throws BackendException {
    GoogleCredentials cached = providerCredentials;
    if (cached != null) {
      return cached;
    }
    Future<GoogleCredentials> lookup = submitAuth(() ->
        GoogleCredentials.getApplicationDefault(trust.httpTransportFactory())
            .createScoped(List.of(PodCredentials.CLOUD_PLATFORM)));
    GoogleCredentials found = awaitAuth(lookup, deadlineNanos, settings);
    providerCredentials = found;
    return found;
  }

  private <T> Future<T> submitAuth(Callable<T> task) throws BackendException {
    try {
      return authExecutor.submit(task);
    } catch (RejectedExecutionException e) {
      throw new BackendException(UNAVAILABLE, "the gcp backend is shutting down", e);
    }
  }

  private <T> T awaitAuth(Future<T> future, long deadlineNanos, GcpVolume settings)
      throws BackendException {
    try {
      return future.get(remainingNanos(deadlineNanos), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      future.cancel(true);
      throw new BackendException(
          DEADLINE_EXCEEDED,
          "Google STS/IAM Credentials did not issue an access token before the fetch deadline", e);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new BackendException(UNAVAILABLE, "interrupted while obtaining a Google token", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof BackendException backend) {
        throw backend;
      }
      if (cause instanceof IOException io) {
        throw GoogleErrors.auth(io, settings);
      }
      throw new BackendException(
          INTERNAL, "could not obtain a Google access token: " + cause, cause);
    }
  }

  /**
   * The largest payload a fetch with a budget of {@code limit} bytes reads: the budget's limit, and
   * never more than Secret Manager stores in a version (64 KiB), so that a server answering more
   * is refused even when the host sets no limit.
   */
  static long payloadLimit(long limit) {
    return Math.min(limit, MAX_PAYLOAD);
  }

  /**
   * The largest AccessSecretVersion answer a fetch with a budget of {@code limit} bytes may
   * receive: the payload limit plus the version's name and checksum. gax builds Secret Manager
   * channels with no inbound limit at all, and gRPC buffers a whole message before handing it
   * over, so the limit is set on every call: gRPC then refuses a larger message from its length
   * prefix, before reading it (RESOURCE_EXHAUSTED).
   */
  static int maxInboundMessageSize(long limit) {
    return (int) (payloadLimit(limit) + MESSAGE_OVERHEAD);
  }

  private ApiFuture<AccessSecretVersionResponse> access(
      SecretObject secret, GoogleCredentials credentials, long deadlineNanos, int maxMessage)
      throws BackendException {
    Duration remaining = Duration.ofNanos(Math.max(1, remainingNanos(deadlineNanos)));
    GrpcCallContext callContext =
        GrpcCallContext.createDefault()
            .withCallOptions(CallOptions.DEFAULT.withMaxInboundMessageSize(maxMessage))
            .withCredentials(credentials)
            .withRetrySettings(
                RetrySettings.newBuilder()
                    .setTotalTimeoutDuration(remaining)
                    .setInitialRpcTimeoutDuration(remaining)
                    .setMaxRpcTimeoutDuration(remaining)
                    .setRpcTimeoutMultiplier(1.0)
                    .setInitialRetryDelayDuration(Duration.ofMillis(100))
                    .setRetryDelayMultiplier(2.0)
                    .setMaxRetryDelayDuration(Duration.ofSeconds(2))
                    .setMaxAttempts(MAX_ATTEMPTS)
                    .build());
    AccessSecretVersionRequest request =
        AccessSecretVersionRequest.newBuilder().setName(secret.resource().name()).build();
    String endpoint = config.endpointFor(secret.resource().location());
    try {
      return clients.forEndpoint(endpoint)
          .accessSecretVersionCallable()
          .futureCall(request, callContext);
    } catch (UncheckedIOException | IllegalStateException e) {
      throw new BackendException(
          UNAVAILABLE, "cannot open a Secret Manager client for " + endpoint + ": " + e.getMessage(),
          e);
    }
  }

  private static AccessSecretVersionResponse await(
      ApiFuture<AccessSecretVersionResponse> call, SecretObject secret, long deadlineNanos,
      long limit) throws BackendException {
    try {
      // gax ends the call at the deadline itself; the margin only guards against a lost callback
      return call.get(remainingNanos(deadlineNanos) + TimeUnit.SECONDS.toNanos(1),
          TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof ApiException api) {
        throw GoogleErrors.secretAccess(api, secret.resource(), limit);
      }
      throw new BackendException(
          INTERNAL, secret.resource().name() + ": unexpected failure: " + e.getCause(),
          e.getCause());
    } catch (TimeoutException | CancellationException e) {
      throw new BackendException(
          DEADLINE_EXCEEDED,
          secret.resource().name() + ": Secret Manager did not answer before the fetch deadline",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BackendException(UNAVAILABLE, "interrupted while reading Secret Manager", e);
    }
  }

  /**
   * Charges a payload to the fetch's budget; the refusal, if the volume's limit or Secret
   * Manager's own payload limit is passed.
   */
  private static BackendException charge(
      ByteBudget bytes, SecretObject secret, AccessSecretVersionResponse response) {
    int size = response.getPayload().getData().size();
    try {
      bytes.charge(size);
    } catch (BackendException e) {
      return e;
    }
    return size > MAX_PAYLOAD ? GoogleErrors.payloadTooLarge(secret.resource()) : null;
  }

  private static MaterialFile toFile(SecretObject secret, AccessSecretVersionResponse response)
      throws BackendException {
    SecretPayload payload = response.getPayload();
    byte[] data = payload.getData().toByteArray();
    if (payload.hasDataCrc32C()) {
      CRC32C crc = new CRC32C();
      crc.update(data);
      if (crc.getValue() != payload.getDataCrc32C()) {
        throw new BackendException(
            INTERNAL,
            secret.resource().name() + ": the payload does not match its data_crc32c checksum"
                + " (corrupted on the way); nothing was written, the next attempt reads it again");
      }
    }
    byte[] content = PayloadExtractor.content(data, secret);
    // no mode chosen: the host writes its --default-file-mode (0644 by default, provider-gcp's too)
    return secret.mode().isPresent()
        ? MaterialFile.of(secret.path(), content, secret.mode().getAsInt())
        : MaterialFile.of(secret.path(), content);
  }

  private static BackendException combined(List<BackendException> failures, int total) {
    if (failures.size() == 1 && total == 1) {
      return failures.get(0);
    }
    StringBuilder message = new StringBuilder()
        .append(failures.size()).append(" of ").append(total)
        .append(" secrets could not be read, so nothing was written: ");
    for (int i = 0; i < failures.size(); i++) {
      message.append(i == 0 ? "" : "; ").append(failures.get(i).getMessage());
    }
    BackendException combined =
        new BackendException(GoogleErrors.worst(failures), message.toString(), failures.get(0));
    failures.stream().skip(1).forEach(combined::addSuppressed);
    return combined;
  }

  private static long remainingNanos(long deadlineNanos) {
    return Math.max(0, deadlineNanos - System.nanoTime());
  }

  private static ExecutorService newAuthExecutor() {
    AtomicInteger counter = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            AUTH_THREADS, AUTH_THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
            runnable -> {
              Thread thread = new Thread(runnable, "passport-gcp-auth-" + counter.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  /** The endpoints that have a Secret Manager client, for tests. */
  List<String> clientEndpoints() {
    return clients.endpoints();
  }

  /** How many pod identities have cached credentials, for tests. */
  int cachedIdentities() {
    return podCredentials.size();
  }

  @Override
  public void close() {
    // not awaited: an exchange blocked in a socket read ignores the interrupt until its HTTP
    // timeout, and the pool's threads are daemons that hold nothing the host needs back
    authExecutor.shutdownNow();
    clients.close();
    podCredentials.clear();
  }

  @Override
  public String toString() {
    return "GcpBackend[sts=" + config.stsTokenUrl() + ", secretManager="
        + config.secretManagerEndpoint() + "]";
  }
}
