package dev.passport.host.cli;

import dev.passport.support.Durations;
import java.time.Duration;
import picocli.CommandLine;

/**
 * Reads durations as the plugins do ({@link Durations}): Go style ({@code 500ms}, {@code 90s},
 * {@code 1h30m}) or ISO-8601 ({@code PT1H30M}), so operators meet one syntax everywhere.
 */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {

  @Override
  public Duration convert(String value) {
    return Durations.tryParse(value).orElseThrow(() -> new CommandLine.TypeConversionException(
        "'" + value + "' is not a duration; write " + Durations.EXAMPLES));
  }
}
