package dev.passport.plugins.vault;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * JSON as vault-csi-provider reads and writes it, so that files match it byte for byte.
 *
 * <p>It reads Vault's answers with Go's {@code encoding/json} and {@code UseNumber()} (vault's
 * {@code api.ParseSecret}): every number stays the literal Vault sent ({@code 1e3}, {@code 1.10},
 * {@code 12345678901234567890} are written back unchanged). {@link #read} keeps that literal in a
 * {@link LiteralNumber}. It writes with {@code json.Marshal}: object keys sorted by their UTF-8
 * bytes (Go sorts maps; struct fields keep their order, see {@link VaultResponse}), no whitespace,
 * and Go's escaping ({@link #appendString}). Go's own numbers (YAML's {@code secretArgs}) are
 * written by {@link #appendGoFloat} as {@code json.Marshal} writes a float64.
 */
final class GoJson {

  private static final JsonFactory FACTORY = JsonFactory.builder().build();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** Go's map order: byte-wise UTF-8, which is code point order (not Java's UTF-16 order). */
  static final Comparator<String> KEY_ORDER = (a, b) -> {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = goRune(a, i);
      int cb = goRune(b, j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(a.codePointAt(i));
      j += Character.charCount(b.codePointAt(j));
    }
    return Boolean.compare(i < a.length(), j < b.length());
  };

  private GoJson() {}

  /**
   * A number as its JSON literal, as Go's {@code json.Number}: written back unchanged. It is a
   * Jackson number node so that lease fields and versions read as usual ({@code asLong()}).
   */
  static final class LiteralNumber extends DecimalNode {
    private static final long serialVersionUID = 1L;
    private final String literal;

    LiteralNumber(String literal) {
      super(new BigDecimal(literal));
      this.literal = literal;
    }

    String literal() {
      return literal;
    }

    @Override
    public boolean isIntegralNumber() {
      return literal.indexOf('.') < 0 && literal.indexOf('e') < 0 && literal.indexOf('E') < 0;
    }

    @Override
    public String asText() {
      return literal;
    }
  }

  /**
   * Reads the first JSON value of {@code body} (Go's {@code Decoder.Decode} reads one value and
   * ignores what follows). Duplicate keys: the last wins, as Go does for values held in a map.
   *
   * @throws IOException if it is not JSON (Jackson also refuses invalid UTF-8, which Go would
   *     replace by U+FFFD; Vault's own encoder never writes any)
   */
  static JsonNode read(byte[] body) throws IOException {
    try (JsonParser parser = FACTORY.createParser(body)) {
      JsonToken token = parser.nextToken();
      if (token == null) {
        throw new IOException("empty body");
      }
      return value(parser, token);
    }
  }

  private static JsonNode value(JsonParser parser, JsonToken token) throws IOException {
    switch (token) {
      case START_OBJECT -> {
        ObjectNode object = NODES.objectNode();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_OBJECT; t = parser.nextToken()) {
          String name = parser.currentName();
          object.set(name, value(parser, parser.nextToken()));
        }
        return object;
      }
      case START_ARRAY -> {
        ArrayNode array = NODES.arrayNode();
        for (JsonToken t = parser.nextToken(); t != JsonToken.END_ARRAY; t = parser.nextToken()) {
          array.add(value(parser, t));
        }
        return array;
      }
      case VALUE_STRING -> {
        return NODES.textNode(parser.getText());
      }
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
        return new LiteralNumber(parser.getText());
      }
      case VALUE_TRUE -> {
        return NODES.booleanNode(true);
      }
      case VALUE_FALSE -> {
        return NODES.booleanNode(false);
      }
      case VALUE_NULL -> {
        return NODES.nullNode();
      }
      default -> throw new IOException("unexpected " + token);
    }
  }

  /** {@code json.Marshal} of the value Go decoded from {@code node} into an {@code interface{}}. */
  static byte[] marshal(JsonNode node) {
    StringBuilder out = new StringBuilder();
    append(out, node);
    return utf8(out);
  }

  static void append(StringBuilder out, JsonNode node) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      out.append("null");
    } else if (node.isObject()) {
      List<String> keys = new ArrayList<>();
      node.fieldNames().forEachRemaining(keys::add);
      keys.sort(KEY_ORDER);
      out.append('{');
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        appendString(out, keys.get(i));
        out.append(':');
        append(out, node.get(keys.get(i)));
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      Iterator<JsonNode> elements = node.elements();
      for (int i = 0; elements.hasNext(); i++) {
        if (i > 0) {
          out.append(',');
        }
        append(out, elements.next());
      }
      out.append(']');
    } else if (node.isTextual()) {
      appendString(out, node.textValue());
    } else if (node.isBoolean()) {
      out.append(node.booleanValue());
    } else if (node instanceof LiteralNumber number) {
      out.append(number.literal());
    } else if (node.isNumber()) {
      // not from Vault (every number read is a LiteralNumber): written as Go writes its numbers
      if (node.isIntegralNumber()) {
        out.append(node.bigIntegerValue());
      } else {
        appendGoFloat(out, node.doubleValue());
      }
    } else {
      throw new IllegalArgumentException("cannot write a " + node.getNodeType() + " as JSON");
    }
  }

  /** {@code json.Marshal} of a Go value made from YAML ({@code secretArgs}, see {@link YamlV3}). */
  static void appendGo(StringBuilder out, Object value) {
    if (value == null) {
      out.append("null");
    } else if (value instanceof String text) {
      appendString(out, text);
    } else if (value instanceof Boolean bool) {
      out.append(bool);
    } else if (value instanceof Long || value instanceof Integer || value instanceof BigInteger) {
      out.append(value);
    } else if (value instanceof Double number) {
      appendGoFloat(out, number);
    } else if (value instanceof Map<?, ?> map) {
      List<String> keys = new ArrayList<>();
      for (Object key : map.keySet()) {
        keys.add((String) key);
      }
      keys.sort(KEY_ORDER);
      out.append('{');
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        appendString(out, keys.get(i));
        out.append(':');
        appendGo(out, map.get(keys.get(i)));
      }
      out.append('}');
    } else if (value instanceof List<?> list) {
      out.append('[');
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        appendGo(out, list.get(i));
      }
      out.append(']');
    } else {
      throw new IllegalArgumentException("cannot write a " + value.getClass().getSimpleName());
    }
  }

  /**
   * A string as {@code json.Marshal} writes it (Go 1.22 and later): {@code "} and {@code \}
   * escaped; {@code \b \f \n \r \t} short; other control characters as {@code \}{@code u00XX}
   * in lower-case hex; {@code < > &} as {@code \}{@code u003c \}{@code u003e \}{@code u0026} (HTML
   * escaping, on by default in {@code json.Marshal}); U+2028 and U+2029 escaped (JavaScript line
   * terminators); everything else, DEL included, as UTF-8. A lone surrogate is U+FFFD, as Go's
   * decoder reads an unpaired {@code \}{@code ud800}.
   */
  static void appendString(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '<', '>', '&', '\u2028', '\u2029' -> unicodeEscape(out, c);
        default -> {
          if (c < 0x20) {
            unicodeEscape(out, c);
          } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
              && Character.isLowSurrogate(s.charAt(i + 1))) {
            out.append(c).append(s.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            out.append('\uFFFD');
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  private static void unicodeEscape(StringBuilder out, char c) {
    out.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF])
        .append(HEX[c >> 4 & 0xF]).append(HEX[c & 0xF]);
  }

  /**
   * A float64 as {@code json.Marshal} writes it: the shortest decimal that reads back as the same
   * double (strconv's {@code -1} precision), in plain notation for 1e-6 ≤ |x| < 1e21 ({@code 1000},
   * {@code 1.1}, {@code 0.000001}, {@code 100000000000000000000}) and exponent notation outside it
   * ({@code 1e+21}, {@code 1e-7}: a one-digit negative exponent loses Go's leading zero, a positive
   * one keeps its sign). Infinities and NaN are not JSON ({@link YamlV3} refuses them earlier).
   */
  static void appendGoFloat(StringBuilder out, double value) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("json: unsupported value: " + value);
    }
    if (value == 0) {
      out.append(1 / value < 0 ? "-0" : "0");
      return;
    }
    BigDecimal shortest = shortest(value);
    double abs = Math.abs(value);
    if (abs < 1e-6 || abs >= 1e21) {
      String digits = shortest.unscaledValue().abs().toString();
      int exponent = digits.length() - 1 - shortest.scale();
      if (value < 0) {
        out.append('-');
      }
      out.append(digits.charAt(0));
      if (digits.length() > 1) {
        out.append('.').append(digits, 1, digits.length());
      }
      out.append('e').append(exponent < 0 ? '-' : '+');
      int magnitude = Math.abs(exponent);
      if (magnitude < 10 && exponent > 0) {
        out.append('0');
      }
      out.append(magnitude);
    } else {
      out.append(shortest.toPlainString());
    }
  }

  /** The fewest significant digits whose decimal parses back to {@code value}. */
  private static BigDecimal shortest(double value) {
    BigDecimal exact = new BigDecimal(value);
    for (int digits = 1; digits <= 17; digits++) {
      BigDecimal candidate = exact.round(new MathContext(digits, RoundingMode.HALF_EVEN));
      if (candidate.doubleValue() == value) {
        return candidate.stripTrailingZeros();
      }
    }
    return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
  }

  /** Go's rune at {@code i}: a lone surrogate reads as U+FFFD. */
  private static int goRune(String s, int i) {
    int cp = s.codePointAt(i);
    return Character.isSurrogate((char) cp) && cp < 0x10000 ? 0xFFFD : cp;
  }

  static byte[] utf8(StringBuilder out) {
    // appendString replaced lone surrogates, so this encoding loses nothing
    return out.toString().getBytes(UTF_8);
  }

  /** A string value's bytes as Go holds them: UTF-8, a lone surrogate as U+FFFD. */
  static byte[] utf8(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        out.append(c).append(text.charAt(++i));
      } else {
        out.append(Character.isSurrogate(c) ? '\uFFFD' : c);
      }
    }
    return out.toString().getBytes(UTF_8);
  }
}
