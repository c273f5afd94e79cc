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
  void refreshAt_staticMaterial_usesDefaultIntervalWithinTenPercent() {
    assertThat(policy(0.0).refreshAt(Material.of(List.of()), NOW)).isEqualTo(NOW.plusSeconds(270));
    assertThat(policy(0.5).refreshAt(Material.of(List.of()), NOW)).isEqualTo(NOW.plusSeconds(300));
    assertThat(policy(0.999999).refreshAt(Material.of(List.of()), NOW))
        .isBetween(NOW.plusSeconds(329), NOW.plusSeconds(330));
  }

  @Test
  void refreshAt_pluginSaysWhen_jittersAroundIt() {
    Material lease = Material.of(List.of()).withRefreshAt(NOW.plus(Duration.ofMinutes(20)));
    assertThat(policy(0.0).refreshAt(lease, NOW)).isEqualTo(NOW.plus(Duration.ofMinutes(18)));
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
