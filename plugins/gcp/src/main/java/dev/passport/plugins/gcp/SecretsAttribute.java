package dev.passport.plugins.gcp;

import static dev.passport.plugins.gcp.GcpVolume.SECRETS;

import dev.passport.api.BackendException;
import dev.passport.plugins.gcp.SecretObject.Extraction;
import dev.passport.plugins.gcp.SecretObject.Format;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The {@code secrets} attribute: provider-gcp's YAML list of {@code resourceName}, {@code path}
 * (legacy {@code fileName}), {@code mode}, {@code extractJSONKey} or {@code extractYAMLKey}, read
 * as provider-gcp reads it (go-yaml v3 into typed fields, see {@link GoYaml}): a string field takes
 * any scalar's text ({@code path: 2024}, {@code extractYAMLKey: yes}), an unquoted {@code 0440}
 * mode is octal, unknown fields are ignored (with a warning), and {@code path} wins over
 * {@code fileName}. Passport adds {@code decode: base64}. What provider-gcp would only fail on
 * later, or the driver would write wrongly (clashing paths), is refused here, before Google is
 * called.
 */
final class SecretsAttribute {

  static final String RESOURCE_NAME = "resourceName";
  static final String PATH = "path";
  static final String FILE_NAME = "fileName";
  static final String MODE = "mode";
  static final String EXTRACT_JSON_KEY = "extractJSONKey";
  static final String EXTRACT_YAML_KEY = "extractYAMLKey";
  static final String DECODE = "decode";
  static final Set<String> FIELDS =
      Set.of(RESOURCE_NAME, PATH, FILE_NAME, MODE, EXTRACT_JSON_KEY, EXTRACT_YAML_KEY, DECODE);

  static final int MAX_SECRETS = 100;
  // Linux NAME_MAX, as the host's writer checks it
  static final int MAX_SEGMENT_BYTES = 255;

  /** The entries, and what was ignored in them (for one warning per prepared volume). */
  record Parsed(List<SecretObject> secrets, List<String> ignored) {
    Parsed {
      secrets = List.copyOf(secrets);
      ignored = List.copyOf(ignored);
    }
  }

  private SecretsAttribute() {}

  /** The entries of a {@code secrets} value, in order, each validated. */
  static Parsed parse(String yamlText) throws BackendException {
    Optional<Node> parsed;
    try {
      parsed = GoYaml.compose(yamlText);
    } catch (YAMLException e) {
      throw invalid("volume attribute " + SECRETS + " is not valid YAML: " + firstLine(e));
    }
    if (parsed.isEmpty() || !(parsed.get() instanceof SequenceNode list)
        || list.getValue().isEmpty()) {
      throw invalid(
          "volume attribute " + SECRETS + " must be a non-empty YAML list of {resourceName, path,"
              + " mode, extractJSONKey | extractYAMLKey}");
    }
    List<Node> items = list.getValue();
    if (items.size() > MAX_SECRETS) {
      throw invalid(
          "volume attribute " + SECRETS + " lists " + items.size() + " secrets; at most "
              + MAX_SECRETS + " per volume");
    }
    List<SecretObject> secrets = new ArrayList<>();
    List<String> ignored = new ArrayList<>();
    Map<String, Integer> paths = new HashMap<>();
    for (int i = 0; i < items.size(); i++) {
      String where = SECRETS + "[" + i + "]";
      if (!(items.get(i) instanceof MappingNode item)) {
        throw invalid(where + " must be a mapping with resourceName and path");
      }
      SecretObject secret = parseSecret(where, item, ignored);
      Integer earlier = paths.putIfAbsent(secret.path(), i);
      if (earlier != null) {
        throw invalid(where + ".path \"" + secret.path() + "\" is also the path of secrets["
            + earlier + "]; each secret needs its own file");
      }
      secrets.add(secret);
    }
    checkNoFileIsADirectory(secrets);
    return new Parsed(secrets, ignored);
  }

