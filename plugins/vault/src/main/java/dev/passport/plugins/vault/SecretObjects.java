package dev.passport.plugins.vault;

import static dev.passport.api.BackendException.invalid;
import static java.nio.charset.StandardCharsets.UTF_8;

import dev.passport.api.BackendException;
import dev.passport.plugins.vault.YamlV3.Mapping;
import dev.passport.plugins.vault.YamlV3.Node;
import dev.passport.plugins.vault.YamlV3.Scalar;
import dev.passport.plugins.vault.YamlV3.Sequence;
import dev.passport.plugins.vault.YamlV3.YamlError;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code objects} attribute: a YAML list as in vault-csi-provider, read as its yaml.v3 reads
 * it ({@link YamlV3}) into its {@code config.Secret} struct: string fields take the text as
 * written ({@code objectName: yes} is the file {@code yes}, {@code 0755} the file {@code 0755}),
 * {@code filePermission} is an integer ({@code 0640} octal, {@code 420} decimal), {@code
 * secretArgs} keeps YAML's types. Stricter than yaml.v3 on purpose: unknown fields, duplicate keys
 * and names the volume could not hold are refused here, before any Vault call; every failure names
 * {@code objects[i].field}.
 */
final class SecretObjects {

  private static final String OBJECTS = VaultAttributes.OBJECTS;
  private static final Set<String> OBJECT_FIELDS = Set.of("objectName", "secretPath", "secretKey",
      "method", "secretArgs", "encoding", "filePermission");

  /** Linux NAME_MAX, as the host's MaterialLimits checks it (after Vault was called). */
  static final int MAX_SEGMENT_BYTES = 255;

  private SecretObjects() {}

  /** The objects of {@code yaml}, in order; object names are unique and form a valid tree. */
  static List<SecretObject> parse(String yaml) throws BackendException {
    Optional<Node> parsed;
    try {
      parsed = YamlV3.parse(yaml);
    } catch (YamlError e) {
      throw invalid("volume attribute " + OBJECTS + " is not valid YAML: " + e.getMessage());
    }
    if (parsed.isEmpty() || !(parsed.get() instanceof Sequence list) || list.items().isEmpty()) {
      throw invalid("volume attribute " + OBJECTS + " must be a non-empty YAML list of"
          + " {objectName, secretPath, secretKey, …}");
    }
    List<SecretObject> objects = new ArrayList<>();
    Map<String, Integer> names = new HashMap<>();
    int[] values = new int[1]; // YamlV3.MAX_NODES for all secretArgs together
    for (int i = 0; i < list.items().size(); i++) {
      String where = OBJECTS + "[" + i + "]";
      if (!(list.items().get(i) instanceof Mapping entry)) {
        throw invalid("volume attribute " + where + " must be a map with objectName and secretPath");
      }
      SecretObject object;
      try {
        object = object(entry, where, values);
      } catch (YamlError e) {
        throw invalid("volume attribute " + e.getMessage());
      }
      Integer first = names.putIfAbsent(object.objectName(), i);
      if (first != null) {
        throw invalid("volume attribute " + where + ".objectName \"" + object.objectName()
            + "\" is also the name of " + OBJECTS + "[" + first + "]; each object needs its own"
            + " file name");
      }
      objects.add(object);
    }
    checkTree(objects);
    return List.copyOf(objects);
  }

  private static SecretObject object(Mapping entry, String where, int[] values)
      throws BackendException, YamlError {
    YamlV3.checkUniqueKeys(entry, where);
    Map<String, Node> fields = new LinkedHashMap<>();
    Set<String> unknown = new TreeSet<>();
    for (int i = 0; i < entry.keys().size(); i++) {
      String key = ((Scalar) entry.keys().get(i)).value();
      if (OBJECT_FIELDS.contains(key)) {
        fields.put(key, entry.values().get(i));
      } else {
        unknown.add(key);
      }
    }
    if (!unknown.isEmpty()) {
      throw invalid("volume attribute " + where + " has unknown field(s) " + unknown
          + "; known are " + new TreeSet<>(OBJECT_FIELDS));
    }
    String objectName = string(fields, "objectName", where)
        .orElseThrow(() -> invalid("volume attribute " + where + ".objectName is required"));
    checkObjectName(objectName, where + ".objectName");
    String secretPath = string(fields, "secretPath", where)
        .orElseThrow(() -> invalid("volume attribute " + where + ".secretPath is required"));
    String method = string(fields, "method", where).orElse("GET").toUpperCase(Locale.ROOT);
    boolean list = method.equals("LIST");
    if (!method.equals("GET") && !method.equals("PUT") && !method.equals("POST") && !list) {
      throw invalid("volume attribute " + where + ".method is \"" + method
          + "\"; it must be GET, LIST, PUT or POST");
    }
    String apiPath = apiPath(secretPath, list, where + ".secretPath");
    Map<String, Object> secretArgs = secretArgs(fields.get("secretArgs"), where + ".secretArgs",
        values);
    if ((method.equals("GET") || list) && !secretArgs.isEmpty()) {
      throw invalid("volume attribute " + where + ".secretArgs needs method PUT or POST;"
          + " a " + method + " request has no body (put GET parameters into secretPath, e.g."
          + " ?version=2)");
    }
    Optional<String> secretKey = string(fields, "secretKey", where);
    // vault-csi-provider reads encoding only with a secretKey; checked either way (a typo is one)
    SecretObject.Encoding encoding = SecretObject.Encoding.parse(
        string(fields, "encoding", where).orElse(""), where + ".encoding");
    Optional<Integer> mode = filePermission(fields.get("filePermission"), where + ".filePermission");
    return new SecretObject(objectName, apiPath, list ? "GET" : method, secretKey, secretArgs,
        encoding, mode);
  }

