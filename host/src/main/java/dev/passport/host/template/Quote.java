package dev.passport.host.template;

/** Pod events are single-line text: names and references show control characters as escapes. */
final class Quote {
  private static final int MAX_SHOWN = 120;

  private Quote() {}

  static String of(String text) {
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_SHOWN) + 2).append('"');
    for (int i = 0; i < text.length() && i < MAX_SHOWN; i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (text.length() > MAX_SHOWN) {
      out.append("...");
    }
    return out.append('"').toString();
  }
}
