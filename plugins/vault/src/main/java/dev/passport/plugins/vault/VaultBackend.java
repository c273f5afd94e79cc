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
import dev.passport.plugins.vault.VaultClient.Login;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Vault backend: logs in as the pod, fetches each object, and keeps what Vault hands out
 * (tokens, leases) so that republishes cost Vault as little as possible.
 *
 * <ul>
 *   <li>A Vault token is reused for the same pod, pod-token expiry, role, mount, namespace and
 *       address until 2/3 of its TTL; a 403 with a reused token logs in once more.
 *   <li>A leased answer (database credentials, PKI) is reused until about 2/3 of its lease,
 *       then renewed when renewable, so a credential stays the same; read anew only when renewal
 *       is refused or the lease nears its maximum TTL.
 *   <li>Per volume, the same path + method + arguments is requested once.
 * </ul>
 */
final class VaultBackend implements Backend<VaultAttributes> {

  /**
   * Renewal starts at 0.6 of a lease, a little before the 2/3 the material asks the host to
   * refresh at: the host adds ±10 % jitter, and an early call should renew, not be wasted.
   */
  private static final double RENEW_FRACTION = 0.6;

  private final VaultPluginConfig config;
  private final Clock clock;
  private final Duration defaultRefreshInterval;
  private final Logger log;
  private final VaultClient client;
  private final ConcurrentMap<TokenKey, CachedToken> tokens = new ConcurrentHashMap<>();
  private final ConcurrentMap<TokenKey, Object> loginLocks = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, VolumeState> volumes = new ConcurrentHashMap<>();

  VaultBackend(VaultPluginConfig config, BackendContext context) {
    this.config = config;
    this.clock = context.clock();
    this.defaultRefreshInterval = context.defaultRefreshInterval();
    this.log = LoggerFactory.getLogger(context.loggerName());
    this.client = new VaultClient(config, clock);
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
    evictExpiredTokens();

    VolumeState state = volumes.computeIfAbsent(request.volumeId(), id -> new VolumeState());
    synchronized (state) {
      if (state.endpoint != null && !state.endpoint.equals(endpoint)) {
        // another Vault (or namespace, or TLS setup) for the same volume: nothing carries over
        state.secrets.clear();
        state.retired.clear();
      }
      state.revokeOnUnpublish = attributes.revokeOnUnpublish();
      Session session = new Session(endpoint, attributes, request.pod(), podToken,
          request.deadline(), request.budget());
      try {
        Map<RequestKey, Secret> secrets = new LinkedHashMap<>();
        for (SecretObject object : attributes.objects()) {
          RequestKey key = RequestKey.of(object);
          if (!secrets.containsKey(key)) {
            secrets.put(key, obtain(state, key, object, session));
          }
        }
        state.retireAllBut(secrets.keySet());
        return material(attributes, secrets);
      } finally {
        if (session.key != null) {
          state.endpoint = endpoint;
          state.tokenKey = session.key;
        }
      }
    }
  }

  private Secret obtain(VolumeState state, RequestKey key, SecretObject object, Session session)
      throws BackendException {
    Secret cached = state.secrets.get(key);
    if (cached != null && cached.answer.leased()) {
      Instant now = clock.instant();
      if (now.isBefore(cached.renewFrom())) {
        return cached;
      }
      if (cached.answer.renewable() && now.isBefore(cached.expiresAt())) {
        try {
          long seconds = session.call(token -> client.renew(session.endpoint, token,
              cached.answer.leaseId(), cached.answer.leaseDuration(), session.deadline,
              session.budget));
          // under half a lease left means the lease nears its max TTL: switching now leaves
          // the old credential valid while the new one is rolled out
          if (seconds * 2 >= cached.answer.leaseDuration()) {
            Secret renewed = cached.renewed(clock.instant(), seconds);
            state.secrets.put(key, renewed);
            log.debug("renewed the lease of {}: {}s", object.apiPath(), seconds);
            return renewed;
          }
          log.info("the lease of {} nears its maximum TTL ({}s left); reading a new one",
              object.apiPath(), seconds);
        } catch (BackendException e) {
          if (e.isRetryable()) {
            throw e;
          }
          log.info("cannot renew the lease of {} ({}); reading a new one", object.apiPath(), e.getMessage());
        }
      }
    }
    Answer answer = session.call(token -> client.request(session.endpoint, token, object,
        session.deadline, session.budget));
    Secret fresh = new Secret(answer, clock.instant(), answer.leaseDuration());
    if (cached != null && cached.answer.leased()) {
      state.retired.add(cached);
    }
    state.secrets.put(key, fresh);
    return fresh;
  }

