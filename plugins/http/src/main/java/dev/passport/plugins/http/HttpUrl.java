package dev.passport.plugins.http;

import dev.passport.api.BackendException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An http(s) URL in the one spelling Passport checks and fetches: scheme and host in lower case,
 * no default port, {@code .} and {@code ..} segments resolved and {@code //} collapsed. Anything a
 * server could read as a different path than this check does is refused rather than guessed at:
 * a pod chooses the URL, and the prefix check is only as good as its agreement with the server.
 *
 * @param port the port the request goes to, explicit or the scheme's default
 * @param rawPath the normalized path, still percent-encoded; {@code /} at least
 * @param rawQuery the query as written, percent-encoded; {@code null} when there is none
 */
record HttpUrl(String scheme, String host, int port, String rawPath, String rawQuery) {

  /**
   * Percent-encodings a server may decode before it resolves the path (or decode twice): an
   * encoded dot, slash, backslash, {@code ;}, {@code ?}, {@code #}, {@code %} or control character
   * can turn {@code /v1/x} into a path outside {@code /v1/} on the server while it looks inside to
   * us ({@code %2e%2e}, {@code %252e}, {@code ..%2f}, {@code ..%5c}, {@code ..%3b}, {@code ..%00}).
   */
  private static final Pattern AMBIGUOUS_ESCAPE =
      Pattern.compile("%(2[eEfF5]|5[cC]|3[bBfF]|23|[01][0-9a-fA-F]|7[fF])");
  /** A DNS name in ASCII: labels of letters, digits and hyphens. IDNs arrive in punycode. */
  private static final Pattern HOST_NAME =
      Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*");

  /**
   * The URL {@code text}, if it is an absolute http(s) URL in an unambiguous spelling.
   *
   * @param what how messages name the value, e.g. {@code volume attribute "url"}
   * @throws BackendException INVALID_ARGUMENT naming the rule it breaks and what to write instead
   */
  static HttpUrl parse(String text, String what) throws BackendException {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      // no parser detail: it quotes the text, whose query may carry a secret
      throw invalid(what, "is not a valid URL; percent-encode spaces, backslashes, quotes and"
          + " other characters URLs do not allow");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw invalid(what, "must be an absolute URL starting with https:// or http://");
    }
    if (uri.getRawUserInfo() != null || (uri.getRawAuthority() != null
        && uri.getHost() == null && uri.getRawAuthority().contains("@"))) {
      // https://allowed.example@evil.example names the host evil.example
      throw invalid(what, "has user info (\"name@\" before the host); remove it: credentials do"
          + " not belong in the URL, and the host is what follows the \"@\"");
    }
    if (uri.getRawFragment() != null) {
      throw invalid(what, "has a fragment (\"#...\"); remove it");
    }
    String host = host(uri, what);
    int port = port(uri, scheme, what);
    URI normalized = uri.normalize();
    String rawPath = normalized.getRawPath() == null || normalized.getRawPath().isEmpty()
        ? "/" : normalized.getRawPath();
    checkPath(rawPath, what);
    String rawQuery = uri.getRawQuery();
    if (rawQuery != null && !isAscii(rawQuery)) {
      throw invalid(what, "has non-ASCII characters in its query; percent-encode them (UTF-8)");
    }
    return new HttpUrl(scheme, host, port, rawPath, rawQuery);
  }

  /** What is fetched: exactly the spelling that was checked. */
  URI uri() {
    return URI.create(withoutQuery() + (rawQuery == null ? "" : "?" + rawQuery));
  }

  /** {@code scheme://host:port}, the port always written. */
  String origin() {
    return scheme + "://" + host + ":" + port;
  }

  /** The URL for messages: without the query, which may carry a secret. */
  String withoutQuery() {
    return scheme + "://" + host + (port == defaultPort(scheme) ? "" : ":" + port) + rawPath;
  }

  private static String host(URI uri, String what) throws BackendException {
    String authority = uri.getRawAuthority();
    if (authority == null || authority.isEmpty()) {
      throw invalid(what, "has no host; write it as https://host/path");
    }
    if (!isAscii(authority)) {
      throw invalid(what, "has a host with non-ASCII characters; write an internationalized"
          + " host name in its ASCII form (punycode, xn--...)");
    }
    String host = uri.getHost() == null ? null : uri.getHost().toLowerCase(Locale.ROOT);
    if (host != null && host.endsWith(".")) {
      // "secrets.example." is the same DNS name, but not the same virtual host or certificate name
      throw invalid(what, "has a host ending in \".\"; remove the trailing dot");
    }
    if (host == null || !(host.startsWith("[") || HOST_NAME.matcher(host).matches())) {
      throw invalid(what, "has no valid host; write a DNS name of letters, digits, hyphens and"
          + " dots, an IPv4 address or a bracketed IPv6 address");
    }
    return host;
  }

  private static int port(URI uri, String scheme, String what) throws BackendException {
    if (uri.getPort() == -1) {
      return defaultPort(scheme);
    }
    if (uri.getPort() < 1 || uri.getPort() > 65535) {
      throw invalid(what, "has port " + uri.getPort() + "; a port is 1 to 65535");
    }
    return uri.getPort();
  }

  /** After normalization: no climbing above the root, no dot segment in disguise. */
  private static void checkPath(String rawPath, String what) throws BackendException {
    if (!isAscii(rawPath)) {
      throw invalid(what, "has non-ASCII characters in its path; percent-encode them (UTF-8)");
    }
    Matcher escape = AMBIGUOUS_ESCAPE.matcher(rawPath);
    if (escape.find()) {
      throw invalid(what, "has " + escape.group() + " in its path: an encoded \".\", \"/\","
          + " \"\\\", \";\", \"?\", \"#\", \"%\" or control character can name another path"
          + " on a server that decodes it before resolving the path; write the path without it");
    }
    for (String segment : rawPath.split("/", -1)) {
      // Tomcat and Spring cut ";parameters" off a segment before resolving it: "..;x" is ".."
      String name = segment.contains(";") ? segment.substring(0, segment.indexOf(';')) : segment;
      if (name.equals("..") || name.equals(".")) {
        throw invalid(what, "has a \"" + segment + "\" segment, which servers resolve as \""
            + name + "\"; write the path without dot segments");
      }
    }
  }

  private static int defaultPort(String scheme) {
    return scheme.equals("https") ? 443 : 80;
  }

  private static boolean isAscii(String text) {
    return text.chars().allMatch(c -> c < 0x80);
  }

  private static BackendException invalid(String what, String rule) {
    return BackendException.invalid(what + " " + rule);
  }
}