  private static SecretObject parseSecret(String where, MappingNode item, List<String> ignored)
      throws BackendException {
    Map<String, Node> fields = new LinkedHashMap<>();
    for (NodeTuple tuple : item.getValue()) {
      if (!(tuple.getKeyNode() instanceof ScalarNode keyNode)) {
        throw invalid(where + " has a key that is not a plain name; use resourceName, path, ...");
      }
      String key = keyNode.getValue();
      if (fields.put(key, tuple.getValueNode()) != null) {
        // go-yaml refuses a mapping key defined twice, and so does provider-gcp
        throw invalid(where + " sets " + key + " twice; keep one");
      }
      if (!FIELDS.contains(key)) {
        // provider-gcp ignores fields it does not know (go-yaml's default)
        ignored.add(where + "." + key);
      }
    }
    String name = optionalString(where, fields, RESOURCE_NAME).orElseThrow(
        () -> invalid(where + " needs " + RESOURCE_NAME));
    ResourceName resource = ResourceName.parse(name).orElseThrow(
        () -> invalid(where + "." + RESOURCE_NAME + " \"" + name + "\" " + ResourceName.problem(name)));

    Optional<String> path = optionalString(where, fields, PATH);
    Optional<String> fileName = optionalString(where, fields, FILE_NAME);
    if (path.isPresent() && fileName.isPresent()) {
      // provider-gcp writes the file at path (Secret.PathString) and ignores fileName
      ignored.add(where + "." + FILE_NAME + " (path is set and wins)");
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
    boolean base64 = decode(where, optionalString(where, fields, DECODE));
    return new SecretObject(resource, file, mode(where, fields.get(MODE)), extraction, base64);
  }

  private static boolean decode(String where, Optional<String> decode) throws BackendException {
    if (decode.isEmpty()) {
      return false;
    }
    if (!decode.get().equals("base64")) {
      throw invalid(where + "." + DECODE + " is \"" + decode.get() + "\"; the only decoding is"
          + " base64 (decode: base64), or leave decode out to write the payload as it is");
    }
    return true;
  }

  /**
   * provider-gcp's {@code mode} ({@code *int32}): a YAML integer by go-yaml v3's rules (an unquoted
   * {@code 0440} or {@code 0o440} is octal, {@code 288} decimal); Passport also takes a quoted
   * {@code "0440"}/{@code "0o440"}, which provider-gcp refuses.
   */
  private static OptionalInt mode(String where, Node value) throws BackendException {
    if (GoYaml.isNull(value)) {
      return OptionalInt.empty();
    }
    Optional<BigInteger> number = Optional.empty();
    if (value instanceof ScalarNode scalar) {
      String text = scalar.getValue().trim();
      GoYaml.Kind kind = GoYaml.kind(scalar);
      if (kind == GoYaml.Kind.INT) {
        number = GoYaml.integer(text);
      } else if (kind == GoYaml.Kind.STRING && OCTAL_MODE.matcher(text).matches()) {
        number = Optional.of(new BigInteger(text.replaceFirst("^0[oO]?", ""), 8));
      }
    }
    if (number.isEmpty()) {
      throw invalid(where + "." + MODE + " is " + describe(value)
          + "; use octal permission bits such as 0440");
    }
    BigInteger mode = number.get();
    if (mode.signum() < 0 || mode.compareTo(BigInteger.valueOf(0777)) > 0) {
      throw invalid(
          where + "." + MODE + " is " + mode.toString(8)
              + " (octal); it must be within 0..0777, e.g. 0440");
    }
    return OptionalInt.of(mode.intValue());
  }

  /**
   * Refuses what the host's writer would refuse only after Google was read (and on every retry):
   * names kubelet's atomic writer reserves ({@code ..data}), segments over NAME_MAX, a path
   * outside the volume.
   */
  private static void checkPath(String where, String path) throws BackendException {
    boolean bad = path.startsWith("/") || path.endsWith("/") || path.contains("\\")
        || path.indexOf('\0') >= 0;
    for (String segment : path.split("/", -1)) {
      bad |= segment.isEmpty() || segment.equals(".") || segment.equals("..");
      if (!bad && segment.startsWith("..")) {
        throw invalid(where + " \"" + path + "\" has a name starting with \"..\", which the"
            + " volume reserves for its own entries (..data); rename it");
      }
      if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
        throw invalid(where + " has a name longer than " + MAX_SEGMENT_BYTES + " bytes");
      }
    }
    if (bad) {
      throw invalid(
          where + " \"" + path + "\" must be a relative path inside the volume, such as"
              + " db/password, without '..', '.', empty segments or backslashes");
    }
  }

  /** {@code a} and {@code a/b} cannot both be written: one would be a file and a directory. */
  private static void checkNoFileIsADirectory(List<SecretObject> secrets) throws BackendException {
    Map<String, Integer> files = new HashMap<>();
    for (int i = 0; i < secrets.size(); i++) {
      files.put(secrets.get(i).path(), i);
    }
    for (int i = 0; i < secrets.size(); i++) {
      String path = secrets.get(i).path();
      for (int slash = path.indexOf('/'); slash >= 0; slash = path.indexOf('/', slash + 1)) {
        Integer file = files.get(path.substring(0, slash));
        if (file != null) {
          throw invalid(SECRETS + "[" + file + "].path \"" + path.substring(0, slash)
              + "\" is a file, and secrets[" + i + "].path \"" + path + "\" needs it to be a"
              + " directory; rename one of them");
        }
      }
    }
  }

  /**
   * A string field as go-yaml v3 fills it: a scalar's text as written, whatever YAML type it
   * resolves to; null or empty is unset. A list or mapping is refused, as go-yaml refuses it.
   */
  private static Optional<String> optionalString(
      String where, Map<String, Node> fields, String key) throws BackendException {
    Node value = fields.get(key);
    if (GoYaml.isNull(value)) {
      return Optional.empty();
    }
    if (!(value instanceof ScalarNode scalar)) {
      throw invalid(where + "." + key + " must be a single value; got a YAML "
          + (value instanceof SequenceNode ? "list" : "mapping"));
    }
    return scalar.getValue().isBlank() ? Optional.empty() : Optional.of(scalar.getValue());
  }

  private static String describe(Node value) {
    return value instanceof ScalarNode scalar ? "\"" + scalar.getValue() + "\""
        : "a YAML " + (value instanceof SequenceNode ? "list" : "mapping");
  }

  private static final Pattern OCTAL_MODE = Pattern.compile("0[oO]?([0-7]{1,4})");

  static String firstLine(Exception e) {
    String message = String.valueOf(e.getMessage());
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }

  private static BackendException invalid(String message) {
    return BackendException.invalid(message);
  }
}
