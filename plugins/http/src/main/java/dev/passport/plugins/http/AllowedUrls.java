package dev.passport.plugins.http;

import dev.passport.api.BackendException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * The URLs volumes may name: the operator's {@code allowedUrlPrefixes}. This is the plugin's
 * security rule, not a parser: a pod must not make the driver call any URL it likes in the cluster
 * network (cloud metadata endpoints, internal admin APIs) and read the answer from its volume.
 */
final class AllowedUrls {

  private final List<URI> prefixes;

  private AllowedUrls(List<URI> prefixes) {
    this.prefixes = List.copyOf(prefixes);
  }

  /**
   * The prefixes, each checked like a volume's URL.
   *
   * @param source how messages name the setting, e.g. {@code http.properties: "allowedUrlPrefixes"}
   */
  static AllowedUrls of(List<String> prefixes, String source) throws BackendException {
    List<URI> checked = new ArrayList<>();
    for (String prefix : prefixes) {
      checked.add(checkedUrl(prefix, source + " entry " + prefix));
    }
    return new AllowedUrls(checked);
  }

  /**
   * The volume's URL, if it is a plain http(s) URL under one of the prefixes.
   *
   * @param what how messages name the attribute, e.g. {@code volume attribute "url"}
   */
  URI check(String url, String what) throws BackendException {
    URI uri = checkedUrl(url.strip(), what);
    if (prefixes.stream().noneMatch(prefix -> covers(prefix, uri))) {
      throw BackendException.invalid("url " + withoutQuery(uri)
          + " is not under an allowed prefix; " + (prefixes.isEmpty()
              ? "this driver allows none yet: set allowedUrlPrefixes in its http.properties"
              : "ask the driver's operator to add it to allowedUrlPrefixes in http.properties"));
    }
    return uri;
  }

  /** The URL for messages: without the query, which may carry a secret. */
  static String withoutQuery(URI url) {
    return url.getScheme() + "://" + url.getRawAuthority() + url.getRawPath();
  }

  /** An absolute http(s) URL with a host, no user info and no {@code ..} segment, even encoded. */
  private static URI checkedUrl(String text, String what) throws BackendException {
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
    throw BackendException.invalid(what + " is not an absolute http or https URL with a host and"
        + " without user info, fragment or \"..\"");
  }

  /**
   * Part by part, not as text: neither {@code https://secrets.internal.evil.com/} nor
   * {@code https://secrets.internal@evil.com/} passes for {@code https://secrets.internal}.
   */
  private static boolean covers(URI prefix, URI url) {
    String path = prefix.getRawPath();
    return url.getScheme().equals(prefix.getScheme())
        && url.getHost().equalsIgnoreCase(prefix.getHost()) && port(url) == port(prefix)
        && (path.endsWith("/") ? url.getRawPath().startsWith(path)
            : url.getRawPath().equals(path) || url.getRawPath().startsWith(path + "/"));
  }

  private static int port(URI uri) {
    return uri.getPort() != -1 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80;
  }
}
