package dev.passport.host.cache;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Per-volume exponential backoff after failed refreshes: 5 s doubling to 5 min, ±20 % jitter.
 * Republishes inside the window are answered without calling the backend, which protects a
 * struggling backend from kubelet's own retries.
 */
final class Backoff {

  static final Duration INITIAL = Duration.ofSeconds(5);
  static final Duration MAX = Duration.ofMinutes(5);
  static final double JITTER = 0.20;

  private final DoubleSupplier random;

  /** @param random uniform in [0, 1) */
  Backoff(DoubleSupplier random) {
    this.random = random;
  }

  /** The wait after the {@code failures}-th consecutive failure (1-based). */
  Duration delay(int failures) {
    long base = INITIAL.toMillis() << Math.min(Math.max(failures - 1, 0), 16);
    long capped = Math.min(base, MAX.toMillis());
    double factor = 1 + JITTER * (2 * random.getAsDouble() - 1);
    return Duration.ofMillis(Math.round(capped * factor));
  }
}
