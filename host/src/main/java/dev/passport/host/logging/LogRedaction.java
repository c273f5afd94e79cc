package dev.passport.host.logging;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the log sink does to every message and stack trace before it is written (issue 13): masks
 * the tokens the host has seen ({@link SeenTokens}) and anything shaped like a credential, whoever
 * logged it at whatever level. Text logs also get control characters escaped
 * ({@link #escapeControl}), so that a pod-chosen value cannot start a forged line.
 */
public final class LogRedaction {

  static final String SEEN_TOKEN = "<redacted:token>";

  /**
   * Credential shapes, masked even when the host never saw them: a JWT (JWS compact form; a
   * service-account token, an OIDC token), a Google OAuth access token ({@code ya29.}) or refresh
   * token ({@code 1//}), a Vault token ({@code hvs./hvb./hvr.}), and the value after
   * {@code Bearer} or an {@code X-Vault-Token} header.
   */
  private static final Pattern SHAPES = Pattern.compile(
      "(?<jwt>eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]*)"
          + "|(?<google>\\bya29\\.[A-Za-z0-9_.-]{8,}|\\b1//[A-Za-z0-9_-]{16,})"
          + "|(?<vault>\\bhv[sbr]\\.[A-Za-z0-9_-]{16,})"
          + "|(?<header>(?i:\\bbearer\\s+|\\bx-vault-token[\"']?\\s*[:=]\\s*[\"']?))"
          + "(?<headerValue>[A-Za-z0-9._~+/=-]{8,})");

  private LogRedaction() {}

  /** {@code text} with every seen token and every credential-shaped string masked. */
  public static String redact(String text) {
    return redact(text, SeenTokens.global());
  }

  static String redact(String text, SeenTokens seen) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String masked = seen.mask(text, SEEN_TOKEN);
    if (!mayHaveShape(masked)) {
      return masked;
    }
    Matcher matcher = SHAPES.matcher(masked);
    StringBuilder out = null;
    int last = 0;
    while (matcher.find()) {
      if (out == null) {
        out = new StringBuilder(masked.length());
      }
      out.append(masked, last, matcher.start());
      if (matcher.group("jwt") != null) {
        out.append("<redacted:jwt>");
      } else if (matcher.group("google") != null) {
        out.append("<redacted:google-token>");
      } else if (matcher.group("vault") != null) {
        out.append("<redacted:vault-token>");
      } else {
        out.append(matcher.group("header")).append("<redacted>");
      }
      last = matcher.end();
    }
    if (out == null) {
      return masked;
    }
    return out.append(masked, last, masked.length()).toString();
  }

  /** A cheap test before the regular expression: most lines hold none of the markers. */
  private static boolean mayHaveShape(String text) {
    return text.contains("eyJ") || text.contains("ya29.") || text.contains("1//")
        || text.contains("hvs.") || text.contains("hvb.") || text.contains("hvr.")
        || containsIgnoreCase(text, "bearer") || containsIgnoreCase(text, "vault-token");
  }

  private static boolean containsIgnoreCase(String text, String word) {
    int n = word.length();
    for (int i = 0; i + n <= text.length(); i++) {
      if (text.regionMatches(true, i, word, 0, n)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code text} with every control character (C0, DEL, C1, and the Unicode line and paragraph
   * separators) written as an escape: {@code \n}, {@code \r}, {@code \t}, {@code \\uXXXX}. A
   * message then stays one line, whatever a pod put into a backend name, an attribute name or a
   * volume id.
   */
  public static String escapeControl(String text) {
    if (text == null) {
      return null;
    }
    int first = firstControl(text);
    if (first < 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16).append(text, 0, first);
    for (int i = first; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!isControl(c)) {
        out.append(c);
      } else if (c == '\n') {
        out.append("\\n");
      } else if (c == '\r') {
        out.append("\\r");
      } else if (c == '\t') {
        out.append("\\t");
      } else {
        out.append(String.format("\\u%04x", (int) c));
      }
    }
    return out.toString();
  }

  private static int firstControl(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (isControl(text.charAt(i))) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isControl(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }
}
