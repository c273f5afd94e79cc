package dev.passport.plugins.aws;

import com.fasterxml.jackson.databind.JsonNode;
import dev.passport.api.BackendException;
import java.util.ArrayList;
import java.util.List;

/**
 * The part of JMESPath that extracts one value from a secret: identifiers ({@code username}),
 * quoted identifiers ({@code "hyphenated-key"}), sub-expressions ({@code a.b}) and index
 * expressions ({@code list[0]}, {@code [-1]}). provider-aws accepts all of JMESPath (go-jmespath);
 * a path using more (filters, projections, functions) is refused at prepare time naming the path,
 * so the difference shows when the volume is set up, never as a wrong file.
 */
final class JmesPath {

  static final int MAX_LENGTH = 1024;

  private sealed interface Step permits Field, Index {}

  private record Field(String name) implements Step {}

  private record Index(int index) implements Step {}

  private final List<Step> steps;

  private JmesPath(List<Step> steps) {
    this.steps = steps;
  }

  static JmesPath compile(String path) throws BackendException {
    if (path.length() > MAX_LENGTH) {
      throw BackendException.invalid("Invalid JMES Path: longer than " + MAX_LENGTH + " characters");
    }
    List<Step> steps = new ArrayList<>();
    int i = 0;
    int n = path.length();
    boolean expectField = true;
    while (i < n) {
      char c = path.charAt(i);
      if (c == '[') {
        int end = path.indexOf(']', i);
        if (end < 0) {
          throw unsupported(path);
        }
        String number = path.substring(i + 1, end);
        if (!number.matches("-?[0-9]{1,9}")) {
          throw unsupported(path);
        }
        steps.add(new Index(Integer.parseInt(number)));
        i = end + 1;
        expectField = false;
      } else if (c == '.') {
        if (expectField || i + 1 >= n) {
          throw unsupported(path);
        }
        i++;
        expectField = true;
        if (path.charAt(i) == '[') {
          throw unsupported(path);
        }
      } else if (expectField && c == '"') {
        StringBuilder name = new StringBuilder();
        i++;
        boolean closed = false;
        while (i < n) {
          char d = path.charAt(i);
          if (d == '\\' && i + 1 < n) {
            char e = path.charAt(i + 1);
            if (e == '"' || e == '\\' || e == '/') {
              name.append(e);
            } else {
              throw unsupported(path);
            }
            i += 2;
          } else if (d == '"') {
            closed = true;
            i++;
            break;
          } else {
            name.append(d);
            i++;
          }
        }
        if (!closed) {
          throw unsupported(path);
        }
        steps.add(new Field(name.toString()));
        expectField = false;
      } else if (expectField && (Character.isLetter(c) || c == '_')) {
        int start = i;
        while (i < n && (isIdentifierPart(path.charAt(i)))) {
          i++;
        }
        steps.add(new Field(path.substring(start, i)));
        expectField = false;
      } else {
        throw unsupported(path);
      }
    }
    if (steps.isEmpty()) {
      throw unsupported(path);
    }
    return new JmesPath(List.copyOf(steps));
  }

  /** The value at the path, or null (JMESPath's null) when some step finds nothing. */
  JsonNode search(JsonNode root) {
    JsonNode node = root;
    for (Step step : steps) {
      if (node == null) {
        return null;
      }
      if (step instanceof Field f) {
        node = node.isObject() ? node.get(f.name()) : null;
      } else {
        Index x = (Index) step;
        if (!node.isArray()) {
          return null;
        }
        int index = x.index() < 0 ? node.size() + x.index() : x.index();
        node = index >= 0 && index < node.size() ? node.get(index) : null;
      }
    }
    return node == null || node.isNull() ? null : node;
  }

  private static boolean isIdentifierPart(char c) {
    return c < 128 && (Character.isLetterOrDigit(c) || c == '_');
  }

  private static BackendException unsupported(String path) {
    return BackendException.invalid("Invalid JMES Path: " + path + " (Passport reads identifiers,"
        + " \"quoted-identifiers\", a.b and [index]; filters, projections and functions are not"
        + " supported)");
  }
}
