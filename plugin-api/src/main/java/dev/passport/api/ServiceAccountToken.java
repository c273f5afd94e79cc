package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A bound service-account token kubelet issued for the pod and one audience.
 *
 * <p>The token is a secret: {@link #toString()} never shows it. Never log it, never put it into an
 * exception message, never write it to disk.
 */
public final class ServiceAccountToken {

  private final String token;
  private final Instant expiresAt;

  private ServiceAccountToken(String token, Instant expiresAt) {
    this.token = requireNonNull(token, "token is null");
    this.expiresAt = requireNonNull(expiresAt, "expiresAt is null");
    if (token.isBlank()) {
      throw new IllegalArgumentException("token is blank");
    }
  }

  /**
   * A token.
   *
   * @param token the JWT, not blank
   * @param expiresAt when it expires ({@code expirationTimestamp} in kubelet's JSON)
   */
  public static ServiceAccountToken of(String token, Instant expiresAt) {
    return new ServiceAccountToken(token, expiresAt);
  }

  /** The JWT. A secret. */
  public String token() {
    return token;
  }

  /** When the token expires. */
  public Instant expiresAt() {
    return expiresAt;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServiceAccountToken other && token.equals(other.token)
        && expiresAt.equals(other.expiresAt);
  }

  @Override
  public int hashCode() {
    return 31 * token.hashCode() + expiresAt.hashCode();
  }

  /** Shows the expiry only; the token is redacted. */
  @Override
  public String toString() {
    return "ServiceAccountToken[token=<redacted>, expiresAt=" + expiresAt + "]";
  }
}