  private Material material(VaultAttributes attributes, Map<RequestKey, Secret> secrets)
      throws BackendException {
    List<MaterialFile> files = new ArrayList<>();
    Set<String> versions = new TreeSet<>();
    Instant refreshAt = null;
    Instant expiresAt = null;
    boolean anyUnleased = false;
    for (int i = 0; i < attributes.objects().size(); i++) {
      SecretObject object = attributes.objects().get(i);
      Secret secret = secrets.get(RequestKey.of(object));
      files.add(file(object, content(object, i, secret.answer.body())));
      JsonNode version = secret.answer.body().path("data").path("metadata").path("version");
      if (version.isIntegralNumber()) {
        versions.add(route(object.apiPath()) + "@" + version.asLong());
      }
      if (secret.answer.leased()) {
        refreshAt = earlier(refreshAt, secret.refreshAt());
        expiresAt = earlier(expiresAt, secret.expiresAt());
      } else {
        anyUnleased = true;
      }
    }
    Material material = Material.of(files);
    // without a lease (KV), the host's default refresh interval applies; a volume mixing both
    // refreshes its KV objects at that interval too, and its leased ones cost nothing until due
    if (refreshAt != null) {
      if (anyUnleased) {
        refreshAt = earlier(refreshAt, clock.instant().plus(defaultRefreshInterval));
      }
      material = material.withRefreshAt(refreshAt).withExpiresAt(expiresAt);
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
    if (state == null) {
      return;
    }
    synchronized (state) {
      if (!state.revokeOnUnpublish || state.endpoint == null) {
        return;
      }
      Instant now = clock.instant();
      List<Secret> leased = new ArrayList<>(state.retired);
      leased.addAll(state.secrets.values());
      leased.removeIf(secret -> !secret.answer.leased() || !now.isBefore(secret.expiresAt()));
      if (leased.isEmpty()) {
        return;
      }
      CachedToken token = state.tokenKey == null ? null : tokens.get(state.tokenKey);
      if (token == null || !token.validAt(now)) {
        throw new BackendException(UNAUTHENTICATED, "cannot revoke the " + leased.size()
            + " Vault lease(s) of volume " + volumeId + ": the pod's Vault token has expired"
            + " (unpublish carries no pod token to log in with); they end with their TTL");
      }
      Instant deadline = now.plus(config.requestTimeout());
      List<BackendException> failures = new ArrayList<>();
      for (Secret secret : leased) {
        try {
          client.revoke(state.endpoint, token.clientToken, secret.answer.leaseId(), deadline);
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
    loginLocks.clear();
    client.close();
  }

  private void evictExpiredTokens() {
    Instant now = clock.instant();
    tokens.entrySet().removeIf(entry -> {
      boolean expired = !entry.getValue().validAt(now)
          || entry.getValue().ttl.isZero() && !now.isBefore(entry.getKey().podTokenExpiresAt());
      if (expired) {
        loginLocks.remove(entry.getKey());
      }
      return expired;
    });
  }

  /** One fetch's access to Vault: logs in lazily, at most twice (once more after a 403). */
  private final class Session {
    final Endpoint endpoint;
    final VaultAttributes attributes;
    final Pod pod;
    final ServiceAccountToken podToken;
    final Instant deadline;
    /** Every answer of this fetch (logins, reads, writes, renewals) is charged to it. */
    final ByteBudget budget;
    TokenKey key;
    CachedToken current;
    boolean loggedInNow;

    Session(Endpoint endpoint, VaultAttributes attributes, Pod pod, ServiceAccountToken podToken,
        Instant deadline, ByteBudget budget) {
      this.endpoint = endpoint;
      this.attributes = attributes;
      this.pod = pod;
      this.podToken = podToken;
      this.deadline = deadline;
      this.budget = budget;
    }

    <T> T call(VaultCall<T> call) throws BackendException {
      String token = token();
      try {
        return call.run(token);
      } catch (BackendException e) {
        if (e.kind() != PERMISSION_DENIED || loggedInNow) {
          throw e;
        }
        // a reused token may have been revoked in Vault: log in once more, then give up
        log.debug("Vault refused a reused token for pod {}/{}; logging in again",
            pod.namespace(), pod.name());
        tokens.remove(key, current);
        current = null;
        return call.run(token());
      }
    }

    private String token() throws BackendException {
      if (current != null) {
        return current.clientToken;
      }
      key = new TokenKey(endpoint.address(), endpoint.namespace().orElse(""),
          attributes.authMountPath(), attributes.roleName(), attributes.audience(), pod.uid(),
          podToken.expiresAt());
      synchronized (loginLocks.computeIfAbsent(key, k -> new Object())) {
        Instant now = clock.instant();
        CachedToken cached = tokens.get(key);
        if (cached != null && now.isBefore(cached.reuseUntil())) {
          current = cached;
          return cached.clientToken;
        }
        Login login = client.login(endpoint, attributes.authMountPath(), attributes.roleName(),
            podToken.token(), deadline, budget);
        current = new CachedToken(login.clientToken(), clock.instant(), login.ttl());
        loggedInNow = true;
        tokens.put(key, current);
        log.debug("logged in to Vault at {} as pod {}/{} with role {} (token TTL {})",
            endpoint.address(), pod.namespace(), pod.name(), attributes.roleName(), login.ttl());
        return current.clientToken;
      }
    }
  }

  @FunctionalInterface
  private interface VaultCall<T> {
    T run(String vaultToken) throws BackendException;
  }

  /**
   * What a Vault token is reused for: the same pod token (pod, audience, expiry), role, mount and
   * Vault. The audience is part of it so that a volume whose own token Vault would refuse never
   * rides on another volume's login.
   */
  private record TokenKey(String address, String namespace, String mount, String role,
      String audience, String podUid, Instant podTokenExpiresAt) {}

  /** A Vault token; never shown. */
  private static final class CachedToken {
    final String clientToken;
    final Instant obtainedAt;
    final Duration ttl;

    CachedToken(String clientToken, Instant obtainedAt, Duration ttl) {
      this.clientToken = clientToken;
      this.obtainedAt = obtainedAt;
      this.ttl = ttl;
    }

    Instant reuseUntil() {
      return ttl.isZero() ? Instant.MAX : obtainedAt.plus(ttl.multipliedBy(2).dividedBy(3));
    }

    boolean validAt(Instant now) {
      return ttl.isZero() || now.isBefore(obtainedAt.plus(ttl));
    }

    @Override
    public String toString() {
      return "CachedToken[<redacted>, obtainedAt=" + obtainedAt + ", ttl=" + ttl + "]";
    }
  }

  /** The same path, method and arguments within a volume is one request (one credential). */
  private record RequestKey(String apiPath, String method, String secretArgs) {
    static RequestKey of(SecretObject object) throws BackendException {
      return new RequestKey(object.apiPath(), object.method(),
          new String(object.requestBody(), UTF_8));
    }
  }

  /** An answer and the lease clock that started when it arrived or was last renewed. */
  private record Secret(Answer answer, Instant leaseStart, long leaseSeconds) {
    Instant refreshAt() {
      return leaseStart.plusMillis(leaseSeconds * 1000 * 2 / 3);
    }

    Instant renewFrom() {
      return leaseStart.plusMillis((long) (leaseSeconds * 1000 * RENEW_FRACTION));
    }

    Instant expiresAt() {
      return leaseStart.plusSeconds(leaseSeconds);
    }

    Secret renewed(Instant now, long seconds) {
      return new Secret(answer, now, seconds);
    }
  }

  /** Per volume: current answers by request, leases replaced since, and how to revoke them. */
  private static final class VolumeState {
    final Map<RequestKey, Secret> secrets = new LinkedHashMap<>();
    final List<Secret> retired = new ArrayList<>();
    boolean revokeOnUnpublish;
    Endpoint endpoint;
    TokenKey tokenKey;

    void retireAllBut(Set<RequestKey> keep) {
      secrets.entrySet().removeIf(entry -> {
        boolean drop = !keep.contains(entry.getKey());
        if (drop && entry.getValue().answer.leased()) {
          retired.add(entry.getValue());
        }
        return drop;
      });
    }
  }
}
