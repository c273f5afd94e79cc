package dev.passport.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that tests move by hand, so refresh, expiry and token rotation are tested without
 * sleeping. Thread-safe: the host's threads read it while the test moves it.
 *
 * <p>Clocks derived with {@link #withZone} share this clock's instant.
 */
public final class FakeClock extends Clock {

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  private FakeClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  /** A clock standing at {@code instant}, in UTC. */
  public static FakeClock at(Instant instant) {
    return new FakeClock(new AtomicReference<>(requireNonNull(instant, "instant is null")),
        ZoneOffset.UTC);
  }

  /** Moves the clock forward by {@code duration}. */
  public void advance(Duration duration) {
    requireNonNull(duration, "duration is null");
    if (duration.isNegative()) {
      throw new IllegalArgumentException(
          "duration is " + duration + ", must not be negative: use set() to go back in time");
    }
    now.updateAndGet(t -> t.plus(duration));
  }

  /** Puts the clock at {@code instant}, forward or back. */
  public void set(Instant instant) {
    now.set(requireNonNull(instant, "instant is null"));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new FakeClock(now, requireNonNull(zone, "zone is null"));
  }

  @Override
  public String toString() {
    return "FakeClock[" + now.get() + ", " + zone + "]";
  }
}
