package dev.passport.host.cache;

import dev.passport.api.Material;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * When fetched material is due again: the plugin's {@code refreshAt} (2/3 of a lease's lifetime, a
 * certificate's {@code notAfter − renew-before}), or {@code --refresh-interval} for static secrets,
 * moved earlier by up to 10 % of the interval so that thousands of nodes do not refresh in
 * lockstep. Never later: a plugin's {@code refreshAt} is a deadline (csi-driver renews at exactly
 * {@code notAfter − renew-before}), and jitter around it made some renewals late by up to a tenth
 * of the lifetime (issue 15).
 */
final class RefreshPolicy {

  /** The share of the interval before {@code refreshAt} that refreshes are spread over. */
  static final double JITTER = 0.10;

  /** Material already due when fetched is fetched again no sooner than this, never in a loop. */
  static final Duration ALREADY_DUE_DELAY = Duration.ofSeconds(1);

  private final Duration defaultInterval;
  private final DoubleSupplier random;

  /** @param random uniform in [0, 1) */
  RefreshPolicy(Duration defaultInterval, DoubleSupplier random) {
    if (defaultInterval.isNegative() || defaultInterval.isZero()) {
      throw new IllegalArgumentException("refresh interval must be positive, got " + defaultInterval);
    }
    this.defaultInterval = defaultInterval;
    this.random = random;
  }

  /**
   * The refresh instant for material fetched at {@code fetchedAt}: within
   * {@code [planned − 10 % of (planned − fetchedAt), planned]}, where {@code planned} is the
   * plugin's {@code refreshAt} or the default interval after {@code fetchedAt}.
   */
  Instant refreshAt(Material material, Instant fetchedAt) {
    Instant planned = material.refreshAt().orElse(fetchedAt.plus(defaultInterval));
    Duration interval = Duration.between(fetchedAt, planned);
    if (interval.isNegative() || interval.isZero()) {
      // Material already due (a plugin's clock skew, or an expired lease): never refetch in a loop.
      return fetchedAt.plus(ALREADY_DUE_DELAY);
    }
    long earlierMillis = (long) Math.floor(interval.toMillis() * JITTER * random.getAsDouble());
    return planned.minusMillis(earlierMillis);
  }

  Duration defaultInterval() {
    return defaultInterval;
  }
}
