package dev.passport.support;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The one duration syntax of Passport, for the CLI, every plugin's properties and every volume
 * attribute: Go's {@code time.ParseDuration} form ({@code 90s}, {@code 5m}, {@code 1h30m},
 * {@code 1.5h}, {@code 300ms}), which the incumbents' parameters use, and ISO-8601
 * ({@code PT5M}, {@code P1D}).
 */
public final class Durations {

  /** What an error message suggests. */
  public static final String EXAMPLES = "e.g. 90s, 5m, 1h30m or ISO-8601 PT5M";

  // Go's units; the scanner reads a whole unit word, so "ms" is never "m" then "s".
  private static final Map<String, Long> NANOS_PER_UNIT = Map.of(
      "ns", 1L,
      "us", 1_000L,
      "\u00b5s", 1_000L,
      "\u03bcs", 1_000L,
      "ms", 1_000_000L,
      "s", 1_000_000_000L,
      "m", 60_000_000_000L,
      "h", 3_600_000_000_000L);

  private Durations() {}

  /**
   * Parses {@code text} (surrounding blanks ignored); a sign is allowed, as in Go.
   *
   * @throws IllegalArgumentException naming the text and the accepted forms
   */
  public static Duration parse(String text) {
    requireNonNull(text, "text is null");
    return tryParse(text).orElseThrow(() -> new IllegalArgumentException(
        "\"" + text + "\" is not a duration; write " + EXAMPLES));
  }

  /** The duration, or empty when {@code text} is in neither syntax. */
  public static Optional<Duration> tryParse(String text) {
    String s = text.strip();
    if (s.isEmpty()) {
      return Optional.empty();
    }
    char first = s.charAt(s.charAt(0) == '-' || s.charAt(0) == '+' ? Math.min(1, s.length() - 1) : 0);
    if (first == 'P' || first == 'p') {
      try {
        return Optional.of(Duration.parse(s.toUpperCase(Locale.ROOT)));
      } catch (DateTimeParseException e) {
        return Optional.empty();
      }
    }
    return parseGo(s);
  }

  private static Optional<Duration> parseGo(String text) {
    String s = text;
    boolean negative = false;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      negative = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Optional.of(Duration.ZERO);
    }
    if (s.isEmpty()) {
      return Optional.empty();
    }
    BigDecimal nanos = BigDecimal.ZERO;
    int i = 0;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      String number = s.substring(start, i);
      if (number.isEmpty() || number.equals(".") || number.indexOf('.') != number.lastIndexOf('.')
          || number.length() > 30) {
        return Optional.empty();
      }
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      Long perUnit = NANOS_PER_UNIT.get(s.substring(unitStart, i));
      if (perUnit == null) {
        return Optional.empty();
      }
      nanos = nanos.add(new BigDecimal(number).multiply(BigDecimal.valueOf(perUnit)));
      if (nanos.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
        return Optional.empty(); // Go's limit: about 292 years
      }
    }
    Duration duration = Duration.ofNanos(nanos.longValue());
    return Optional.of(negative ? duration.negated() : duration);
  }

  /**
   * Go's {@code Duration.String()}, e.g. {@code 2160h0m0s} or {@code 1.5s}: the form Kubernetes
   * APIs written in Go (cert-manager's CertificateRequest {@code spec.duration}) carry.
   */
  public static String formatGo(Duration duration) {
    requireNonNull(duration, "duration is null");
    if (duration.isZero()) {
      return "0s";
    }
    StringBuilder out = new StringBuilder();
    Duration d = duration;
    if (d.isNegative()) {
      out.append('-');
      d = d.negated();
    }
    if (d.compareTo(Duration.ofSeconds(1)) < 0) {
      return out.append(d.toNanos()).append("ns").toString();
    }
    long hours = d.toHours();
    int minutes = d.toMinutesPart();
    int seconds = d.toSecondsPart();
    int nanos = d.toNanosPart();
    if (hours > 0) {
      out.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      out.append(minutes).append('m');
    }
    out.append(seconds);
    if (nanos > 0) {
      out.append('.').append(String.format(Locale.ROOT, "%09d", nanos).replaceAll("0+$", ""));
    }
    return out.append('s').toString();
  }
}
