package dev.passport.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FakeClockTest {

  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void advance_movesTheInstantForward() {
    FakeClock clock = FakeClock.at(T0);

    clock.advance(Duration.ofMinutes(75));

    assertThat(clock.instant()).isEqualTo(T0.plus(Duration.ofMinutes(75)));
    assertThat(clock.millis()).isEqualTo(clock.instant().toEpochMilli());
  }

  @Test
  void advance_negative_isRejectedPointingAtSet() {
    FakeClock clock = FakeClock.at(T0);

    assertThatThrownBy(() -> clock.advance(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("set()");
  }

  @Test
  void set_goesBackInTime() {
    FakeClock clock = FakeClock.at(T0);

    clock.set(T0.minusSeconds(10));

    assertThat(clock.instant()).isEqualTo(T0.minusSeconds(10));
  }

  @Test
  void withZone_sharesTheInstantWithItsOrigin() {
    FakeClock clock = FakeClock.at(T0);
    Clock paris = clock.withZone(ZoneId.of("Europe/Paris"));

    clock.advance(Duration.ofHours(1));

    assertThat(paris.instant()).isEqualTo(T0.plus(Duration.ofHours(1)));
    assertThat(paris.getZone()).isEqualTo(ZoneId.of("Europe/Paris"));
    assertThat(clock.getZone()).isEqualTo(ZoneId.of("Z"));
  }

  @Test
  void advance_fromManyThreads_losesNoStep() throws Exception {
    FakeClock clock = FakeClock.at(T0);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < 4; t++) {
        futures.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < 1000; i++) {
            clock.advance(Duration.ofSeconds(1));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> future : futures) {
        future.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(clock.instant()).isEqualTo(T0.plusSeconds(4000));
  }
}
