package dev.passport.plugins.gcp;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Secret Manager secret version name, global ({@code projects/p/secrets/s/versions/v}) or
 * regional ({@code projects/p/locations/l/secrets/s/versions/v}).
 *
 * @param name the full name as the user wrote it
 * @param location the location of a regional secret, which selects its endpoint
 * @param version the version segment: a number, {@code latest} or an alias
 */
record ResourceName(String name, Optional<String> location, String version) {

  private static final String SEGMENT = "[^/\\s]+";
  // the location becomes part of a host name, so it is held to GCP's location id alphabet
  private static final Pattern GLOBAL =
      Pattern.compile("projects/" + SEGMENT + "/secrets/" + SEGMENT + "/versions/(" + SEGMENT + ")");
  private static final Pattern REGIONAL =
      Pattern.compile(
          "projects/" + SEGMENT + "/locations/([a-z0-9-]+)/secrets/" + SEGMENT + "/versions/("
              + SEGMENT + ")");
  private static final Pattern NUMBER = Pattern.compile("[0-9]+");
  // provider-gcp (1.9+) also mounts Parameter Manager parameter versions
  private static final Pattern PARAMETER =
      Pattern.compile("projects/" + SEGMENT + "/locations/" + SEGMENT + "/parameters/" + SEGMENT
          + "/versions/" + SEGMENT);

  static final String FORMS =
      "projects/<project>/secrets/<secret>/versions/<version> or"
          + " projects/<project>/locations/<location>/secrets/<secret>/versions/<version>";

  /** Parses a name, or empty when it has neither form. */
  static Optional<ResourceName> parse(String name) {
    Matcher global = GLOBAL.matcher(name);
    if (global.matches()) {
      return Optional.of(new ResourceName(name, Optional.empty(), global.group(1)));
    }
    Matcher regional = REGIONAL.matcher(name);
    if (regional.matches()) {
      return Optional.of(
          new ResourceName(name, Optional.of(regional.group(1)), regional.group(2)));
    }
    return Optional.empty();
  }

  /** Why {@code name} is refused, for a message that follows the quoted name. */
  static String problem(String name) {
    if (PARAMETER.matcher(name).matches()) {
      return "is a Parameter Manager parameter version, which Passport does not support (only"
          + " Secret Manager secret versions: " + FORMS + "); mount it with provider-gcp, or"
          + " store the value in a Secret Manager secret";
    }
    return "must have the form " + FORMS;
  }

  /** A numeric version never changes content; {@code latest} and aliases can move. */
  boolean pinned() {
    return NUMBER.matcher(version).matches();
  }
}
