package dev.passport.host.template;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The escaping helpers, the only lambdas a template can reach: each is a section that renders its
 * content and writes it escaped, e.g. {@code {{#json}}{{password}}{{/json}}}. What a section
 * renders is captured within what the enclosing output still may hold, so a helper cannot be used
 * to get round the output limit.
 */
final class Helpers {
  private Helpers() {}

  /** {@code json}: a JSON string, quotes included (RFC 8259; U+2028/9 escaped for JavaScript). */
  static String json(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c == 0x2028 || c == 0x2029 || c == 0x7f) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  /**
   * {@code url}: a URL component (RFC 3986): every byte of the UTF-8 text but the unreserved
   * characters {@code A-Z a-z 0-9 - . _ ~} percent-encoded, a space as {@code %20}, so a password
   * is safe in the user-info, a path segment or a query value.
   */
  static String url(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
          || c == '.' || c == '_' || c == '~') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  /**
   * {@code shell}: one POSIX shell word in single quotes, quotes included: nothing inside is
   * special but the quote itself, written {@code '\''}.
   */
  static String shell(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** {@code base64}: the UTF-8 text in standard base64 with padding (RFC 4648). */
  static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  /** The helpers by the section name a template uses. */
  static final Map<String, Mustache.Lambda> ALL = Map.of(
      "json", lambda(Helpers::json),
      "url", lambda(Helpers::url),
      "shell", lambda(Helpers::shell),
      "base64", lambda(Helpers::base64));

  private static Mustache.Lambda lambda(UnaryOperator<String> escape) {
    return new Mustache.Lambda() {
      @Override
      public void execute(Template.Fragment fragment, Writer out) throws IOException {
        long room = out instanceof BoundedOutput bounded ? bounded.remaining() : 0;
        BoundedOutput capture = new BoundedOutput(room, "what the enclosing output may still hold",
            null);
        fragment.execute(capture);
        out.write(escape.apply(capture.text()));
      }

      @Override
      public String toString() {
        return "helper";
      }
    };
  }
}
