package dev.passport.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TestBackendContextTest {

  @Test
  void create_givesTheDocumentedDefaults() {
    try (TestBackendContext context = TestBackendContext.create()) {
      assertThat(context.nodeId()).isEqualTo("test-node");
      assertThat(context.defaultRefreshInterval()).isEqualTo(Duration.ofMinutes(5));
      assertThat(context.loggerName()).isEqualTo("dev.passport.plugins.test");
      assertThat(context.clock()).isInstanceOf(FakeClock.class);
      assertThat(Duration.between(context.clock().instant(), Instant.now()).abs())
          .isLessThan(Duration.ofHours(1));
    }
  }

  @Test
  void builder_settingsReachTheBackend() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-01-01T00:00:00Z"));
    try (TestBackendContext context = TestBackendContext.builder()
        .clock(clock)
        .nodeId("node-7")
        .loggerName("dev.passport.plugins.vault")
        .defaultRefreshInterval(Duration.ofSeconds(30))
        .build()) {
      assertThat(context.fakeClock()).isSameAs(clock);
      assertThat(context.nodeId()).isEqualTo("node-7");
      assertThat(context.loggerName()).isEqualTo("dev.passport.plugins.vault");
      assertThat(context.defaultRefreshInterval()).isEqualTo(Duration.ofSeconds(30));
    }
  }

  @Test
  void apiVersion_isTheVersionThePluginIsTestedAgainst() {
    assertThat(TestBackendContext.create().apiVersion()).isEqualTo(dev.passport.api.PluginApi.VERSION);
  }

  @Test
  void fakeClock_withARealClock_saysWhichClockItHas() {
    try (TestBackendContext context =
        TestBackendContext.builder().clock(Clock.systemUTC()).build()) {
      assertThatThrownBy(context::fakeClock)
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not a FakeClock");
    }
  }

  @Test
  void builder_nonPositiveRefresh_isRejected() {
    assertThatThrownBy(() -> TestBackendContext.builder().defaultRefreshInterval(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("defaultRefreshInterval");
  }
}
