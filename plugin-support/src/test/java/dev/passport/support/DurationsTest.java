package dev.passport.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

  @ParameterizedTest
  @CsvSource({
      "90s, PT1M30S",
      "5m, PT5M",
      "1h30m, PT1H30M",
      "1.5h, PT1H30M",
      "300ms, PT0.3S",
      "2h45m0.5s, PT2H45M0.5S",
      "720h, PT720H",
      "0, PT0S",
      "-5m, PT-5M",
      "1us, PT0.000001S",
      "PT5M, PT5M",
      "pt1h, PT1H",
      "P1D, PT24H",
      "' 90s ', PT1M30S"
  })
  void parse_goAndIsoForms_giveTheSameDuration(String text, String iso) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "30", "5 m", "1x", "h", ".s", "1..5s", "P", "PT", "1h-5m", "abc",
      "9999999999999999999h"})
  void parse_anythingElse_isRefusedNamingBothForms(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("90s").hasMessageContaining("PT5M");
  }

  @ParameterizedTest
  @CsvSource({"PT2160H, 2160h0m0s", "PT1.5S, 1.5s", "PT0S, 0s", "PT0.5S, 500000000ns",
      "PT1M, 1m0s", "PT-1H, -1h0m0s"})
  void formatGo_isGoString(String iso, String go) {
    assertThat(Durations.formatGo(Duration.parse(iso))).isEqualTo(go);
  }
}
