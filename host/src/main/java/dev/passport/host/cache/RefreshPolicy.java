package dev.passport.host.cache;

import dev.passport.api.Material;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * When fetched material is due again: the plugin's {@code refreshAt} (2/3 of a certificate's or a
 * lease's lifetime), or {@code --refresh-interval} for static secrets, with ±10 % jitter so that
 * thousands of nodes do not refresh in lockstep.
 */
final class RefreshPolicy {

  static final double JITTER = 0.10;

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

  Instant refreshAt(Material material, Instant fetchedAt) {
    Instant planned = material.refreshAt().orElse(fetchedAt.plus(defaultInterval));
    Duration interval = Duration.between(fetchedAt, planned);
    if (interval.isNegative() || interval.isZero()) {
      // Material already due (a plugin's clock skew, or an expired lease): never refetch in a loop.
      return fetchedAt.plus(Duration.ofSeconds(1));
    }
    double factor = 1 + JITTER * (2 * random.getAsDouble() - 1);
    return fetchedAt.plusMillis(Math.round(interval.toMillis() * factor));
  }

  Duration defaultInterval() {
    return defaultInterval;
  }
}
