package dev.passport.plugins.vault;

import dev.passport.api.BackendException;
import dev.passport.api.ByteBudget;
import dev.passport.api.ServiceAccountToken;
import dev.passport.plugins.vault.VaultClient.Endpoint;
import dev.passport.plugins.vault.VaultClient.Login;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;

/**
 * The pods' Vault tokens (issue 16, item 5). One per pod, role, auth mount, audience and Vault,
 * shared by the pod's volumes, and kept across kubelet's rotations of the pod token: the Vault
 * token's own TTL decides, not the pod token's. At 2/3 of its TTL a renewable token is renewed
 * ({@code renew-self}); a fresh login happens only when it cannot be (not renewable, refused, or
 * near its max TTL), and the token it replaces is revoked ({@code revoke-self}), as is the token of
 * a pod's last released volume. So a pod costs Vault one login per token max TTL and leaves no
 * live tokens behind. Tokens never leave this class except to go into a request header.
 */
final class VaultTokens {

  /** What a Vault token is for. The audience is part of it: a volume never rides on a login its own token would not get. */
  record Key(String address, String namespace, String mount, String role, String audience,
      String podUid) {}

  private final VaultClient client;
  private final Clock clock;
  private final Logger log;
  private final Duration revokeTimeout;
  private final ConcurrentMap<Key, Held> held = new ConcurrentHashMap<>();

  VaultTokens(VaultClient client, Clock clock, Logger log, Duration revokeTimeout) {
    this.client = client;
    this.clock = clock;
    this.log = log;
    this.revokeTimeout = revokeTimeout;
  }

  /**
   * A token for {@code key} that volume {@code volumeId} may use now: the held one, renewed when
   * due, or a fresh login with {@code podToken}.
   *
   * @param refused a token Vault just refused (403) for this key, which must not be handed out
   *     again; null otherwise
   */
  Grant token(Key key, String volumeId, Endpoint endpoint, ServiceAccountToken podToken,
      Instant deadline, ByteBudget budget, String refused) throws BackendException {
    Held current = held.computeIfAbsent(key, k -> new Held());
    synchronized (current) {
      current.volumes.add(volumeId);
      Instant now = clock.instant();
      if (current.token != null && current.token.clientToken().equals(refused)) {
        current.token = null; // revoked in Vault, or its policy changed: nothing to revoke
      }
      if (current.token != null && current.validAt(now)) {
        if (now.isBefore(current.renewAt())) {
          return new Grant(current.token.clientToken(), false);
        }
        if (current.token.renewable() && renewed(current, endpoint, deadline, budget)) {
          return new Grant(current.token.clientToken(), false);
        }
      }
      Login replaced = current.validAt(now) ? current.token : null;
      Login login = client.login(endpoint, key.mount(), key.role(), podToken.token(), deadline, budget);
      current.replace(login, endpoint, clock.instant(), podToken.expiresAt());
      log.debug("logged in to Vault at {} with role {} for pod {} (token TTL {})",
          endpoint.address(), key.role(), key.podUid(), login.ttl());
      if (replaced != null) {
        revoke(endpoint, replaced);
      }
      return new Grant(login.clientToken(), true);
    }
  }

  /** A token to send, and whether it comes from a login just now (then a 403 is Vault's final word). */
  record Grant(String clientToken, boolean loggedIn) {
    @Override
    public String toString() {
      return "Grant[<redacted>, loggedIn=" + loggedIn + "]";
    }
  }

  /**
   * Renews the token held for {@code key} now when it would expire before {@code until}, the
   * latest the host fetches the volume again: a token is only used during fetches, and one that
   * expires between two of them costs a login. Best effort; a failure leaves the next fetch to
   * renew or log in.
   */
  void keepUntil(Key key, Instant until, Endpoint endpoint, Instant deadline, ByteBudget budget) {
    Held current = held.get(key);
    if (current == null) {
      return;
    }
    synchronized (current) {
      Instant now = clock.instant();
      if (current.token == null || !current.validAt(now) || !current.token.renewable()
          || current.token.ttl().isZero() || !current.expiresAt().isBefore(until)) {
        return;
      }
      try {
        renewed(current, endpoint, deadline, budget);
      } catch (BackendException e) {
        log.debug("could not renew the pod's Vault token ahead of the next fetch ({})", e.getMessage());
      }
    }
  }

