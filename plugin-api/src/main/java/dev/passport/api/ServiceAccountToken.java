package dev.passport.api;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A bound service-account token kubelet issued for the pod and one audience.
 *
 * <p>The token is a secret: {@link #toString()} never shows it. Never log it, never put it into an
 * exception message, never write it to disk.
 *
 * @param token the JWT
 * @param expiresAt when the token expires ({@code expirationTimestamp} in kubelet's JSON)
 */
public record ServiceAccountToken(String token, Instant expiresAt) {

  /** Checks that both fields are present and the token is not blank. */
  public ServiceAccountToken {
    requireNonNull(token, "token is null");
    requireNonNull(expiresAt, "expiresAt is null");
    if (token.isBlank()) {
      throw new IllegalArgumentException("token is blank");
    }
  }

  /** Shows the expiry only; the token is redacted. */
  @Override
  public String toString() {
    return "ServiceAccountToken[token=<redacted>, expiresAt=" + expiresAt + "]";
  }
}
