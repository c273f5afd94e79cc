package dev.passport.host.k8s;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code spec.secretObjects} of a SecretProviderClass (issue 19 item 4) with
 * secrets-store-csi-driver's rules ({@code secretutil.ValidateSecretObject}: name, type and data
 * required; names, types, object names and keys trimmed) and Kubernetes' own validation of a Secret
 * (names, keys, labels, annotations), so that a class the API server would refuse is refused here,
 * naming the field, before any API call. The class is written by the pod's namespace: counts are
 * bounded too.
 */
public final class SecretObjects {

  static final int MAX_SECRET_OBJECTS = 16;
  static final int MAX_DATA = 64;
  static final int MAX_LABELS = 64;
  static final int MAX_ANNOTATIONS = 64;
  /** Kubernetes' {@code TotalAnnotationSizeLimitB}. */
  static final int MAX_ANNOTATION_BYTES = 256 * 1024;
  static final int MAX_NAME = 253;
  static final int MAX_TYPE = 253;
  static final int MAX_LABEL_VALUE = 63;
  static final int MAX_QUALIFIED_NAME = 63;

  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern QUALIFIED_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  /** Kubernetes' {@code IsConfigMapKey}, the rule for a Secret's data keys. */
  private static final Pattern DATA_KEY = Pattern.compile("[-._a-zA-Z0-9]+");
  private static final Pattern TYPE = Pattern.compile("[\\x21-\\x7e]+");

  private SecretObjects() {}

