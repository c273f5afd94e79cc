package dev.passport.plugins.http;

import dev.passport.api.BackendException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/** A volume's attributes for the http backend, checked strictly: a typo must not go unnoticed. */
record HttpAttributes(URI url, String audience, String file, List<String> jsonKeys, int mode) {

  private static final Set<String> KNOWN = Set.of("url", "audience", "file", "jsonKeys", "mode");
  /** One plain file name: no directories, nothing hidden, nothing the atomic writer owns. */
  private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]*");

  static HttpAttributes parse(Map<String, String> attributes, List<URI> allowed)
      throws BackendException {
    for (String key : new TreeSet<>(attributes.keySet())) {
      if (!KNOWN.contains(key)) {
        throw invalid("unknown volume attribute \"" + key + "\"; the http backend knows "
            + new TreeSet<>(KNOWN));
      }
    }
    URI url = checkedUrl(attributes.getOrDefault("url", "").strip(),
        "volume attribute \"url\" (required, e.g. https://secrets.example.com/v1/app)");
    if (allowed.stream().noneMatch(prefix -> covers(prefix, url))) {
      throw invalid("url " + display(url) + " is not under an allowed prefix; " + (allowed.isEmpty()
          ? "this driver allows none yet: set allowedUrlPrefixes in its http.properties"
          : "ask the driver's operator to add it to allowedUrlPrefixes in http.properties"));
    }
    String audience = attributes.getOrDefault("audience", "http");
    if (audience.isBlank()) {
      // "" is the API server's audience: the service could act as the pod in the cluster with it
      throw invalid("volume attribute \"audience\" must not be empty; use an audience of its own");
    }
    if (attributes.containsKey("file") && attributes.containsKey("jsonKeys")) {
      throw invalid("set either volume attribute \"file\" or \"jsonKeys\", not both");
    }
    Set<String> keys = new LinkedHashSet<>();
    for (String key : attributes.getOrDefault("jsonKeys", "").split(",")) {
      if (!key.isBlank()) {
        keys.add(key.strip());
      }
    }
    String file = attributes.getOrDefault("file", "body");
    for (String name : keys.isEmpty() ? Set.of(file) : keys) {
      if (!FILE_NAME.matcher(name).matches()) {
        throw invalid("file name \"" + name + "\" must match " + FILE_NAME.pattern());
      }
    }
    return new HttpAttributes(url, audience, file, new ArrayList<>(keys), mode(attributes));
  }

  /** An absolute http(s) URL with a host, no user info and no {@code ..} segment, even encoded. */
  static URI checkedUrl(String text, String what) throws BackendException {
    try {
      URI uri = new URI(text).normalize();
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null && uri.getRawUserInfo() == null && uri.getFragment() == null
          && !("/" + uri.getPath() + "/").contains("/../")) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below, without the parser's detail
    }
    throw invalid(what + " is not an absolute http or https URL with a host and without user"
        + " info, fragment or \"..\"");
  }

  /**
   * Part by part, not as text: neither {@code https://secrets.internal.evil.com/} nor
   * {@code https://secrets.internal@evil.com/} passes for {@code https://secrets.internal}.
   */
  static boolean covers(URI prefix, URI url) {
    String path = prefix.getRawPath();
    return url.getScheme().equals(prefix.getScheme())
        && url.getHost().equalsIgnoreCase(prefix.getHost()) && port(url) == port(prefix)
        && (path.endsWith("/") ? url.getRawPath().startsWith(path)
            : url.getRawPath().equals(path) || url.getRawPath().startsWith(path + "/"));
  }

  /** The URL for messages: without the query, which may carry a secret. */
  static String display(URI url) {
    return url.getScheme() + "://" + url.getRawAuthority() + url.getRawPath();
  }

  private static int port(URI uri) {
    return uri.getPort() != -1 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80;
  }

  private static int mode(Map<String, String> attributes) throws BackendException {
    String mode = attributes.getOrDefault("mode", "0440");
    if (!mode.matches("0?[0-7]{1,3}")) {
      throw invalid(
        "volume attribute \"mode\" is \"" + mode + "\"; use octal 0000 to 0777, e.g. 0440");
    }
    return Integer.parseInt(mode, 8);
  }

  private static BackendException invalid(String message) {
    return new BackendException(BackendException.Kind.INVALID_ARGUMENT, message);
  }
}
