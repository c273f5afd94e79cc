package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

  @ParameterizedTest
  @CsvSource({
      "720h, PT720H",
      "1h30m, PT1H30M",
      "1.5h, PT1H30M",
      "90s, PT1M30S",
      "300ms, PT0.3S",
      "2h45m30.5s, PT2H45M30.5S",
      "0, PT0S",
      "-1m, PT-1M",
      "1us, PT0.000001S",
      "10ns, PT0.00000001S",
  })
  void parse_goSyntax_givesTheDuration(String text, String iso) {
    assertThat(GoDuration.parse(text)).contains(Duration.parse(iso));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "h", "30", "30d", "1h30", "1..5h", "P1D", "1 h", "-"})
  void parse_otherSyntax_isEmpty(String text) {
    assertThat(GoDuration.parse(text)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
      "PT2160H, 2160h0m0s",
      "PT1H30M, 1h30m0s",
      "PT45S, 45s",
      "PT1M, 1m0s",
      "PT1.5S, 1.5s",
      "PT0S, 0s",
  })
  void format_givesGosString(String iso, String go) {
    assertThat(GoDuration.format(Duration.parse(iso))).isEqualTo(go);
  }
}
