package dev.passport.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON (RFC 8259) reader for the few small answers plugin-support parses itself (a
 * Kubernetes ServiceAccount), so that it stays JDK-only. Objects become {@link Map}s, arrays
 * {@link List}s, strings {@link String}s, numbers their text, {@code true}/{@code false}
 * {@link Boolean}s and {@code null} {@link #NULL}. Nesting is bounded: the input is an answer from
 * a server, and a deep one must not exhaust the stack.
 */
final class Json {

  static final int MAX_DEPTH = 64;
  static final Object NULL = new Object() {
    @Override
    public String toString() {
      return "null";
    }
  };

  /** Malformed JSON; the message says where, never what the text was. */
  static final class MalformedException extends Exception {
    private static final long serialVersionUID = 1L;

    MalformedException(String message) {
      super(message);
    }
  }

  private final String text;
  private int at;

  private Json(String text) {
    this.text = text;
  }

  static Object parse(String text) throws MalformedException {
    Json json = new Json(text);
    json.space();
    Object value = json.value(0);
    json.space();
    if (json.at != text.length()) {
      throw json.malformed("text after the value");
    }
    return value;
  }

  private Object value(int depth) throws MalformedException {
    if (depth > MAX_DEPTH) {
      throw malformed("nested deeper than " + MAX_DEPTH);
    }
    if (at >= text.length()) {
      throw malformed("the text ends where a value should be");
    }
    char c = text.charAt(at);
    return switch (c) {
      case '{' -> object(depth);
      case '[' -> array(depth);
      case '"' -> string();
      case 't' -> word("true", Boolean.TRUE);
      case 'f' -> word("false", Boolean.FALSE);
      case 'n' -> word("null", NULL);
      default -> {
        if (c == '-' || (c >= '0' && c <= '9')) {
          yield number();
        }
        throw malformed("unexpected character");
      }
    };
  }

  private Map<String, Object> object(int depth) throws MalformedException {
    Map<String, Object> members = new LinkedHashMap<>();
    at++;
    space();
    if (peek() == '}') {
      at++;
      return members;
    }
    while (true) {
      space();
      if (peek() != '"') {
        throw malformed("expected a member name");
      }
      String name = string();
      space();
      expect(':');
      space();
      members.put(name, value(depth + 1));
      space();
      char c = next();
      if (c == '}') {
        return members;
      }
      if (c != ',') {
        throw malformed("expected , or }");
      }
    }
  }

  private List<Object> array(int depth) throws MalformedException {
    List<Object> items = new ArrayList<>();
    at++;
    space();
    if (peek() == ']') {
      at++;
      return items;
    }
    while (true) {
      space();
      items.add(value(depth + 1));
      space();
      char c = next();
      if (c == ']') {
        return items;
      }
      if (c != ',') {
        throw malformed("expected , or ]");
      }
    }
  }

  private String string() throws MalformedException {
    at++;
    StringBuilder out = new StringBuilder();
    while (true) {
      char c = next();
      if (c == '"') {
        return out.toString();
      }
      if (c < 0x20) {
        throw malformed("a control character in a string");
      }
      if (c != '\\') {
        out.append(c);
        continue;
      }
      char escaped = next();
      switch (escaped) {
        case '"', '\\', '/' -> out.append(escaped);
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'u' -> out.append(unicode());
        default -> throw malformed("an unknown escape");
      }
    }
  }

  private char unicode() throws MalformedException {
    if (at + 4 > text.length()) {
      throw malformed("a short \\u escape");
    }
    int code = 0;
    for (int i = 0; i < 4; i++) {
      int digit = Character.digit(text.charAt(at++), 16);
      if (digit < 0) {
        throw malformed("a \\u escape that is not hexadecimal");
      }
      code = code * 16 + digit;
    }
    return (char) code;
  }

  private String number() throws MalformedException {
    int start = at;
    if (peek() == '-') {
      at++;
    }
    if (peek() == '0') {
      at++;
    } else {
      digits();
    }
    if (peek() == '.') {
      at++;
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      at++;
      if (peek() == '+' || peek() == '-') {
        at++;
      }
      digits();
    }
    return text.substring(start, at);
  }

  private void digits() throws MalformedException {
    int start = at;
    while (at < text.length() && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
      at++;
    }
    if (at == start) {
      throw malformed("expected a digit");
    }
  }

  private Object word(String word, Object value) throws MalformedException {
    if (!text.startsWith(word, at)) {
      throw malformed("unexpected character");
    }
    at += word.length();
    return value;
  }

  private void space() {
    while (at < text.length()) {
      char c = text.charAt(at);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      at++;
    }
  }

  private char peek() {
    return at < text.length() ? text.charAt(at) : '\0';
  }

  private char next() throws MalformedException {
    if (at >= text.length()) {
      throw malformed("the text ends early");
    }
    return text.charAt(at++);
  }

  private void expect(char c) throws MalformedException {
    if (next() != c) {
      throw malformed("expected " + c);
    }
  }

  private MalformedException malformed(String problem) {
    return new MalformedException(problem + " at character " + at);
  }
}
