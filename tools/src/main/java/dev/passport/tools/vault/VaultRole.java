package dev.passport.tools.vault;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * A role of a Kubernetes or JWT auth mount of {@link VaultDevServer}: which service accounts may
 * log in with it, for which token audience, and what the Vault token it issues may do.
 *
 * @param name the role name a login names ({@code role})
 * @param serviceAccountNames bound service account names; {@code "*"} allows any
 * @param namespaces bound Kubernetes namespaces; {@code "*"} allows any
 * @param audience the audience the pod token must carry; empty: the role sets none, so Vault's
 *     TokenReview checks the token against the API server's own audience, which the testkit mints
 *     for kubelet's {@code audience: ""} token request: a {@code vault}-audience token is refused
 * @param policies the policies of the issued Vault token (see {@link VaultDevServer#definePolicy})
 * @param tokenTtl the issued token's {@code lease_duration}
 * @param tokenMaxTtl how long renewals may extend the token from its login (Vault's
 *     {@code token_max_ttl}; by default the system's 768 h)
 */
public record VaultRole(
    String name,
    Set<String> serviceAccountNames,
    Set<String> namespaces,
    String audience,
    List<String> policies,
    Duration tokenTtl,
    Duration tokenMaxTtl) {

  /** Vault's system default {@code max_lease_ttl}. */
  public static final Duration SYSTEM_MAX_TTL = Duration.ofHours(768);

  /** Checks presence and copies the collections. */
  public VaultRole {
    requireNonNull(name, "name is null");
    serviceAccountNames = Set.copyOf(requireNonNull(serviceAccountNames, "serviceAccountNames is null"));
    namespaces = Set.copyOf(requireNonNull(namespaces, "namespaces is null"));
    requireNonNull(audience, "audience is null");
    policies = List.copyOf(requireNonNull(policies, "policies is null"));
    requireNonNull(tokenTtl, "tokenTtl is null");
    if (tokenTtl.isNegative()) {
      throw new IllegalArgumentException("tokenTtl is " + tokenTtl + ", must not be negative");
    }
    requireNonNull(tokenMaxTtl, "tokenMaxTtl is null");
    if (tokenMaxTtl.compareTo(tokenTtl) < 0) {
      throw new IllegalArgumentException("tokenMaxTtl " + tokenMaxTtl + " is shorter than tokenTtl " + tokenTtl);
    }
  }

  /**
   * A role binding one service account of one namespace, audience {@code vault}, policy
   * {@code default}, tokens valid for one hour.
   */
  public static VaultRole of(String name, String namespace, String serviceAccount) {
    return new VaultRole(name, Set.of(serviceAccount), Set.of(namespace), "vault",
        List.of("default"), Duration.ofHours(1), SYSTEM_MAX_TTL);
  }

  /** A copy requiring pod tokens for {@code audience}. */
  public VaultRole withAudience(String audience) {
    return new VaultRole(name, serviceAccountNames, namespaces, audience, policies, tokenTtl, tokenMaxTtl);
  }

  /** A copy that sets no audience: only tokens for the API server's audience log in. */
  public VaultRole withoutAudience() {
    return withAudience("");
  }

  /** A copy whose tokens renew up to {@code maxTtl} after login. */
  public VaultRole withTokenMaxTtl(Duration maxTtl) {
    return new VaultRole(name, serviceAccountNames, namespaces, audience, policies, tokenTtl, maxTtl);
  }

  /** A copy issuing tokens with these policies. */
  public VaultRole withPolicies(String... policies) {
    return new VaultRole(name, serviceAccountNames, namespaces, audience, List.of(policies), tokenTtl,
        tokenMaxTtl);
  }

  /** A copy issuing tokens valid for {@code ttl} ({@link Duration#ZERO}: never expiring). */
  public VaultRole withTokenTtl(Duration ttl) {
    return new VaultRole(name, serviceAccountNames, namespaces, audience, policies, ttl,
        tokenMaxTtl.compareTo(ttl) < 0 ? ttl : tokenMaxTtl);
  }

  boolean binds(String serviceAccount, String namespace) {
    return matches(serviceAccountNames, serviceAccount) && matches(namespaces, namespace);
  }

  boolean bindsServiceAccount(String serviceAccount) {
    return matches(serviceAccountNames, serviceAccount);
  }

  private static boolean matches(Set<String> allowed, String value) {
    return allowed.contains("*") || allowed.contains(value);
  }
}
