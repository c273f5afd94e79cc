package dev.passport.support;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Binds a string map — a plugin's {@code <id>.properties} or a volume's attributes — to typed
 * values, with the same rules and messages in every plugin.
 *
 * <p>Every accessor records its key as known; {@link #rejectUnknown()} (strict) or
 * {@link #unknownKeys()} (lenient, for a WARN) then reports what nobody asked for, naming the known
 * keys. A bad value is an {@link BackendException.Kind#INVALID_ARGUMENT} whose message names the
 * key, the value (never for {@link #secret} keys) and the rule. Blank values count as absent
 * unless {@link #blanksAreValues()} says otherwise.
 *
 * <pre>{@code
 * Settings config = Settings.config("vault.properties", map);
 * Duration timeout = config.duration("timeout", Duration.ofSeconds(30));
 * List<String> dirs = config.list("allowedCaDirectories");
 * config.rejectUnknown();
 * }</pre>
 */
public final class Settings {

  private final Map<String, String> values;
  private final String source;
  private final boolean attributes;
  private final boolean blanksAreValues;
  private final Set<String> known = new LinkedHashSet<>();

  private Settings(Map<String, String> values, String source, boolean attributes,
      boolean blanksAreValues) {
    this.values = Map.copyOf(requireNonNull(values, "values is null"));
    this.source = source;
    this.attributes = attributes;
    this.blanksAreValues = blanksAreValues;
  }

  /** Settings from a plugin's properties file; messages name the file, e.g. {@code vault.properties}. */
  public static Settings config(String fileName, Map<String, String> values) {
    return new Settings(values, requireNonNull(fileName, "fileName is null"), false, false);
  }

  /** A volume's attributes; messages say {@code volume attribute "name"}. */
  public static Settings attributes(Map<String, String> values) {
    return new Settings(values, "volume attributes", true, false);
  }

  /**
   * A copy in which a blank value counts as set, so that every accessor judges it (an empty
   * {@code mode} is not a mode) instead of falling back to its default: for strict sources where
   * writing a key with an empty value is a mistake to report, not a way to ask for the default.
   */
  public Settings blanksAreValues() {
    Settings copy = new Settings(values, source, attributes, true);
    copy.known.addAll(known);
    return copy;
  }

  /** How messages name {@code key}: {@code volume attribute "x"} or {@code vault.properties: "x"}. */
  public String describe(String key) {
    return attributes ? "volume attribute \"" + key + "\"" : source + ": \"" + key + "\"";
  }

  /** Whether {@code key} is set (blank counts as unset, unless {@link #blanksAreValues()}). */
  public boolean has(String key) {
    return optional(key).isPresent();
  }

  /** The raw value as written, if set and not blank (unless {@link #blanksAreValues()}). */
  public Optional<String> optional(String key) {
    known.add(requireNonNull(key, "key is null"));
    String value = values.get(key);
    return value == null || (value.isBlank() && !blanksAreValues)
        ? Optional.empty() : Optional.of(value);
  }

  /** The value, or {@code defaultValue} when unset. */
  public String string(String key, String defaultValue) {
    return optional(key).orElse(defaultValue);
  }

  /**
   * The value of a required key.
   *
   * @param hint what to write, e.g. {@code "the Vault role, e.g. app"}
   */
  public String required(String key, String hint) throws BackendException {
    return optional(key).orElseThrow(() -> BackendException.invalid(
        describe(key) + " is required: " + hint));
  }

  /** The value of a key whose value must never appear in a message (a password, a token). */
  public Optional<String> secret(String key) {
    return optional(key);
  }

  /** {@code true} or {@code false}, in any case. */
  public boolean bool(String key, boolean defaultValue) throws BackendException {
    Optional<String> value = optional(key);
    if (value.isEmpty()) {
      return defaultValue;
    }
    return switch (value.get().strip().toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw invalid(key, value.get(), "write true or false");
    };
  }

  /**
   * A boolean as Go's {@code strconv.ParseBool} reads it ({@code 1 t T TRUE true True}, {@code 0 f
   * F FALSE false False}): what the incumbents' parameters accept.
   */
  public boolean goBool(String key, boolean defaultValue) throws BackendException {
    Optional<String> value = optional(key);
    if (value.isEmpty()) {
      return defaultValue;
    }
    return switch (value.get().strip()) {
      case "1", "t", "T", "TRUE", "true", "True" -> true;
      case "0", "f", "F", "FALSE", "false", "False" -> false;
      default -> throw invalid(key, value.get(), "write true or false");
    };
  }

  /** A duration in {@link Durations} syntax, not negative. */
  public Optional<Duration> duration(String key) throws BackendException {
    Optional<String> value = optional(key);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    Optional<Duration> parsed = Durations.tryParse(value.get());
    if (parsed.isEmpty()) {
      throw invalid(key, value.get(), "write a duration, " + Durations.EXAMPLES);
    }
    if (parsed.get().isNegative()) {
      throw invalid(key, value.get(), "a duration must not be negative");
    }
    return parsed;
  }

  /** A duration, or {@code defaultValue} when unset. */
  public Duration duration(String key, Duration defaultValue) throws BackendException {
    return duration(key).orElse(defaultValue);
  }

  /** A duration that must be greater than zero, if set. */
  public Optional<Duration> positiveDuration(String key) throws BackendException {
    Optional<Duration> value = duration(key);
    if (value.filter(Duration::isZero).isPresent()) {
      throw invalid(key, values.get(key), "the duration must be greater than zero");
    }
    return value;
  }

  /** A duration that must be greater than zero. */
  public Duration positiveDuration(String key, Duration defaultValue) throws BackendException {
    Duration value = duration(key, defaultValue);
    if (value.isZero()) {
      throw invalid(key, values.get(key), "the duration must be greater than zero");
    }
    return value;
  }

  /** A decimal integer within {@code [min, max]}. */
  public Optional<Integer> integer(String key, int min, int max) throws BackendException {
    Optional<String> value = optional(key);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    String rule = "write a whole number from " + min + " to " + max;
    int parsed;
    try {
      parsed = Integer.parseInt(value.get().strip());
    } catch (NumberFormatException e) {
      throw invalid(key, value.get(), rule);
    }
    if (parsed < min || parsed > max) {
      throw invalid(key, value.get(), rule);
    }
    return Optional.of(parsed);
  }

  /** A decimal integer within {@code [min, max]}, or {@code defaultValue} when unset. */
  public int integer(String key, int defaultValue, int min, int max) throws BackendException {
    return integer(key, min, max).orElse(defaultValue);
  }

  /**
   * A decimal integer within {@code [min, max]} for ranges beyond {@code int}, e.g. a Linux group
   * id (1 to 4294967294).
   */
  public Optional<Long> longInteger(String key, long min, long max) throws BackendException {
    Optional<String> value = optional(key);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    String rule = "write a whole number from " + min + " to " + max;
    long parsed;
    try {
      parsed = Long.parseLong(value.get().strip());
    } catch (NumberFormatException e) {
      throw invalid(key, value.get(), rule);
    }
    if (parsed < min || parsed > max) {
      throw invalid(key, value.get(), rule);
    }
    return Optional.of(parsed);
  }

  /** POSIX permission bits in octal, {@code 0000} to {@code 0777} (the leading 0 optional). */
  public Optional<Integer> mode(String key) throws BackendException {
    Optional<String> value = optional(key);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    String mode = value.get().strip();
    if (!mode.matches("0?[0-7]{1,3}")) {
      throw invalid(key, value.get(), "use octal 0000 to 0777, e.g. 0440");
    }
    return Optional.of(Integer.parseInt(mode, 8));
  }

  /** A mode, or {@code defaultValue} when unset. */
  public int mode(String key, int defaultValue) throws BackendException {
    return mode(key).orElse(defaultValue);
  }

  /** A comma-separated list; items stripped, empty items dropped, order kept. */
  public List<String> list(String key) {
    List<String> items = new ArrayList<>();
    for (String item : optional(key).orElse("").split(",")) {
      if (!item.isBlank()) {
        items.add(item.strip());
      }
    }
    return List.copyOf(items);
  }

  /** One of {@code allowed} (exact), or {@code defaultValue} when unset. */
  public String oneOf(String key, String defaultValue, Collection<String> allowed)
      throws BackendException {
    Optional<String> value = optional(key);
    if (value.isEmpty()) {
      return defaultValue;
    }
    if (!allowed.contains(value.get())) {
      throw invalid(key, value.get(), "use one of " + new TreeSet<>(allowed));
    }
    return value.get();
  }

  /** Marks keys as known that the plugin reads in its own way (e.g. by prefix or from the raw map). */
  public Settings known(String... keys) {
    for (String key : keys) {
      known.add(requireNonNull(key, "key is null"));
    }
    return this;
  }

  /** The keys that are set but that no accessor asked for, sorted. */
  public Set<String> unknownKeys() {
    Set<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeAll(known);
    return unknown;
  }

  /** The keys asked for so far, sorted. */
  public Set<String> knownKeys() {
    return new TreeSet<>(known);
  }

  /** Fails on the first unknown key, naming the known keys. Call after every accessor. */
  public void rejectUnknown() throws BackendException {
    Set<String> unknown = unknownKeys();
    if (!unknown.isEmpty()) {
      String key = unknown.iterator().next();
      throw BackendException.invalid((attributes ? "unknown volume attribute \"" + key + "\""
          : source + ": unknown key \"" + key + "\"") + "; known: " + knownKeys());
    }
  }

  /** The raw map, sorted, for plugins that pass keys through (e.g. by prefix). */
  public Map<String, String> asMap() {
    return new TreeMap<>(values);
  }

  /** An INVALID_ARGUMENT naming the key, the value and the rule. */
  public BackendException invalid(String key, String value, String rule) {
    return BackendException.invalid(describe(key) + " is \"" + value + "\"; " + rule);
  }
}
