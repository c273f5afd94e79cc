package dev.passport.plugins.vault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A Vault answer as vault-csi-provider holds it: decoded into vault's {@code api.Secret} (Go's
 * {@code encoding/json} rules: field names matched exactly, else ignoring ASCII case; unknown
 * fields dropped; {@code null} leaves a field as it was; a wrong type fails), then written back by
 * {@link #json()} with {@code json.Marshal}: the struct's fields in declaration order, {@code
 * omitempty} fields left out when empty, {@code data} with sorted keys and Vault's number literals.
 *
 * <p>As {@code api.ParseSecret}: an answer with none of the struct's fields set (e.g. {@code
 * {"keys":[…]}} without a {@code data} wrapper) becomes the data itself, so it can be keyed.
 *
 * <p>Not reproduced (hostile answers only, never written by Vault's Go encoder): Go merges a
 * duplicated {@code data}/{@code auth} key into the first, here the last wins for nested keys.
 */
final class VaultResponse {

  /** The Go type of a struct field. */
  private enum Kind { STRING, INT, BOOL, STRINGS, STRING_MAP, ANY_MAP, TIME, STRUCT, STRUCT_MAP, STRUCTS }

  private record Field(String name, Kind kind, boolean omitEmpty, Struct struct) {
    static Field of(String name, Kind kind) {
      return new Field(name, kind, false, null);
    }

    static Field omitEmpty(String name, Kind kind) {
      return new Field(name, kind, true, null);
    }
  }

  /** A Go struct type: its JSON fields in declaration order. */
  private static final class Struct {
    final String name;
    final List<Field> fields = new ArrayList<>();

    Struct(String name) {
      this.name = name;
    }

    Struct add(Field field) {
      fields.add(field);
      return this;
    }

    Struct add(String name, Kind kind, boolean omitEmpty, Struct struct) {
      fields.add(new Field(name, kind, omitEmpty, struct));
      return this;
    }
  }

  // vault/api v1.23.0 (vault-csi-provider v1.7.4's go.mod), api/secret.go
  private static final Struct MFA_METHOD_ID = new Struct("MFAMethodID")
      .add(Field.omitEmpty("type", Kind.STRING))
      .add(Field.omitEmpty("id", Kind.STRING))
      .add(Field.omitEmpty("uses_passcode", Kind.BOOL))
      .add(Field.omitEmpty("name", Kind.STRING));
  private static final Struct MFA_CONSTRAINT_ANY = new Struct("MFAConstraintAny")
      .add("any", Kind.STRUCTS, true, MFA_METHOD_ID);
  private static final Struct MFA_REQUIREMENT = new Struct("MFARequirement")
      .add(Field.omitEmpty("mfa_request_id", Kind.STRING))
      .add("mfa_constraints", Kind.STRUCT_MAP, true, MFA_CONSTRAINT_ANY);
  private static final Struct SECRET_AUTH = new Struct("SecretAuth")
      .add(Field.of("client_token", Kind.STRING))
      .add(Field.of("accessor", Kind.STRING))
      .add(Field.of("policies", Kind.STRINGS))
      .add(Field.of("token_policies", Kind.STRINGS))
      .add(Field.of("identity_policies", Kind.STRINGS))
      .add(Field.of("metadata", Kind.STRING_MAP))
      .add(Field.of("orphan", Kind.BOOL))
      .add(Field.of("entity_id", Kind.STRING))
      .add(Field.of("lease_duration", Kind.INT))
      .add(Field.of("renewable", Kind.BOOL))
      .add("mfa_requirement", Kind.STRUCT, false, MFA_REQUIREMENT);
  private static final Struct SECRET_WRAP_INFO = new Struct("SecretWrapInfo")
      .add(Field.of("token", Kind.STRING))
      .add(Field.of("accessor", Kind.STRING))
      .add(Field.of("ttl", Kind.INT))
      .add(Field.of("creation_time", Kind.TIME))
      .add(Field.of("creation_path", Kind.STRING))
      .add(Field.of("wrapped_accessor", Kind.STRING));
  private static final Struct SECRET = new Struct("Secret")
      .add(Field.of("request_id", Kind.STRING))
      .add(Field.of("lease_id", Kind.STRING))
      .add(Field.of("lease_duration", Kind.INT))
      .add(Field.of("renewable", Kind.BOOL))
      .add(Field.of("data", Kind.ANY_MAP))
      .add(Field.of("warnings", Kind.STRINGS))
      .add("auth", Kind.STRUCT, true, SECRET_AUTH)
      .add("wrap_info", Kind.STRUCT, true, SECRET_WRAP_INFO)
      .add(Field.omitEmpty("mount_type", Kind.STRING));

  private static final DateTimeFormatter GO_RFC3339_NANO =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

  /** The decoded fields of one struct value; a field absent here holds its zero value. */
  private final Map<String, Object> secret;

  private VaultResponse(Map<String, Object> secret) {
    this.secret = secret;
  }

  /** Why an answer cannot be decoded as Go would; the caller names the request. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message);
    }
  }

  /** Decodes {@code body} as {@code api.ParseSecret} does. */
  static VaultResponse of(JsonNode body) throws Malformed {
    if (body.isNull()) {
      return new VaultResponse(new LinkedHashMap<>());
    }
    Map<String, Object> secret = decodeStruct(SECRET, body, null, "");
    if (secret.values().stream().allMatch(VaultResponse::isZero)) {
      // no Secret field set: ParseSecret takes the whole answer as its data
      if (body.has("errors")) {
        throw new Malformed("Vault answered with errors " + body.get("errors"));
      }
      if (body.size() > 0) {
        secret.put("data", body.deepCopy());
      }
    }
    return new VaultResponse(secret);
  }

  /** {@code secret.Data}, which vault-csi-provider requires ("empty response" without it). */
  Optional<ObjectNode> data() {
    return Optional.ofNullable((ObjectNode) secret.get("data"));
  }

  /**
   * vault-csi-provider's {@code keyFromData}: the value of {@code key} in {@code data.data} when
   * that is an object (KV v2), else in {@code data}; only that one map is searched. A present key
   * whose value is {@code null} is found (it is written as {@code null}).
   */
  Optional<JsonNode> value(String key) {
    ObjectNode map = keyed();
    return Optional.ofNullable(map).map(m -> m.get(key));
  }

  /** The keys {@link #value} looks in, for messages. */
  List<String> keys() {
    List<String> keys = new ArrayList<>();
    ObjectNode map = keyed();
    if (map != null) {
      map.fieldNames().forEachRemaining(keys::add);
      keys.sort(GoJson.KEY_ORDER);
    }
    return keys;
  }

  private ObjectNode keyed() {
    ObjectNode data = (ObjectNode) secret.get("data");
    if (data != null && data.get("data") instanceof ObjectNode nested) {
      return nested;
    }
    return data;
  }

  /** {@code json.Marshal(secret)}: the whole-answer file of an object without {@code secretKey}. */
  byte[] json() {
    StringBuilder out = new StringBuilder();
    appendStruct(out, SECRET, secret);
    return GoJson.utf8(out);
  }

  // ---------------------------------------------------------------- decoding

  private static Map<String, Object> decodeStruct(Struct type, JsonNode node,
      Map<String, Object> into, String where) throws Malformed {
    if (!node.isObject()) {
      throw new Malformed(where(where, type.name) + " is " + describe(node) + ", not an object");
    }
    Map<String, Object> values = into == null ? new LinkedHashMap<>() : into;
    Iterator<Map.Entry<String, JsonNode>> entries = node.fields();
    while (entries.hasNext()) {
      Map.Entry<String, JsonNode> entry = entries.next();
      Field field = fieldOf(type, entry.getKey());
      if (field == null || entry.getValue().isNull() && isNoOpOnNull(field.kind())) {
        continue;
      }
      String at = where.isEmpty() ? field.name() : where + "." + field.name();
      values.put(field.name(), decode(field, entry.getValue(), values.get(field.name()), at));
    }
    return values;
  }

  /** Go matches a key to a field by its exact name, else ignoring case. */
  private static Field fieldOf(Struct type, String key) {
    for (Field field : type.fields) {
      if (field.name().equals(key)) {
        return field;
      }
    }
    for (Field field : type.fields) {
      if (field.name().equalsIgnoreCase(key)) {
        return field;
      }
    }
    return null;
  }

  /** {@code null} into a string, number, bool or time leaves it unchanged; into a map, slice or pointer it sets nil. */
  private static boolean isNoOpOnNull(Kind kind) {
    return kind == Kind.STRING || kind == Kind.INT || kind == Kind.BOOL || kind == Kind.TIME;
  }

  private static Object decode(Field field, JsonNode node, Object previous, String at)
      throws Malformed {
    if (node.isNull()) {
      return null;
    }
    return switch (field.kind()) {
      case STRING -> string(node, at);
      case INT -> integer(node, at);
      case BOOL -> {
        if (!node.isBoolean()) {
          throw new Malformed(at + " is " + describe(node) + ", not a bool");
        }
        yield node.booleanValue();
      }
      case STRINGS -> {
        if (!node.isArray()) {
          throw new Malformed(at + " is " + describe(node) + ", not a list of strings");
        }
        List<String> list = new ArrayList<>();
        for (JsonNode element : node) {
          list.add(element.isNull() ? "" : string(element, at + "[]"));
        }
        yield list;
      }
      case STRING_MAP -> {
        if (!node.isObject()) {
          throw new Malformed(at + " is " + describe(node) + ", not an object");
        }
        @SuppressWarnings("unchecked")
        Map<String, String> map = previous instanceof Map<?, ?>
            ? (Map<String, String>) previous : new TreeMap<>(GoJson.KEY_ORDER);
        Iterator<Map.Entry<String, JsonNode>> entries = node.fields();
        while (entries.hasNext()) {
          Map.Entry<String, JsonNode> entry = entries.next();
          map.put(entry.getKey(), entry.getValue().isNull() ? "" : string(entry.getValue(), at));
        }
        yield map;
      }
      case ANY_MAP -> {
        if (!node.isObject()) {
          throw new Malformed(at + " is " + describe(node) + ", not an object");
        }
        yield node;
      }
      case TIME -> time(node, at);
      case STRUCT -> {
        @SuppressWarnings("unchecked")
        Map<String, Object> into = previous instanceof Map<?, ?> ? (Map<String, Object>) previous : null;
        yield decodeStruct(field.struct(), node, into, at);
      }
      case STRUCT_MAP -> {
        if (!node.isObject()) {
          throw new Malformed(at + " is " + describe(node) + ", not an object");
        }
        Map<String, Object> map = new TreeMap<>(GoJson.KEY_ORDER);
        Iterator<Map.Entry<String, JsonNode>> entries = node.fields();
        while (entries.hasNext()) {
          Map.Entry<String, JsonNode> entry = entries.next();
          map.put(entry.getKey(), entry.getValue().isNull() ? null
              : decodeStruct(field.struct(), entry.getValue(), null, at + "." + entry.getKey()));
        }
        yield map;
      }
      case STRUCTS -> {
        if (!node.isArray()) {
          throw new Malformed(at + " is " + describe(node) + ", not a list");
        }
        List<Object> list = new ArrayList<>();
        for (JsonNode element : node) {
          list.add(element.isNull() ? null : decodeStruct(field.struct(), element, null, at + "[]"));
        }
        yield list;
      }
    };
  }

  private static String string(JsonNode node, String at) throws Malformed {
    if (!node.isTextual()) {
      throw new Malformed(at + " is " + describe(node) + ", not a string");
    }
    return node.textValue();
  }

  /** Go's int (64 bits) from a {@code json.Number}: a base-10 integer literal; {@code 1e3} fails. */
  private static Long integer(JsonNode node, String at) throws Malformed {
    String literal = node instanceof GoJson.LiteralNumber number ? number.literal()
        : node.isIntegralNumber() ? node.asText() : null;
    try {
      if (literal != null) {
        return Long.parseLong(literal);
      }
    } catch (NumberFormatException e) {
      // falls through: a fraction, an exponent or out of range
    }
    throw new Malformed(at + " is " + describe(node) + ", not an integer");
  }

  /** Go's {@code time.Time}: RFC 3339 in, RFC 3339 with the fraction's trailing zeros trimmed out. */
  private static String time(JsonNode node, String at) throws Malformed {
    try {
      OffsetDateTime time = OffsetDateTime.parse(string(node, at), DateTimeFormatter.ISO_OFFSET_DATE_TIME);
      if (time.getYear() < 0 || time.getYear() > 9999) {
        throw new Malformed(at + " has a year outside 0..9999");
      }
      StringBuilder out = new StringBuilder(time.format(GO_RFC3339_NANO));
      int nanos = time.getNano();
      if (nanos != 0) {
        String fraction = String.format("%09d", nanos).replaceAll("0+$", "");
        out.append('.').append(fraction);
      }
      ZoneOffset offset = time.getOffset();
      out.append(offset.getTotalSeconds() == 0 ? "Z" : offset.getId());
      return out.toString();
    } catch (DateTimeParseException e) {
      throw new Malformed(at + " is not an RFC 3339 time");
    }
  }

  private static boolean isZero(Object value) {
    return value == null || value.equals("") || value.equals(0L) || value.equals(Boolean.FALSE)
        || value.equals("0001-01-01T00:00:00Z");
  }

  private static String where(String where, String type) {
    return where.isEmpty() ? "the answer (" + type + ")" : where;
  }

  private static String describe(JsonNode node) {
    return node.isTextual() ? "a string" : node.isNumber() ? "the number " + node.asText()
        : node.isBoolean() ? "a bool" : node.isArray() ? "a list" : node.isObject() ? "an object"
        : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
  }

  // ---------------------------------------------------------------- encoding

  private static void appendStruct(StringBuilder out, Struct type, Map<String, Object> values) {
    out.append('{');
    boolean first = true;
    for (Field field : type.fields) {
      Object value = values.get(field.name());
      if (field.omitEmpty() && isEmpty(value)) {
        continue;
      }
      if (!first) {
        out.append(',');
      }
      first = false;
      GoJson.appendString(out, field.name());
      out.append(':');
      appendValue(out, field, value);
    }
    out.append('}');
  }

  /** Go's omitempty: false, 0, "", a nil pointer and a nil or empty map or slice. */
  private static boolean isEmpty(Object value) {
    return isZero(value) && !"0001-01-01T00:00:00Z".equals(value)
        || value instanceof Map<?, ?> map && map.isEmpty()
        || value instanceof List<?> list && list.isEmpty();
  }

  @SuppressWarnings("unchecked")
  private static void appendValue(StringBuilder out, Field field, Object value) {
    switch (field.kind()) {
      case STRING -> GoJson.appendString(out, value == null ? "" : (String) value);
      case INT -> out.append(value == null ? 0L : (Long) value);
      case BOOL -> out.append(value != null && (Boolean) value);
      case TIME -> GoJson.appendString(out, value == null ? "0001-01-01T00:00:00Z" : (String) value);
      case ANY_MAP -> GoJson.append(out, (JsonNode) value);
      case STRINGS -> {
        if (value == null) {
          out.append("null");
          return;
        }
        out.append('[');
        List<String> list = (List<String>) value;
        for (int i = 0; i < list.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          GoJson.appendString(out, list.get(i));
        }
        out.append(']');
      }
      case STRING_MAP -> {
        if (value == null) {
          out.append("null");
          return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, String> entry : ((Map<String, String>) value).entrySet()) {
          if (!first) {
            out.append(',');
          }
          first = false;
          GoJson.appendString(out, entry.getKey());
          out.append(':');
          GoJson.appendString(out, entry.getValue());
        }
        out.append('}');
      }
      case STRUCT -> {
        if (value == null) {
          out.append("null");
        } else {
          appendStruct(out, field.struct(), (Map<String, Object>) value);
        }
      }
      case STRUCT_MAP -> {
        if (value == null) {
          out.append("null");
          return;
        }
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, Object> entry : ((Map<String, Object>) value).entrySet()) {
          if (!first) {
            out.append(',');
          }
          first = false;
          GoJson.appendString(out, entry.getKey());
          out.append(':');
          if (entry.getValue() == null) {
            out.append("null");
          } else {
            appendStruct(out, field.struct(), (Map<String, Object>) entry.getValue());
          }
        }
        out.append('}');
      }
      case STRUCTS -> {
        if (value == null) {
          out.append("null");
          return;
        }
        out.append('[');
        List<Object> list = (List<Object>) value;
        for (int i = 0; i < list.size(); i++) {
          if (i > 0) {
            out.append(',');
          }
          if (list.get(i) == null) {
            out.append("null");
          } else {
            appendStruct(out, field.struct(), (Map<String, Object>) list.get(i));
          }
        }
        out.append(']');
      }
      default -> throw new IllegalStateException(field.kind().toString());
    }
  }

  static ObjectNode emptyObject() {
    return JsonNodeFactory.instance.objectNode();
  }
}