  /**
   * The class's secretObjects, empty when it lists none.
   *
   * @param raw {@code spec.secretObjects} as the API server sent it (null when absent)
   * @param what "SecretProviderClass ns/name", for messages
   */
  static List<SecretObject> parse(Object raw, String what) throws SecretProviderClassException {
    if (raw == null) {
      return List.of();
    }
    if (!(raw instanceof List<?> list)) {
      throw invalid(what + ": spec.secretObjects is not a list");
    }
    if (list.size() > MAX_SECRET_OBJECTS) {
      throw invalid(what + " lists " + list.size() + " spec.secretObjects; at most "
          + MAX_SECRET_OBJECTS + " are allowed");
    }
    List<SecretObject> objects = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      SecretObject object = secretObject(list.get(i), what + ": spec.secretObjects[" + i + "]");
      if (!names.add(object.secretName())) {
        throw invalid(what + ": spec.secretObjects names Secret " + object.secretName()
            + " twice; give each Secret one entry");
      }
      objects.add(object);
    }
    return List.copyOf(objects);
  }

  private static SecretObject secretObject(Object raw, String where)
      throws SecretProviderClassException {
    if (!(raw instanceof Map<?, ?> map)) {
      throw invalid(where + " is not an object");
    }
    // secrets-store-csi-driver's ValidateSecretObject: "secret name is empty", "secret type is
    // empty", "data is empty" (checked before trimming, as there)
    String rawName = string(map.get("secretName"), where + ".secretName");
    if (rawName.isEmpty()) {
      throw invalid(where + ": secret name is empty; set secretName");
    }
    String rawType = string(map.get("type"), where + ".type");
    if (rawType.isEmpty()) {
      throw invalid(where + ": secret type is empty; set type (Opaque for plain data)");
    }
    Object rawData = map.get("data");
    if (!(rawData instanceof List<?> dataList) || dataList.isEmpty()) {
      throw invalid(where + ": data is empty; list {objectName, key} entries under data");
    }
    String name = rawName.strip();
    if (name.length() > MAX_NAME || !DNS_SUBDOMAIN.matcher(name).matches()) {
      throw invalid(where + ": secretName " + quote(name) + " is not a Kubernetes object name"
          + " (lowercase letters, digits, '-' and '.', at most " + MAX_NAME + " characters)");
    }
    // secrets-store-csi-driver's GetSecretType: a type of only spaces becomes Opaque
    String type = rawType.strip().isEmpty() ? "Opaque" : rawType.strip();
    if (type.length() > MAX_TYPE || !TYPE.matcher(type).matches()) {
      throw invalid(where + ": type " + quote(type) + " is not a Secret type (printable, no spaces,"
          + " at most " + MAX_TYPE + " characters)");
    }
    if (dataList.size() > MAX_DATA) {
      throw invalid(where + " has " + dataList.size() + " data entries; at most " + MAX_DATA
          + " are allowed");
    }
    List<SecretObject.Data> data = new ArrayList<>();
    for (int j = 0; j < dataList.size(); j++) {
      data.add(data(dataList.get(j), where + ".data[" + j + "]"));
    }
    Map<String, String> labels = stringMap(map.get("labels"), where + ".labels", MAX_LABELS);
    for (Map.Entry<String, String> label : labels.entrySet()) {
      qualifiedName(label.getKey(), where + ".labels key");
      String value = label.getValue();
      if (value.length() > MAX_LABEL_VALUE
          || (!value.isEmpty() && !QUALIFIED_NAME.matcher(value).matches())) {
        throw invalid(where + ".labels." + label.getKey() + ": value " + quote(value) + " is not a"
            + " label value (at most " + MAX_LABEL_VALUE + " characters: letters, digits, '-', '_'"
            + " and '.', beginning and ending with a letter or digit)");
      }
    }
    Map<String, String> annotations =
        stringMap(map.get("annotations"), where + ".annotations", MAX_ANNOTATIONS);
    long annotationBytes = 0;
    for (Map.Entry<String, String> annotation : annotations.entrySet()) {
      // Kubernetes checks annotation keys lowercased
      qualifiedName(annotation.getKey().toLowerCase(java.util.Locale.ROOT), where + ".annotations key");
      annotationBytes += annotation.getKey().getBytes(StandardCharsets.UTF_8).length
          + annotation.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    if (annotationBytes > MAX_ANNOTATION_BYTES) {
      throw invalid(where + ".annotations hold " + annotationBytes + " bytes; Kubernetes allows at"
          + " most " + MAX_ANNOTATION_BYTES);
    }
    return new SecretObject(name, type, labels, annotations, data);
  }

  private static SecretObject.Data data(Object raw, String where) throws SecretProviderClassException {
    if (!(raw instanceof Map<?, ?> map)) {
      throw invalid(where + " is not an object");
    }
    String objectName = string(map.get("objectName"), where + ".objectName").strip();
    String key = string(map.get("key"), where + ".key").strip();
    if (objectName.isEmpty()) {
      // secrets-store-csi-driver: "object name in secretObjects.data" (sic)
      throw invalid(where + ": object name in secretObjects.data is empty; set objectName to the"
          + " mounted file's name (the object's name or alias)");
    }
    if (objectName.length() > 4096) {
      throw invalid(where + ": objectName is longer than 4096 characters");
    }
    if (key.isEmpty()) {
      throw invalid(where + ": key in secretObjects.data is empty; set key");
    }
    if (key.length() > MAX_NAME || !DATA_KEY.matcher(key).matches() || key.equals(".")
        || key.startsWith("..")) {
      throw invalid(where + ": key " + quote(key) + " is not a Secret data key (letters, digits,"
          + " '-', '_' and '.', at most " + MAX_NAME + " characters, not '.' or '..…')");
    }
    return new SecretObject.Data(objectName, key);
  }

  private static void qualifiedName(String key, String where) throws SecretProviderClassException {
    String name = key;
    int slash = key.indexOf('/');
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      name = key.substring(slash + 1);
      if (prefix.isEmpty() || prefix.length() > MAX_NAME || !DNS_SUBDOMAIN.matcher(prefix).matches()) {
        throw invalid(where + " " + quote(key) + ": the prefix before '/' must be a DNS subdomain"
            + " (lowercase, at most " + MAX_NAME + " characters)");
      }
    }
    if (name.isEmpty() || name.length() > MAX_QUALIFIED_NAME || !QUALIFIED_NAME.matcher(name).matches()) {
      throw invalid(where + " " + quote(key) + " is not a qualified name (at most "
          + MAX_QUALIFIED_NAME + " characters after the prefix: letters, digits, '-', '_' and '.',"
          + " beginning and ending with a letter or digit)");
    }
  }

  private static String string(Object value, String where) throws SecretProviderClassException {
    if (value == null) {
      return "";
    }
    if (!(value instanceof String s)) {
      throw invalid(where + " is not a string");
    }
    return s;
  }

  private static Map<String, String> stringMap(Object raw, String where, int max)
      throws SecretProviderClassException {
    if (raw == null) {
      return Map.of();
    }
    if (!(raw instanceof Map<?, ?> map)) {
      throw invalid(where + " is not a map of strings");
    }
    if (map.size() > max) {
      throw invalid(where + " has " + map.size() + " entries; at most " + max + " are allowed");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : map.entrySet()) {
      if (!(e.getKey() instanceof String key) || !(e.getValue() instanceof String value)) {
        throw invalid(where + ": every key and value must be a string (quote the value)");
      }
      out.put(key, value);
    }
    return out;
  }

  /** A pod-written value in a message: quoted, control characters escaped, at most 80 characters. */
  static String quote(String value) {
    String shown = value.length() > 80 ? value.substring(0, 80) + "…" : value;
    StringBuilder out = new StringBuilder("\"");
    for (char c : shown.toCharArray()) {
      out.append(c < 0x20 || c == 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
    }
    return out.append('"').toString();
  }

  private static SecretProviderClassException invalid(String message) {
    return new SecretProviderClassException(message, false);
  }
}
