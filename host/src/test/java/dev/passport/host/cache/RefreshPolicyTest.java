package dev.passport.host.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.api.Material;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class RefreshPolicyTest {

  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");

  @Test
  void refreshAt_staticMaterial_isTheDefaultIntervalOrUpToTenPercentEarlier() {
    assertThat(policy(0.0).refreshAt(Material.of(List.of()), NOW)).isEqualTo(NOW.plusSeconds(300));
    assertThat(policy(0.5).refreshAt(Material.of(List.of()), NOW)).isEqualTo(NOW.plusSeconds(285));
    assertThat(policy(0.999999).refreshAt(Material.of(List.of()), NOW))
        .isBetween(NOW.plusSeconds(270), NOW.plusSeconds(271));
  }

  @Test
  void refreshAt_pluginSaysWhen_isNeverLaterThanIt() {
    Material lease = Material.of(List.of()).withRefreshAt(NOW.plus(Duration.ofMinutes(20)));
    assertThat(policy(0.0).refreshAt(lease, NOW)).isEqualTo(NOW.plus(Duration.ofMinutes(20)));
    assertThat(policy(0.999999).refreshAt(lease, NOW))
        .isBetween(NOW.plus(Duration.ofMinutes(18)), NOW.plus(Duration.ofMinutes(18)).plusMillis(1));
  }

  /**
   * Issue 15: with the jitter spread around the interval, 24 h certificates with 1 h renew-before
   * were renewed after notAfter 28 % of the time. Over many draws (a seeded source, the same every
   * run), every instant lies within the last tenth of the interval before the plugin's refreshAt,
   * for short and long certificates and for the default interval alike.
   */
  @Test
  void refreshAt_manyRandomDraws_alwaysWithinTheLastTenthBeforeRefreshAt() {
    java.util.Random seeded = new java.util.Random(15);
    RefreshPolicy policy = new RefreshPolicy(Duration.ofMinutes(5), seeded::nextDouble);
    List<Duration> intervals = List.of(Duration.ofSeconds(1), Duration.ofMinutes(1),
        Duration.ofMinutes(59), Duration.ofHours(23), Duration.ofDays(89),
        Duration.ofMillis(1), Duration.ofSeconds(7).plusNanos(123_456_789));
    for (int draw = 0; draw < 20_000; draw++) {
      Duration interval = intervals.get(draw % intervals.size());
      Instant planned = NOW.plus(interval);
      Instant scheduled = policy.refreshAt(Material.of(List.of()).withRefreshAt(planned), NOW);
      assertThat(scheduled).isBeforeOrEqualTo(planned)
          .isAfterOrEqualTo(planned.minus(interval.multipliedBy(1).dividedBy(10)).minusMillis(1));
      Instant byDefault = policy.refreshAt(Material.of(List.of()), NOW);
      assertThat(byDefault).isBeforeOrEqualTo(NOW.plusSeconds(300))
          .isAfterOrEqualTo(NOW.plusSeconds(270));
    }
  }

  @Test
  void refreshAt_alreadyDue_neverLoops() {
    Material due = Material.of(List.of()).withRefreshAt(NOW.minusSeconds(5));
    assertThat(policy(0.5).refreshAt(due, NOW)).isAfter(NOW);
  }

  @Test
  void backoff_doublesFromFiveSecondsToFiveMinutes() {
    Backoff backoff = new Backoff(() -> 0.5);
    assertThat(backoff.delay(1)).isEqualTo(Duration.ofSeconds(5));
    assertThat(backoff.delay(2)).isEqualTo(Duration.ofSeconds(10));
    assertThat(backoff.delay(7)).isEqualTo(Duration.ofMinutes(5));
    assertThat(backoff.delay(60)).isEqualTo(Duration.ofMinutes(5));
    assertThat(new Backoff(() -> 0.0).delay(1)).isEqualTo(Duration.ofSeconds(4));
  }

  private static RefreshPolicy policy(double random) {
    return new RefreshPolicy(Duration.ofMinutes(5), () -> random);
  }
}