  /** The host's path rules (MaterialLimits), checked before any Vault call. */
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
      if (segment.startsWith("..")) {
        throw invalid("volume attribute " + where + " is \"" + name + "\": the name \"" + segment
            + "\" starts with \"..\", which the volume reserves for its internal entries; rename it");
      }
      if (segment.getBytes(UTF_8).length > MAX_SEGMENT_BYTES) {
        throw invalid("volume attribute " + where + " has a name of "
            + segment.getBytes(UTF_8).length + " bytes; each name between slashes may have at most "
            + MAX_SEGMENT_BYTES + " bytes (Linux NAME_MAX)");
      }
    }
  }

  /** No object may be both a file and the directory of another ({@code a} and {@code a/b}). */
  private static void checkTree(List<SecretObject> objects) throws BackendException {
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < objects.size(); i++) {
      index.put(objects.get(i).objectName(), i);
    }
    for (int i = 0; i < objects.size(); i++) {
      String name = objects.get(i).objectName();
      for (int slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
        Integer file = index.get(name.substring(0, slash));
        if (file != null) {
          throw invalid("volume attribute " + OBJECTS + "[" + i + "].objectName \"" + name
              + "\" needs a directory \"" + name.substring(0, slash) + "\", which is the file of "
              + OBJECTS + "[" + file + "]; rename one of them");
        }
      }
    }
  }

  /**
   * vault-csi-provider's request path: a missing {@code /v1/} prefix is added; the path is
   * percent-encoded as Go's {@code net/url} writes a path (so spaces work); the query is parsed and
   * re-encoded as {@code url.ParseQuery} + {@code Values.Encode} (sorted by key); LIST adds
   * {@code list=true}, as Vault's clients send a LIST.
   */
  static String apiPath(String secretPath, boolean list, String where) throws BackendException {
    String path = secretPath;
    if (path.startsWith("/v1/")) {
      path = path.substring("/v1/".length());
    } else if (path.startsWith("v1/")) {
      path = path.substring("v1/".length());
    } else if (path.startsWith("/")) {
      path = path.substring(1);
    }
    int query = path.indexOf('?');
    String route = query < 0 ? path : path.substring(0, query);
    if (route.isEmpty() || route.contains("//")
        || route.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      throw invalid("volume attribute " + where + " is \"" + secretPath
          + "\"; it must be a Vault API path such as secret/data/app or database/creds/app");
    }
    for (String segment : route.split("/")) {
      if (segment.equals("..") || segment.equals(".")) {
        throw invalid("volume attribute " + where + " is \"" + secretPath
            + "\"; it must not contain \".\" or \"..\" segments");
      }
    }
    Map<String, List<String>> params = new TreeMap<>();
    if (query >= 0) {
      parseQuery(path.substring(query + 1), params, where, secretPath);
    }
    if (list) {
      params.computeIfAbsent("list", k -> new ArrayList<>()).add("true");
    }
    StringBuilder out = new StringBuilder(escapePath(route));
    String separator = "?";
    for (Map.Entry<String, List<String>> param : params.entrySet()) {
      for (String value : param.getValue()) {
        out.append(separator).append(queryEscape(param.getKey())).append('=').append(queryEscape(value));
        separator = "&";
      }
    }
    return out.toString();
  }

  private static void parseQuery(String query, Map<String, List<String>> params, String where,
      String secretPath) throws BackendException {
    for (String pair : query.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      if (pair.indexOf(';') >= 0) {
        throw invalid("volume attribute " + where + " is \"" + secretPath
            + "\"; its query contains a semicolon, which Go's url.ParseQuery refuses; use &");
      }
      int eq = pair.indexOf('=');
      String key = queryUnescape(eq < 0 ? pair : pair.substring(0, eq), where, secretPath);
      String value = eq < 0 ? "" : queryUnescape(pair.substring(eq + 1), where, secretPath);
      params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
    }
  }

  private static String queryUnescape(String text, String where, String secretPath)
      throws BackendException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '+') {
        out.write(' ');
      } else if (c == '%') {
        if (i + 2 >= text.length()
            || Character.digit(text.charAt(i + 1), 16) < 0 || Character.digit(text.charAt(i + 2), 16) < 0) {
          throw invalid("volume attribute " + where + " is \"" + secretPath
              + "\"; its query has an invalid %-escape");
        }
        out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
        i += 2;
      } else {
        byte[] bytes = String.valueOf(c).getBytes(UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < text.length()) {
          bytes = text.substring(i, i + 2).getBytes(UTF_8);
          i++;
        }
        out.write(bytes, 0, bytes.length);
      }
    }
    return out.toString(UTF_8);
  }

  /** Go's {@code url.PathEscape}-like path encoding ({@code shouldEscape(c, encodePath)}). */
  static String escapePath(String path) {
    return escape(path, "-_.~$&+,/:;=@");
  }

  /** Go's {@code url.QueryEscape}: space as {@code +}. */
  static String queryEscape(String text) {
    return escape(text, "-_.~").replace("%20", "+");
  }

  private static String escape(String text, String keep) {
    StringBuilder out = new StringBuilder();
    for (byte b : text.getBytes(UTF_8)) {
      int c = b & 0xff;
      if (c < 0x80 && (Character.isLetterOrDigit(c) || keep.indexOf(c) >= 0)) {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return out.toString();
  }

  private static Map<String, Object> secretArgs(Node node, String where, int[] values)
      throws BackendException, YamlError {
    if (node == null || node instanceof Scalar scalar && YamlV3.resolve(scalar).value() == null) {
      return Map.of();
    }
    if (!(node instanceof Mapping mapping)) {
      throw invalid("volume attribute " + where + " must be a map, e.g."
          + " {common_name: app.example.com}");
    }
    YamlV3.checkUniqueKeys(mapping, where);
    Map<String, Object> args = new LinkedHashMap<>();
    for (int i = 0; i < mapping.keys().size(); i++) {
      // a key of the typed map[string]interface{} is its text as written (null: "")
      String key = YamlV3.toGoString(mapping.keys().get(i), where).orElse("");
      args.put(key, YamlV3.toGo(mapping.values().get(i), where + "." + key, values));
    }
    return args;
  }

  /**
   * yaml.v3 into {@code os.FileMode}: an integer ({@code 0640} is octal 0640, {@code 420} is
   * decimal, i.e. 0644); 0 or absent is the default. A quoted octal string ({@code "0640"}) is
   * accepted too (vault-csi-provider refuses it). Above 0777 is refused.
   */
  private static Optional<Integer> filePermission(Node node, String where)
      throws BackendException, YamlError {
    if (node == null) {
      return Optional.empty();
    }
    if (!(node instanceof Scalar scalar)) {
      throw invalid("volume attribute " + where + " must be an octal mode such as 0600");
    }
    YamlV3.Resolved resolved = YamlV3.resolve(scalar);
    long mode;
    if (resolved.value() == null) {
      return Optional.empty();
    } else if (resolved.value() instanceof Long number) {
      mode = number;
    } else if (resolved.value() instanceof BigInteger) {
      mode = -1;
    } else if (resolved.value() instanceof Double number && number == Math.rint(number)) {
      mode = number.longValue();
    } else if (resolved.value() instanceof String text && !scalar.plain()) {
      try {
        mode = Long.parseLong(text.startsWith("0o") ? text.substring(2) : text, 8);
      } catch (NumberFormatException e) {
        throw invalid("volume attribute " + where + " is \"" + text
            + "\"; it must be an octal mode such as 0600");
      }
    } else {
      throw invalid("volume attribute " + where + " is " + scalar.value()
          + "; it must be an octal mode such as 0600");
    }
    if (mode < 0 || mode > 0777) {
      throw invalid("volume attribute " + where + " is " + scalar.value()
          + (mode >= 0 ? " (" + Long.toOctalString(mode) + " in octal)" : "")
          + "; it must be an octal mode within 0000..0777 written with a leading 0,"
          + " such as 0600");
    }
    // vault-csi-provider: 0 means "the default" (the driver's filePermission, 0644)
    return mode == 0 ? Optional.empty() : Optional.of((int) mode);
  }

  private static Optional<String> string(Map<String, Node> fields, String field, String where)
      throws YamlError {
    Node node = fields.get(field);
    if (node == null) {
      return Optional.empty();
    }
    return YamlV3.toGoString(node, where + "." + field).filter(text -> !text.isEmpty());
  }
}
