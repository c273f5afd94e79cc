package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpVolume.SECRETS;

import dev.passport.api.BackendException;
import dev.passport.plugins.gcp.SecretObject.Extraction;
import dev.passport.plugins.gcp.SecretObject.Format;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The {@code secrets} attribute: provider-gcp's YAML list of {@code resourceName}, {@code path}
 * (legacy {@code fileName}), {@code mode}, {@code extractJSONKey} or {@code extractYAMLKey}, read
 * exactly as provider-gcp reads it (go-yaml's typing: an unquoted {@code 0440} is octal).
 */
final class SecretsAttribute {

  static final String RESOURCE_NAME = "resourceName";
  static final String PATH = "path";
  static final String FILE_NAME = "fileName";
  static final String MODE = "mode";
  static final String EXTRACT_JSON_KEY = "extractJSONKey";
  static final String EXTRACT_YAML_KEY = "extractYAMLKey";
  static final Set<String> FIELDS =
      Set.of(RESOURCE_NAME, PATH, FILE_NAME, MODE, EXTRACT_JSON_KEY, EXTRACT_YAML_KEY);

  static final int MAX_SECRETS = 100;

  private static final Pattern OCTAL_MODE = Pattern.compile("0o?([0-7]{1,4})");

  private SecretsAttribute() {}

  /** The entries of a {@code secrets} value, in order, each validated. */
  static List<SecretObject> parse(String yamlText) throws BackendException {
    Object parsed;
    try {
      parsed = yaml().load(yamlText);
    } catch (YAMLException e) {
      throw invalid("volume attribute " + SECRETS + " is not valid YAML: " + firstLine(e));
    }
    if (!(parsed instanceof List<?> items) || items.isEmpty()) {
      throw invalid(
          "volume attribute " + SECRETS + " must be a non-empty YAML list of {resourceName, path,"
              + " mode, extractJSONKey | extractYAMLKey}");
    }
    if (items.size() > MAX_SECRETS) {
      throw invalid(
          "volume attribute " + SECRETS + " lists " + items.size() + " secrets; at most "
              + MAX_SECRETS + " per volume");
    }
    List<SecretObject> secrets = new ArrayList<>();
    Set<String> paths = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      String where = SECRETS + "[" + i + "]";
      if (!(items.get(i) instanceof Map<?, ?> item)) {
        throw invalid(where + " must be a mapping with resourceName and path");
      }
      SecretObject secret = parseSecret(where, item);
      if (!paths.add(secret.path())) {
        throw invalid(where + ".path \"" + secret.path() + "\" is used by an earlier secret");
      }
      secrets.add(secret);
    }
    return secrets;
  }

  private static SecretObject parseSecret(String where, Map<?, ?> item) throws BackendException {
    Map<String, Object> fields = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : item.entrySet()) {
      String key = String.valueOf(entry.getKey());
      if (!FIELDS.contains(key)) {
        throw invalid(
            where + " has unknown field " + key + "; known fields are " + new TreeSet<>(FIELDS));
      }
      fields.put(key, entry.getValue());
    }
    String name = optionalString(where, fields, RESOURCE_NAME).orElseThrow(
        () -> invalid(where + " needs " + RESOURCE_NAME));
    ResourceName resource = ResourceName.parse(name).orElseThrow(
        () -> invalid(
            where + "." + RESOURCE_NAME + " \"" + name + "\" must have the form "
                + ResourceName.FORMS));

    Optional<String> path = optionalString(where, fields, PATH);
    Optional<String> fileName = optionalString(where, fields, FILE_NAME);
    if (path.isPresent() && fileName.isPresent()) {
      throw invalid(where + " sets both path and fileName; keep path (fileName is its legacy name)");
    }
    String file = path.or(() -> fileName).orElseThrow(
        () -> invalid(where + " needs a path: the file name inside the volume"));
    checkPath(where + "." + (path.isPresent() ? PATH : FILE_NAME), file);

    Optional<String> jsonKey = optionalString(where, fields, EXTRACT_JSON_KEY);
    Optional<String> yamlKey = optionalString(where, fields, EXTRACT_YAML_KEY);
    if (jsonKey.isPresent() && yamlKey.isPresent()) {
      throw invalid(where + " sets both extractJSONKey and extractYAMLKey; keep one");
    }
    Optional<Extraction> extraction =
        jsonKey.map(k -> new Extraction(Format.JSON, k))
            .or(() -> yamlKey.map(k -> new Extraction(Format.YAML, k)));
    return new SecretObject(resource, file, mode(where, fields.get(MODE)), extraction);
  }

  /**
   * provider-gcp's {@code mode}: a YAML integer (go-yaml, like YAML 1.1, reads an unquoted
   * {@code 0440} as octal) or a quoted {@code "0440"}/{@code "0o440"}; not the host's octal
   * strings, which would accept {@code 440} and refuse {@code 0o440}.
   */
  private static OptionalInt mode(String where, Object value) throws BackendException {
    if (value == null) {
      return OptionalInt.empty();
    }
    int mode;
    if (value instanceof Integer number) {
      mode = number;
    } else if (value instanceof String text && OCTAL_MODE.matcher(text.trim()).matches()) {
      mode = Integer.parseInt(text.trim().replaceFirst("^0o?", ""), 8);
    } else {
      throw invalid(
          where + "." + MODE + " is \"" + value + "\"; use octal permission bits such as 0440");
    }
    if (mode < 0 || mode > 0777) {
      throw invalid(
          where + "." + MODE + " is " + Integer.toOctalString(mode)
              + " (octal); it must be within 0..0777, e.g. 0440");
    }
    return OptionalInt.of(mode);
  }

  private static void checkPath(String where, String path) throws BackendException {
    boolean bad = path.startsWith("/") || path.endsWith("/") || path.contains("\\")
        || path.indexOf('\0') >= 0;
    for (String segment : path.split("/", -1)) {
      bad |= segment.isEmpty() || segment.equals(".") || segment.equals("..");
    }
    if (bad) {
      throw invalid(
          where + " \"" + path + "\" must be a relative path inside the volume, such as"
              + " db/password, without '..', '.', empty segments or backslashes");
    }
  }

  private static Optional<String> optionalString(
      String where, Map<String, Object> fields, String key) throws BackendException {
    Object value = fields.get(key);
    if (value == null) {
      return Optional.empty();
    }
    if (!(value instanceof String text)) {
      throw invalid(where + "." + key + " must be a string; got " + value);
    }
    return text.isBlank() ? Optional.empty() : Optional.of(text.trim());
  }

  /** A YAML loader for pod-controlled text: attribute values and secret payloads. */
  static Yaml yaml() {
    LoaderOptions options = new LoaderOptions();
    // attributes come from pod specs: refuse alias bombs and oversized documents
    options.setMaxAliasesForCollections(10);
    options.setCodePointLimit(256 * 1024);
    options.setAllowDuplicateKeys(false);
    return new Yaml(new SafeConstructor(options));
  }

  static String firstLine(Exception e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static BackendException invalid(String message) {
    return BackendException.invalid(message);
  }
}
