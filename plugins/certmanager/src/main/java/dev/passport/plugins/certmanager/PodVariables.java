package dev.passport.plugins.certmanager;

import dev.passport.api.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The pod variables csi-driver expands in names and SANs, in Go's {@code os.Expand} syntax:
 * {@code ${NAME}} or {@code $NAME}. An unknown variable is an error, not an empty string, so a
 * typo cannot silently request a certificate for the wrong name.
 */
final class PodVariables {

  static final List<String> NAMES =
      List.of("POD_NAME", "POD_NAMESPACE", "POD_UID", "SERVICE_ACCOUNT_NAME");

  private PodVariables() {}

  /** The names of unknown variables in {@code template}, or a syntax problem; empty when valid. */
  static List<String> problems(String template) {
    List<String> problems = new ArrayList<>();
    expand(template, name -> "", problems);
    return problems;
  }

  /**
   * Expands {@code template} for {@code pod}.
   *
   * @throws IllegalArgumentException naming the unknown variables and the known ones
   */
  static String expand(String template, Pod pod) {
    Map<String, String> values = Map.of(
        "POD_NAME", pod.name(),
        "POD_NAMESPACE", pod.namespace(),
        "POD_UID", pod.uid(),
        "SERVICE_ACCOUNT_NAME", pod.serviceAccount());
    List<String> problems = new ArrayList<>();
    String result = expand(template, values::get, problems);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join(", ", problems));
    }
    return result;
  }

  private static String expand(
      String template, Function<String, String> lookup, List<String> problems) {
    StringBuilder out = new StringBuilder();
    TreeSet<String> unknown = new TreeSet<>();
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (c != '$' || i + 1 == template.length()) {
        out.append(c);
        i++;
        continue;
      }
      Optional<String> name;
      if (template.charAt(i + 1) == '{') {
        int close = template.indexOf('}', i + 2);
        if (close < 0) {
          problems.add("unclosed \"${\" at position " + i);
          return out.toString();
        }
        name = Optional.of(template.substring(i + 2, close));
        i = close + 1;
      } else {
        int end = i + 1;
        while (end < template.length() && isNameChar(template.charAt(end))) {
          end++;
        }
        if (end == i + 1) {
          out.append(c);
          i++;
          continue;
        }
        name = Optional.of(template.substring(i + 1, end));
        i = end;
      }
      if (NAMES.contains(name.get())) {
        out.append(lookup.apply(name.get()));
      } else {
        unknown.add(name.get());
      }
    }
    for (String name : unknown) {
      problems.add("undefined variable \"" + name + "\" (known: " + String.join(", ", NAMES) + ")");
    }
    return out.toString();
  }

  private static boolean isNameChar(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
}
