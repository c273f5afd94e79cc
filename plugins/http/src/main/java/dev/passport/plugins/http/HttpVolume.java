package dev.passport.plugins.http;

import dev.passport.api.BackendException;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import dev.passport.support.Settings;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A volume of the http backend: its attributes, parsed once and checked strictly (a typo must not
 * go unnoticed).
 *
 * @param mode the {@code mode} attribute; empty leaves it to the host ({@code --default-file-mode})
 * @param jsonKeys the top-level keys of a JSON answer to write, one file each; empty: write the
 *     whole body to {@code file}
 */
record HttpVolume(HttpUrl url, String audience, String file, List<String> jsonKeys,
    Optional<Integer> mode)
    implements PreparedVolume {

  /** One plain file name: no directories, nothing hidden, nothing the atomic writer owns. */
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*");

  static HttpVolume parse(Map<String, String> attributes, AllowedUrls allowed)
      throws BackendException {
    // an empty value is a mistake here, not a way to ask for the default
    Settings settings = Settings.attributes(attributes).blanksAreValues();
    HttpUrl url = allowed.check(settings.required("url", "an http or https URL under the"
        + " driver's allowedUrlPrefixes, e.g. https://secrets.example.com/v1/app"),
        settings.describe("url"));
    String audience = settings.string("audience", "http");
    if (audience.isBlank()) {
      // "" is the API server's audience: the service could act as the pod in the cluster with it
      throw BackendException.invalid(
          "volume attribute \"audience\" must not be empty; use an audience of its own");
    }
    if (settings.has("file") && settings.has("jsonKeys")) {
      throw BackendException.invalid(
          "set either volume attribute \"file\" or \"jsonKeys\", not both");
    }
    String file = settings.string("file", "body");
    List<String> jsonKeys = List.copyOf(new LinkedHashSet<>(settings.list("jsonKeys")));
    // No mode: the host's --default-file-mode (0644 unless the operator chose another).
    Optional<Integer> mode = settings.mode("mode");
    settings.rejectUnknown();
    for (String name : jsonKeys.isEmpty() ? List.of(file) : jsonKeys) {
      if (!FILE_NAME.matcher(name).matches()) {
        throw BackendException.invalid(
            "file name \"" + name + "\" must match " + FILE_NAME.pattern());
      }
    }
    return new HttpVolume(url, audience, file, jsonKeys, mode);
  }

  @Override
  public Set<String> audiences() {
    return Set.of(audience);
  }

  /** A file of this volume: with the {@code mode} attribute, or the host's default mode. */
  MaterialFile file(String path, byte[] content) {
    return mode.isPresent() ? MaterialFile.of(path, content, mode.get())
        : MaterialFile.of(path, content);
  }

  /**
   * The URL's origin, {@code scheme://host:port}: the host limits concurrent fetches per remote, so
   * that one pod-chosen server that stalls cannot hold every fetch of the backend.
   */
  @Override
  public Optional<String> remote() {
    return Optional.of(url.origin());
  }

  /** The URL for messages, without its query string. */
  String displayUrl() {
    return url.withoutQuery();
  }
}
