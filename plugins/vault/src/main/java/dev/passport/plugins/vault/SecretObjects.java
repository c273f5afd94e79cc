package dev.passport.plugins.vault;

import static dev.passport.api.BackendException.invalid;

import dev.passport.api.BackendException;
import dev.passport.api.MaterialFile;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The {@code objects} attribute: a YAML list as in vault-csi-provider, parsed strictly. Its values
 * are YAML-typed ({@code filePermission: 0640} is already an octal number), so they are read here
 * rather than as strings; every failure names {@code objects[i].field}.
 */
final class SecretObjects {

  private static final String OBJECTS = VaultAttributes.OBJECTS;
  private static final Set<String> OBJECT_FIELDS = Set.of("objectName", "secretPath", "secretKey",
      "method", "secretArgs", "encoding", "filePermission");

  private SecretObjects() {}

  /** The objects of {@code yaml}, in order; object names are unique. */
  static List<SecretObject> parse(String yaml) throws BackendException {
    Object parsed;
    try {
      parsed = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    } catch (YAMLException e) {
      throw invalid("volume attribute " + OBJECTS + " is not valid YAML: "
          + firstLine(e.getMessage()));
    }
    if (!(parsed instanceof List<?> list) || list.isEmpty()) {
      throw invalid("volume attribute " + OBJECTS + " must be a non-empty YAML list of"
          + " {objectName, secretPath, secretKey, …}");
    }
    List<SecretObject> objects = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String where = OBJECTS + "[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> entry)) {
        throw invalid("volume attribute " + where + " must be a map with objectName and secretPath");
      }
      SecretObject object = object(entry, where);
      if (!names.add(object.objectName())) {
        throw invalid("volume attribute " + where + ".objectName \"" + object.objectName()
            + "\" is used twice; each object needs its own file name");
      }
      objects.add(object);
    }
    return List.copyOf(objects);
  }

  private static SecretObject object(Map<?, ?> entry, String where) throws BackendException {
    Set<String> unknown = new TreeSet<>();
    for (Object key : entry.keySet()) {
      if (!OBJECT_FIELDS.contains(String.valueOf(key))) {
        unknown.add(String.valueOf(key));
      }
    }
    if (!unknown.isEmpty()) {
      throw invalid("volume attribute " + where + " has unknown field(s) " + unknown
          + "; known are " + new TreeSet<>(OBJECT_FIELDS));
    }
    String objectName = scalar(entry, "objectName", where)
        .orElseThrow(() -> invalid("volume attribute " + where + ".objectName is required"));
    checkObjectName(objectName, where + ".objectName");
    String secretPath = scalar(entry, "secretPath", where)
        .orElseThrow(() -> invalid("volume attribute " + where + ".secretPath is required"));
    String apiPath = apiPath(secretPath, where + ".secretPath");
    String method = scalar(entry, "method", where).orElse("GET").toUpperCase(Locale.ROOT);
    if (!method.equals("GET") && !method.equals("PUT") && !method.equals("POST")) {
      throw invalid("volume attribute " + where + ".method is \"" + method
          + "\"; it must be GET, PUT or POST");
    }
    Map<String, Object> secretArgs = new LinkedHashMap<>();
    Object args = entry.get("secretArgs");
    if (args != null) {
      if (!(args instanceof Map<?, ?> argMap)) {
        throw invalid("volume attribute " + where + ".secretArgs must be a map, e.g."
            + " {common_name: app.example.com}");
      }
      for (Map.Entry<?, ?> arg : argMap.entrySet()) {
        secretArgs.put(String.valueOf(arg.getKey()), arg.getValue());
      }
      if (method.equals("GET") && !secretArgs.isEmpty()) {
        throw invalid("volume attribute " + where + ".secretArgs needs method PUT or POST;"
            + " a GET request has no body (put GET parameters into secretPath, e.g. ?version=2)");
      }
    }
    SecretObject.Encoding encoding = SecretObject.Encoding.parse(
        scalar(entry, "encoding", where).orElse("utf-8"), where + ".encoding");
    int mode = filePermission(entry.get("filePermission"), where + ".filePermission");
    return new SecretObject(objectName, apiPath, method, scalar(entry, "secretKey", where),
        secretArgs, encoding, mode);
  }

  private static void checkObjectName(String name, String where) throws BackendException {
    if (name.startsWith("/") || name.contains("\\") || name.contains("\0")) {
      throw invalid("volume attribute " + where + " is \"" + name
          + "\"; it must be a relative file name such as db-password or tls/ca.crt");
    }
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw invalid("volume attribute " + where + " is \"" + name
            + "\"; it must not contain empty, \".\" or \"..\" path segments");
      }
    }
  }

  /** vault-csi-provider's rule: a missing {@code /v1/} prefix is added; the query string stays. */
  static String apiPath(String secretPath, String where) throws BackendException {
    String path = secretPath.trim();
    if (path.startsWith("/v1/")) {
      path = path.substring("/v1/".length());
    } else if (path.startsWith("v1/")) {
      path = path.substring("v1/".length());
    } else if (path.startsWith("/")) {
      path = path.substring(1);
    }
    int query = path.indexOf('?');
    String route = query < 0 ? path : path.substring(0, query);
    if (route.isEmpty() || route.contains("//") || route.contains("#")
        || route.chars().anyMatch(Character::isWhitespace)) {
      throw invalid("volume attribute " + where + " is \"" + secretPath
          + "\"; it must be a Vault API path such as secret/data/app or database/creds/app");
    }
    for (String segment : route.split("/")) {
      if (segment.equals("..") || segment.equals(".")) {
        throw invalid("volume attribute " + where + " is \"" + secretPath
            + "\"; it must not contain \".\" or \"..\" segments");
      }
    }
    return path;
  }

  private static int filePermission(Object value, String where) throws BackendException {
    if (value == null) {
      return MaterialFile.DEFAULT_MODE;
    }
    int mode;
    if (value instanceof Integer number) {
      // YAML 1.1 reads 0600 as octal already
      mode = number;
    } else {
      String text = String.valueOf(value).trim();
      try {
        mode = Integer.parseInt(text.startsWith("0o") ? text.substring(2) : text, 8);
      } catch (NumberFormatException e) {
        throw invalid("volume attribute " + where + " is \"" + text
            + "\"; it must be an octal mode such as 0600");
      }
    }
    if (mode < 0 || mode > 0777) {
      throw invalid("volume attribute " + where + " is " + value + " (" + Integer.toOctalString(mode)
          + " in octal); it must be an octal mode within 0000..0777 written with a leading 0,"
          + " such as 0600");
    }
    return mode;
  }

  private static Optional<String> scalar(Map<?, ?> entry, String field, String where)
      throws BackendException {
    Object value = entry.get(field);
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof Map || value instanceof List) {
      throw invalid("volume attribute " + where + "." + field + " must be a string");
    }
    String text = String.valueOf(value);
    return text.isBlank() ? Optional.empty() : Optional.of(text);
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "parse error";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