  /** Renews the held token; false when a new login is needed instead. */
  private boolean renewed(Held current, Endpoint endpoint, Instant deadline, ByteBudget budget)
      throws BackendException {
    try {
      Login renewal = client.renewSelf(endpoint, current.token.clientToken(), current.loginTtl,
          deadline, budget);
      // under half of the login's TTL granted: the token nears its max TTL; a new one is due
      if (renewal.ttl().multipliedBy(2).compareTo(current.loginTtl) < 0) {
        log.debug("the pod's Vault token nears its max TTL ({} left); logging in again", renewal.ttl());
        return false;
      }
      current.token = renewal;
      current.obtainedAt = clock.instant();
      return true;
    } catch (BackendException e) {
      if (e.isRetryable()) {
        throw e;
      }
      log.debug("Vault did not renew the pod's Vault token ({}); logging in again", e.getMessage());
      return false;
    }
  }

  /** The valid token held for {@code key}, if any, e.g. to revoke leases on unpublish. */
  Optional<String> current(Key key) {
    Held current = held.get(key);
    if (current == null) {
      return Optional.empty();
    }
    synchronized (current) {
      return current.token != null && current.validAt(clock.instant())
          ? Optional.of(current.token.clientToken()) : Optional.empty();
    }
  }

  /**
   * Volume {@code volumeId} no longer uses its tokens: each token no other volume uses is revoked
   * and forgotten.
   */
  void release(String volumeId) {
    for (var entry : held.entrySet()) {
      Held current = entry.getValue();
      synchronized (current) {
        if (!current.volumes.remove(volumeId) || !current.volumes.isEmpty()) {
          continue;
        }
        held.remove(entry.getKey(), current);
        if (current.token != null && current.validAt(clock.instant())) {
          revoke(current.endpoint, current.token);
        }
        current.token = null;
      }
    }
  }

  /** Forgets tokens past their TTL (nothing to revoke) so that memory follows the live pods. */
  void evictExpired() {
    Instant now = clock.instant();
    held.entrySet().removeIf(entry -> {
      Held current = entry.getValue();
      synchronized (current) {
        return current.token != null && !current.validAt(now);
      }
    });
  }

  /** Best effort: a token that cannot be revoked still ends with its TTL. */
  private void revoke(Endpoint endpoint, Login token) {
    try {
      client.revokeSelf(endpoint, token.clientToken(), clock.instant().plus(revokeTimeout));
    } catch (BackendException e) {
      log.info("could not revoke a replaced Vault token at {} ({}); it ends with its TTL",
          endpoint.address(), VaultErrors.scrub(e.getMessage(), List.of(token.clientToken())));
    }
  }

  void clear() {
    held.clear();
  }

  /** Guarded by itself. */
  private static final class Held {
    final Set<String> volumes = new HashSet<>();
    Login token;
    Endpoint endpoint;
    Instant obtainedAt;
    /** What the login granted: renewals ask for as much again. */
    Duration loginTtl;
    /** A token without a TTL is not kept past the pod token it was obtained with. */
    Instant podTokenExpiresAt;

    void replace(Login login, Endpoint endpoint, Instant now, Instant podTokenExpiresAt) {
      this.token = login;
      this.endpoint = endpoint;
      this.obtainedAt = now;
      this.loginTtl = login.ttl();
      this.podTokenExpiresAt = podTokenExpiresAt;
    }

    boolean validAt(Instant now) {
      if (token == null) {
        return false;
      }
      return token.ttl().isZero()
          ? now.isBefore(podTokenExpiresAt)
          : now.isBefore(obtainedAt.plus(token.ttl()));
    }

    Instant expiresAt() {
      return obtainedAt.plus(token.ttl());
    }

    Instant renewAt() {
      return token.ttl().isZero() ? Instant.MAX : obtainedAt.plus(token.ttl().multipliedBy(2).dividedBy(3));
    }

    @Override
    public String toString() {
      return "Held[token=<redacted>, volumes=" + volumes.size() + "]";
    }
  }
}
