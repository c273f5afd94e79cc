package dev.passport.tools.vault;

/**
 * One request {@link VaultDevServer} received. Holds no token, JWT or body.
 *
 * @param method the HTTP method
 * @param path the API path without {@code /v1/}, with its query string if any, e.g.
 *     {@code secret/data/app?version=2}
 * @param namespace the {@code X-Vault-Namespace} header without surrounding slashes; empty for
 *     the root namespace
 * @param kind what the request was
 */
public record VaultRequest(String method, String path, String namespace, Kind kind) {

  /** What a request was, for counting. */
  public enum Kind {
    /** {@code auth/<mount>/login}. */
    LOGIN,
    /** A secret fetch: KV read or write, database credentials, PKI issue. */
    READ,
    /** {@code sys/leases/renew}. */
    RENEW,
    /** {@code sys/leases/revoke}. */
    REVOKE,
    /** {@code auth/token/renew-self}. */
    TOKEN_RENEW,
    /** {@code auth/token/revoke-self}. */
    TOKEN_REVOKE,
    /** Anything else. */
    OTHER
  }
}
