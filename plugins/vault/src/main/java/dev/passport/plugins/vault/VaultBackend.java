package dev.passport.plugins.vault;

import static dev.passport.api.BackendException.Kind.DEADLINE_EXCEEDED;
import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;
import static dev.passport.api.BackendException.Kind.INTERNAL;
import static dev.passport.api.BackendException.Kind.NOT_FOUND;
import static dev.passport.api.BackendException.Kind.PERMISSION_DENIED;
import static dev.passport.api.BackendException.Kind.UNAUTHENTICATED;
import static dev.passport.api.BackendException.Kind.UNAVAILABLE;
import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import dev.passport.api.Backend;
import dev.passport.api.BackendContext;
import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.plugins.vault.VaultClient.Answer;
import dev.passport.plugins.vault.VaultClient.Endpoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Vault backend: logs in as the pod, fetches each object, and keeps what Vault hands out
 * (tokens, leases, certificates) so that republishes and token rotations cost Vault as little as
 * possible.
 *
 * <ul>
 *   <li>A Vault token is kept per pod, role, mount, audience and Vault across kubelet's pod token
 *       rotations, renewed at 2/3 of its TTL, replaced (and the old one revoked) only when it
 *       cannot be renewed ({@link VaultTokens}).
 *   <li>A token rotation ({@link FetchRequest.Reason#TOKENS_ROTATED}) re-reads KV objects (cheap,
 *       and it re-checks the pod's permission) and returns the files of objects with a lifetime of
 *       their own (a lease, a PKI certificate, anything a write issued) unchanged.
 *   <li>A leased answer (database credentials) is reused until about 2/3 of its lease, then
 *       renewed when renewable, so a credential stays the same; read anew only when renewal is
 *       refused or the lease nears its maximum TTL. A PKI certificate without a lease (Vault's
 *       default) is reused until 2/3 of its life, and expires at its notAfter.
 *   <li>Per volume, the same path + method + arguments is requested once.
 *   <li>Per volume only the kind and times of each answer are kept ({@link Lifetime}) and, of
 *       superseded leases, what revocation needs; reused content comes from the host's
 *       {@code previous}. What is not known (after a restart) is fetched.
 * </ul>
 */
final class VaultBackend implements Backend<VaultAttributes> {

  /**
   * Superseded leases kept per volume for revocation on unpublish; beyond that the oldest end
   * with their TTL. A pod that changes its attributes in a loop must not grow the node's heap.
   */
  static final int MAX_RETIRED_LEASES = 64;

  /**
   * How much later than the material's refresh instant the next fetch may come: kubelet's longest
   * republish gap (90 s) and a fetch's own time.
   */
  private static final Duration NEXT_FETCH_SLACK = Duration.ofMinutes(3);

  private final VaultPluginConfig config;
  private final Clock clock;
  private final Duration defaultRefreshInterval;
  private final Logger log;
  private final VaultClient client;
  private final VaultTokens tokens;
  private final ConcurrentMap<String, VolumeState> volumes = new ConcurrentHashMap<>();

  VaultBackend(VaultPluginConfig config, BackendContext context) {
    this.config = config;
    this.clock = context.clock();
    this.defaultRefreshInterval = context.defaultRefreshInterval();
    this.log = LoggerFactory.getLogger(context.loggerName());
    this.client = new VaultClient(config, clock);
    this.tokens = new VaultTokens(client, clock, log, config.requestTimeout());
  }

  @Override
  public VaultAttributes prepare(Map<String, String> attributes) throws BackendException {
    VaultAttributes parsed = VaultAttributes.parse(attributes, config);
    if (!parsed.ignored().isEmpty()) {
      log.warn("ignoring volume attribute(s) {}: vault-csi-provider has ignored them since 0.1.0;"
          + " remove them", parsed.ignored());
    }
    return parsed;
  }

  @Override
  public Material fetch(VaultAttributes attributes, FetchRequest request) throws BackendException {
    if (!clock.instant().isBefore(request.deadline())) {
      throw new BackendException(DEADLINE_EXCEEDED, "the fetch from Vault started after its deadline");
    }
    ServiceAccountToken podToken = request.token(attributes.audience());
    Endpoint endpoint = new Endpoint(attributes.address().url(), attributes.namespace(), attributes.tls());
    tokens.evictExpired();

    VolumeState state = volumes.computeIfAbsent(request.volumeId(), id -> new VolumeState());
    synchronized (state) {
      if (state.endpoint != null && !state.endpoint.equals(endpoint)) {
        // another Vault (or namespace, or TLS setup) for the same volume: nothing carries over
        state.answers.clear();
        state.retired.clear();
      }
      state.revokeOnUnpublish = attributes.revokeOnUnpublish();
      Session session = new Session(endpoint, attributes, request, podToken);
      try {
        Map<RequestKey, List<SecretObject>> requests = new LinkedHashMap<>();
        for (SecretObject object : attributes.objects()) {
          requests.computeIfAbsent(RequestKey.of(object), k -> new ArrayList<>()).add(object);
        }
        Map<RequestKey, Obtained> obtained = new LinkedHashMap<>();
        for (Map.Entry<RequestKey, List<SecretObject>> entry : requests.entrySet()) {
          obtained.put(entry.getKey(), obtain(state, entry.getKey(), entry.getValue(), session, request));
        }
        state.retireAllBut(obtained.keySet());
        state.pruneRetired(clock.instant());
        boolean askedVault = obtained.values().stream().anyMatch(o -> o.body != null);
        if (!askedVault && request.reason() == FetchRequest.Reason.TOKENS_ROTATED) {
          // every object lives on its own: the volume stays exactly as it is
          return request.previous().orElseThrow();
        }
        Material material = material(attributes, obtained, request.previous());
        if (session.current != null) {
          Instant next = material.refreshAt().orElse(clock.instant().plus(defaultRefreshInterval));
          tokens.keepUntil(session.key, next.plus(NEXT_FETCH_SLACK), endpoint, request.deadline(),
              request.budget());
        }
        return material;
      } finally {
        if (session.key != null) {
          state.endpoint = endpoint;
          state.tokenKey = session.key;
        }
      }
    }
  }

  /**
   * One request's answer: reused (its files from {@code previous}) when it has a lifetime of its
   * own that is not over, renewed when it is a renewable lease that is due, else asked anew.
   */
  private Obtained obtain(VolumeState state, RequestKey key, List<SecretObject> objects,
      Session session, FetchRequest request) throws BackendException {
    SecretObject object = objects.get(0);
    Lifetime known = state.answers.get(key);
    // INITIAL and CHANGED issue again (FetchRequest.Reason); unknown files cannot be reused
    boolean mayReuse = known != null && known.kind().ownLifetime()
        && request.reason() != FetchRequest.Reason.INITIAL
        && request.reason() != FetchRequest.Reason.CHANGED
        && request.previous().isPresent()
        && objects.stream().allMatch(o -> request.previous().get().file(o.objectName()).isPresent());
    if (mayReuse) {
      Instant now = clock.instant();
      if (request.reason() == FetchRequest.Reason.TOKENS_ROTATED || known.reusableAt(now)) {
        return new Obtained(known, null);
      }
      if (known.leased() && known.renewable() && now.isBefore(known.end())) {
        Optional<Lifetime> renewed = renew(known, object, session);
        if (renewed.isPresent()) {
          state.answers.put(key, renewed.get());
          return new Obtained(renewed.get(), null);
        }
      }
    }
    Answer answer = session.call(token -> client.request(session.endpoint, token, object,
        session.deadline, session.budget));
    Lifetime fresh = Lifetime.of(object, answer, clock.instant(), defaultRefreshInterval);
    if (known != null && known.leased()) {
      state.retire(known, log);
    }
    state.answers.put(key, fresh);
    return new Obtained(fresh, answer.body());
  }

  /** Renews a lease; empty when a new read is needed instead. */
  private Optional<Lifetime> renew(Lifetime lease, SecretObject object, Session session)
      throws BackendException {
    try {
      long seconds = session.call(token -> client.renew(session.endpoint, token, lease.leaseId(),
          lease.leaseSeconds(), session.deadline, session.budget));
      // under half a lease left means the lease nears its max TTL: switching now leaves the old
      // credential valid while the new one is rolled out
      if (seconds * 2 >= lease.leaseSeconds()) {
        log.debug("renewed the lease of {}: {}s", object.apiPath(), seconds);
        return Optional.of(lease.renewed(clock.instant(), seconds));
      }
      log.info("the lease of {} nears its maximum TTL ({}s left); reading a new one",
          object.apiPath(), seconds);
    } catch (BackendException e) {
      if (e.isRetryable()) {
        throw e;
      }
      log.info("cannot renew the lease of {} ({}); reading a new one", object.apiPath(), e.getMessage());
    }
    return Optional.empty();
  }

  private Material material(VaultAttributes attributes, Map<RequestKey, Obtained> obtained,
      Optional<Material> previous) throws BackendException {
    List<MaterialFile> files = new ArrayList<>();
    Set<String> versions = new TreeSet<>();
    Instant refreshAt = null;
    Instant expiresAt = null;
    boolean anyAtHostInterval = false;
    for (int i = 0; i < attributes.objects().size(); i++) {
      SecretObject object = attributes.objects().get(i);
      Obtained answer = obtained.get(RequestKey.of(object));
      byte[] bytes = answer.body != null
          ? content(object, i, answer.body)
          : previous.orElseThrow().file(object.objectName()).orElseThrow().content();
      files.add(file(object, bytes));
      if (answer.body != null) {
        JsonNode version = answer.body.path("data").path("metadata").path("version");
        if (version.isIntegralNumber()) {
          versions.add(route(object.apiPath()) + "@" + version.asLong());
        }
      }
      Lifetime lifetime = answer.lifetime;
      if (lifetime.refreshAt() != null) {
        refreshAt = earlier(refreshAt, lifetime.refreshAt());
      } else {
        anyAtHostInterval = true;
      }
      if (lifetime.end() != null) {
        expiresAt = earlier(expiresAt, lifetime.end());
      }
    }
    Material material = Material.of(files);
    // without a lifetime (KV), the host's default refresh interval applies; a volume mixing both
    // refreshes its KV objects at that interval too, and the others cost nothing until due
    if (refreshAt != null) {
      if (anyAtHostInterval) {
        refreshAt = earlier(refreshAt, clock.instant().plus(defaultRefreshInterval));
      }
      material = material.withRefreshAt(refreshAt);
    }
    if (expiresAt != null) {
      material = material.withExpiresAt(expiresAt);
    }
    if (!versions.isEmpty()) {
      material = material.withVersion(String.join(",", versions));
    }
    return material;
  }

  /**
   * The one place a file's mode is chosen: the object's {@code filePermission}; without one (or
   * 0) the host's {@code --default-file-mode}, which the operator may set (never a pinned 0644).
   */
  private static MaterialFile file(SecretObject object, byte[] content) {
    return object.mode().map(mode -> MaterialFile.of(object.objectName(), content, mode))
        .orElseGet(() -> MaterialFile.of(object.objectName(), content));
  }

  /**
   * The file vault-csi-provider writes for {@code object} from this answer (its {@code getSecret}):
   * without {@code secretKey} the whole answer as {@code json.Marshal(api.Secret)} and
   * {@code encoding} ignored; with it the key's value from {@code data.data} (KV v2) or
   * {@code data}, a string as is, anything else (null included) as Go's JSON, then decoded.
   */
  static byte[] content(SecretObject object, int index, JsonNode body) throws BackendException {
    String where = "objects[" + index + "] (" + object.objectName() + ")";
    VaultResponse response;
    try {
      response = VaultResponse.of(body);
    } catch (VaultResponse.Malformed e) {
      throw new BackendException(INTERNAL, where + ": Vault's answer for " + object.apiPath()
          + " is not a Vault response: " + e.getMessage());
    }
    if (response.data().isEmpty()) {
      throw new BackendException(NOT_FOUND, where + ": Vault's answer for " + object.apiPath()
          + " has no data");
    }
    if (object.secretKey().isEmpty()) {
      return response.json();
    }
    String key = object.secretKey().get();
    JsonNode value = response.value(key).orElseThrow(() -> new BackendException(NOT_FOUND,
        where + ": secretKey \"" + key + "\" is not in the data Vault returned for "
            + object.apiPath() + "; keys present: " + response.keys()));
    byte[] raw = value.isTextual() ? GoJson.utf8(value.textValue()) : GoJson.marshal(value);
    return switch (object.encoding()) {
      case UTF_8 -> raw;
      case BASE64 -> Decoding.base64(raw).orElseThrow(() -> notEncoded(object, where));
      case HEX -> Decoding.hex(raw).orElseThrow(() -> notEncoded(object, where));
    };
  }

  private static BackendException notEncoded(SecretObject object, String where) {
    return new BackendException(FAILED_PRECONDITION, where + ": the value of secretKey \""
        + object.secretKey().orElse("") + "\" at " + object.apiPath() + " is not valid "
        + object.encoding().name().toLowerCase(Locale.ROOT) + " as its encoding says"
        + (object.encoding() == SecretObject.Encoding.BASE64
            ? " (standard alphabet with = padding)" : "")
        + "; fix the secret or the encoding");
  }

  private static String route(String apiPath) {
    int query = apiPath.indexOf('?');
    return query < 0 ? apiPath : apiPath.substring(0, query);
  }

  private static Instant earlier(Instant a, Instant b) {
    return a == null || b.isBefore(a) ? b : a;
  }

  @Override
  public void release(String volumeId) throws BackendException {
    VolumeState state = volumes.remove(volumeId);
    try {
      if (state != null) {
        revokeLeases(volumeId, state);
      }
    } finally {
      // after the leases: their revocation needs the token
      tokens.release(volumeId);
    }
  }

  private void revokeLeases(String volumeId, VolumeState state) throws BackendException {
    synchronized (state) {
      if (!state.revokeOnUnpublish || state.endpoint == null) {
        return;
      }
      Instant now = clock.instant();
      state.pruneRetired(now);
      List<String> leased = new ArrayList<>(state.retired.keySet());
      for (Lifetime lifetime : state.answers.values()) {
        if (lifetime.leased() && now.isBefore(lifetime.end())) {
          leased.add(lifetime.leaseId());
        }
      }
      if (leased.isEmpty()) {
        return;
      }
      Optional<String> token = state.tokenKey == null ? Optional.empty() : tokens.current(state.tokenKey);
      if (token.isEmpty()) {
        throw new BackendException(UNAUTHENTICATED, "cannot revoke the " + leased.size()
            + " Vault lease(s) of volume " + volumeId + ": the pod's Vault token has expired"
            + " (unpublish carries no pod token to log in with); they end with their TTL");
      }
      Instant deadline = now.plus(config.requestTimeout());
      List<BackendException> failures = new ArrayList<>();
      for (String leaseId : leased) {
        try {
          client.revoke(state.endpoint, token.get(), leaseId, deadline);
        } catch (BackendException e) {
          failures.add(e);
        }
      }
      if (!failures.isEmpty()) {
        BackendException first = failures.get(0);
        // a quota keeps its kind; a timeout on one revocation is Vault being unavailable
        throw new BackendException(first.kind() == DEADLINE_EXCEEDED ? UNAVAILABLE : first.kind(),
            "revoked " + (leased.size() - failures.size()) + " of " + leased.size()
                + " Vault lease(s) of volume " + volumeId + "; first failure: "
                + first.getMessage());
      }
      log.info("revoked {} Vault lease(s) of volume {}", leased.size(), volumeId);
    }
  }

  @Override
  public void close() {
    volumes.clear();
    tokens.clear();
    client.close();
  }

  /** One fetch's access to Vault: a held token, or a login; once more after a 403 with a reused one. */
  private final class Session {
    final Endpoint endpoint;
    final VaultAttributes attributes;
    final Pod pod;
    final String volumeId;
    final ServiceAccountToken podToken;
    final Instant deadline;
    /** Every answer of this fetch (logins, reads, writes, renewals) is charged to it. */
    final ByteBudget budget;
    VaultTokens.Key key;
    VaultTokens.Grant current;
    boolean retried;

    Session(Endpoint endpoint, VaultAttributes attributes, FetchRequest request,
        ServiceAccountToken podToken) {
      this.endpoint = endpoint;
      this.attributes = attributes;
      this.pod = request.pod();
      this.volumeId = request.volumeId();
      this.podToken = podToken;
      this.deadline = request.deadline();
      this.budget = request.budget();
    }

    <T> T call(VaultCall<T> call) throws BackendException {
      String token = token(null);
      try {
        return call.run(token);
      } catch (BackendException e) {
        if (e.kind() != PERMISSION_DENIED || current.loggedIn() || retried) {
          throw e;
        }
        // a reused token may have been revoked in Vault: log in once more, then give up
        log.debug("Vault refused a reused token for pod {}/{}; logging in again",
            pod.namespace(), pod.name());
        retried = true;
        return call.run(token(token));
      }
    }

    private String token(String refused) throws BackendException {
      if (current != null && refused == null) {
        return current.clientToken();
      }
      key = new VaultTokens.Key(endpoint.address(), endpoint.namespace().orElse(""),
          attributes.authMountPath(), attributes.roleName(), attributes.audience(), pod.uid());
      current = tokens.token(key, volumeId, endpoint, podToken, deadline, budget, refused);
      return current.clientToken();
    }
  }

  @FunctionalInterface
  private interface VaultCall<T> {
    T run(String vaultToken) throws BackendException;
  }

  /** The same path, method and arguments within a volume is one request (one credential). */
  private record RequestKey(String apiPath, String method, String secretArgs) {
    static RequestKey of(SecretObject object) throws BackendException {
      return new RequestKey(object.apiPath(), object.method(),
          new String(object.requestBody(), UTF_8));
    }
  }

  /** A request's lifetime, and Vault's answer when it was asked now (null: reused from previous). */
  private record Obtained(Lifetime lifetime, JsonNode body) {}

  /**
   * Per volume: the lifetime of each current answer by request, and superseded leases (id and
   * end) for revocation; no secret.
   */
  private static final class VolumeState {
    final Map<RequestKey, Lifetime> answers = new LinkedHashMap<>();
    /** Lease id to its end, oldest first. */
    final LinkedHashMap<String, Instant> retired = new LinkedHashMap<>();
    boolean revokeOnUnpublish;
    Endpoint endpoint;
    VaultTokens.Key tokenKey;

    void retireAllBut(Set<RequestKey> keep) {
      answers.entrySet().removeIf(entry -> {
        boolean drop = !keep.contains(entry.getKey());
        if (drop && entry.getValue().leased()) {
          retire(entry.getValue(), null);
        }
        return drop;
      });
    }

    void retire(Lifetime lease, Logger log) {
      retired.put(lease.leaseId(), lease.end());
      while (retired.size() > MAX_RETIRED_LEASES) {
        String oldest = retired.keySet().iterator().next();
        retired.remove(oldest);
        if (log != null) {
          log.debug("forgot a superseded lease of {}; it ends with its TTL", leasePath(oldest));
        }
      }
    }

    /** An expired lease needs no revocation. */
    void pruneRetired(Instant now) {
      retired.values().removeIf(end -> !now.isBefore(end));
    }

    private static String leasePath(String leaseId) {
      int slash = leaseId.lastIndexOf('/');
      return slash < 0 ? "(unnamed)" : leaseId.substring(0, slash);
    }
  }
}
