package dev.passport.plugins.http;

import dev.passport.api.BackendException;
import dev.passport.api.BackendException.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * The URLs volumes may name: the operator's {@code allowedUrlPrefixes}. This is the plugin's
 * security rule, not a parser: a pod must not make the driver call any URL it likes in the cluster
 * network (cloud metadata endpoints, internal admin APIs) and read the answer from its volume.
 *
 * <p>Both sides are brought to one spelling first ({@link HttpUrl}); whatever has no single
 * spelling is refused there. A prefix then matches part by part: scheme, host, port, and the path
 * on a segment boundary.
 */
final class AllowedUrls {

  private static final String SETTING = "allowedUrlPrefixes";

  private final List<HttpUrl> prefixes;

  private AllowedUrls(List<HttpUrl> prefixes) {
    this.prefixes = List.copyOf(prefixes);
  }

  /**
   * The prefixes, each held to the rules of a volume's URL, without a query.
   *
   * @param source how messages name the setting, e.g. {@code http.properties: "allowedUrlPrefixes"}
   */
  static AllowedUrls of(List<String> prefixes, String source) throws BackendException {
    List<HttpUrl> checked = new ArrayList<>();
    for (String prefix : prefixes) {
      String what = source + " entry " + prefix;
      HttpUrl url = HttpUrl.parse(prefix, what);
      if (url.rawQuery() != null) {
        throw BackendException.invalid(what + " has a query (\"?...\"); a prefix is"
            + " scheme://host[:port]/path, remove the query");
      }
      checked.add(url);
    }
    return new AllowedUrls(checked);
  }

  /**
   * The volume's URL, if it is a plain http(s) URL under one of the prefixes.
   *
   * @param what how messages name the attribute, e.g. {@code volume attribute "url"}
   * @throws BackendException INVALID_ARGUMENT for a URL of an ambiguous shape, PERMISSION_DENIED
   *     for one outside every prefix
   */
  HttpUrl check(String url, String what) throws BackendException {
    HttpUrl checked = HttpUrl.parse(url.strip(), what);
    if (prefixes.stream().noneMatch(prefix -> covers(prefix, checked))) {
      throw new BackendException(Kind.PERMISSION_DENIED, what + " " + checked.withoutQuery()
          + " is not under the http backend's " + SETTING + "; " + (prefixes.isEmpty()
              ? "this driver allows no URL yet: its operator sets " + SETTING
                  + " in http.properties"
              : "use a URL under one of them, or ask the driver's operator to add a prefix to "
                  + SETTING + " in http.properties"));
    }
    return checked;
  }

  /**
   * Part by part, not as text: neither {@code https://secrets.internal.evil.com/} nor
   * {@code https://secrets.internal@evil.com/} passes for {@code https://secrets.internal}, and
   * {@code https://h/v1} covers {@code https://h/v1/db} but not {@code https://h/v10}.
   */
  static boolean covers(HttpUrl prefix, HttpUrl url) {
    String path = prefix.rawPath();
    return url.scheme().equals(prefix.scheme()) && url.host().equals(prefix.host())
        && url.port() == prefix.port()
        && (path.endsWith("/") ? url.rawPath().startsWith(path)
            : url.rawPath().equals(path) || url.rawPath().startsWith(path + "/"));
  }
}
