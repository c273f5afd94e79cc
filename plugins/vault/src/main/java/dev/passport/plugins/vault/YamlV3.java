package dev.passport.plugins.vault;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.AliasEvent;
import org.snakeyaml.engine.v2.events.DocumentEndEvent;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.events.MappingEndEvent;
import org.snakeyaml.engine.v2.events.MappingStartEvent;
import org.snakeyaml.engine.v2.events.NodeEvent;
import org.snakeyaml.engine.v2.events.ScalarEvent;
import org.snakeyaml.engine.v2.events.SequenceEndEvent;
import org.snakeyaml.engine.v2.events.SequenceStartEvent;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

/**
 * YAML as vault-csi-provider reads it: gopkg.in/yaml.v3 (v3.0.1). snakeyaml-engine (YAML 1.2)
 * only parses; the scalars are resolved here by yaml.v3's rules ({@code resolve.go}), which are
 * neither YAML 1.1 nor the 1.2 core schema:
 *
 * <ul>
 *   <li>{@code true/True/TRUE}, {@code false/False/FALSE} are bools; {@code yes, no, on, off, y, n}
 *       are strings.
 *   <li>{@code ~, null, Null, NULL} and the empty scalar are null.
 *   <li>integers by Go's {@code strconv.ParseInt(s, 0, 64)} after removing {@code _}: {@code 0x1F},
 *       {@code 0o17}, {@code 0b101} and, kept from YAML 1.1, {@code 0755} = 493 (octal); then
 *       unsigned 64-bit; then floats ({@code 1e3}, {@code 1.10}, {@code .5}, {@code 08} = 8.0,
 *       {@code .inf}, {@code .nan}).
 *   <li>a timestamp ({@code 2030-01-01T00:00:00Z}) stays the string it was written as.
 *   <li>quoted and block scalars, and {@code !!str}, are strings; {@code !!binary} is decoded.
 * </ul>
 *
 * <p>Duplicate keys in a mapping are refused, as yaml.v3 does (same raw text: {@code a} and
 * {@code "a"} clash). Aliases are followed; merge keys ({@code <<}) are refused.
 */
final class YamlV3 {

  static final String STR = "!!str";
  static final String INT = "!!int";
  static final String FLOAT = "!!float";
  static final String BOOL = "!!bool";
  static final String NULL = "!!null";
  static final String BINARY = "!!binary";
  static final String TIMESTAMP = "!!timestamp";
  static final String MAP = "!!map";
  static final String SEQ = "!!seq";

  /**
   * Aliases may expand one attribute to more values than this in total (all objects together):
   * refused, so that a "billion laughs" attribute costs bounded time and memory.
   */
  static final int MAX_NODES = 100_000;

  private static final Pattern YAML_STYLE_FLOAT =
      Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  private static final Pattern DOT_FLOAT = Pattern.compile("\\.[0-9]+([eE][-+]?[0-9]+)?");
  private static final Map<String, Object> WORDS = new HashMap<>();
  private static final Object NULL_VALUE = new Object();

  static {
    for (String word : List.of("true", "True", "TRUE")) {
      WORDS.put(word, Boolean.TRUE);
    }
    for (String word : List.of("false", "False", "FALSE")) {
      WORDS.put(word, Boolean.FALSE);
    }
    for (String word : List.of("", "~", "null", "Null", "NULL")) {
      WORDS.put(word, NULL_VALUE);
    }
    for (String word : List.of(".nan", ".NaN", ".NAN")) {
      WORDS.put(word, Double.NaN);
    }
    for (String word : List.of(".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")) {
      WORDS.put(word, Double.POSITIVE_INFINITY);
    }
    for (String word : List.of("-.inf", "-.Inf", "-.INF")) {
      WORDS.put(word, Double.NEGATIVE_INFINITY);
    }
  }

  private YamlV3() {}

  /** Why a YAML text cannot be read; the message names the line where known. */
  static final class YamlError extends Exception {
    private static final long serialVersionUID = 1L;

    YamlError(String message) {
      super(message);
    }
  }

  /** A parsed node; an alias is the node it names. */
  sealed interface Node permits Scalar, Sequence, Mapping {
    int line();
  }

  /**
   * A scalar: its text as written, whether it was plain (unquoted, not a block), and its
   * explicit tag in short form ({@code !!int}), if any.
   */
  record Scalar(String value, boolean plain, Optional<String> tag, int line) implements Node {}

  record Sequence(List<Node> items, int line) implements Node {}

  record Mapping(List<Node> keys, List<Node> values, int line) implements Node {}

  /** The first document of {@code text}, empty if there is none (yaml.Unmarshal reads only it). */
  static Optional<Node> parse(String text) throws YamlError {
    LoadSettings settings = LoadSettings.builder().setLabel("objects").build();
    Deque<Object> stack = new ArrayDeque<>();
    Map<String, Node> anchors = new HashMap<>();
    Node[] root = new Node[1];
    try {
      for (Event event : new Parse(settings).parseString(text)) {
        if (event instanceof DocumentEndEvent) {
          break;
        }
        Node done = null;
        if (event instanceof ScalarEvent scalar) {
          done = new Scalar(scalar.getValue(), scalar.isPlain(), scalar.getTag().map(YamlV3::shortTag)
              .filter(tag -> !tag.equals("!")), line(event));
        } else if (event instanceof AliasEvent alias) {
          done = anchors.get(alias.getAlias().getValue());
          if (done == null) {
            throw new YamlError("line " + line(event) + ": unknown anchor '"
                + alias.getAlias().getValue() + "' referenced");
          }
        } else if (event instanceof SequenceStartEvent) {
          stack.push(new Builder(new Sequence(new ArrayList<>(), line(event)), anchor(event)));
        } else if (event instanceof MappingStartEvent) {
          stack.push(new Builder(new Mapping(new ArrayList<>(), new ArrayList<>(), line(event)), anchor(event)));
        } else if (event instanceof SequenceEndEvent || event instanceof MappingEndEvent) {
          Builder builder = (Builder) stack.pop();
          done = builder.node;
          builder.anchor.ifPresent(name -> anchors.put(name, builder.node));
        }
        if (done == null) {
          continue;
        }
        if (event instanceof ScalarEvent) {
          Node scalarNode = done;
          anchor(event).ifPresent(name -> anchors.put(name, scalarNode));
        }
        if (stack.isEmpty()) {
          root[0] = done;
        } else {
          ((Builder) stack.peek()).add(done);
        }
      }
    } catch (YamlEngineException e) {
      throw new YamlError(firstLine(e.getMessage()));
    }
    return Optional.ofNullable(root[0]);
  }

  private record Builder(Node node, Optional<String> anchor) {
    void add(Node child) {
      if (node instanceof Sequence sequence) {
        sequence.items().add(child);
      } else {
        Mapping mapping = (Mapping) node;
        if (mapping.keys().size() == mapping.values().size()) {
          mapping.keys().add(child);
        } else {
          mapping.values().add(child);
        }
      }
    }
  }

  private static Optional<String> anchor(Event event) {
    return ((NodeEvent) event).getAnchor().map(a -> a.getValue());
  }

  private static int line(Event event) {
    return event.getStartMark().map(mark -> mark.getLine() + 1).orElse(0);
  }

  private static String shortTag(String tag) {
    return tag.startsWith("tag:yaml.org,2002:") ? "!!" + tag.substring("tag:yaml.org,2002:".length()) : tag;
  }

  /**
   * Checks yaml.v3's duplicate-key rule for {@code mapping}: two scalar keys with the same text
   * clash, whatever their quoting.
   */
  static void checkUniqueKeys(Mapping mapping, String where) throws YamlError {
    Map<String, Integer> seen = new HashMap<>();
    for (Node key : mapping.keys()) {
      if (!(key instanceof Scalar scalar)) {
        throw new YamlError(where + ": line " + key.line() + ": a key must be a scalar, not a "
            + (key instanceof Mapping ? "mapping" : "list"));
      }
      if (scalar.plain() && scalar.tag().isEmpty() && scalar.value().equals("<<")) {
        throw new YamlError(where + ": line " + key.line()
            + ": merge keys (<<) are not supported; write the fields out");
      }
      Integer first = seen.putIfAbsent(scalar.value(), key.line());
      if (first != null) {
        throw new YamlError(where + ": line " + key.line() + ": mapping key \"" + scalar.value()
            + "\" already defined at line " + first);
      }
    }
  }

  /** The tag yaml.v3 gives a node ({@code Node.ShortTag}). */
  static String shortTagOf(Node node) throws YamlError {
    if (node instanceof Sequence) {
      return SEQ;
    }
    if (node instanceof Mapping) {
      return MAP;
    }
    Scalar scalar = (Scalar) node;
    if (scalar.tag().isPresent()) {
      return scalar.tag().get();
    }
    return scalar.plain() ? resolve(scalar).tag() : STR;
  }

  /** A resolved scalar: its tag and Go value (null for null). */
  record Resolved(String tag, Object value) {}

  /** yaml.v3's {@code resolve(tag, in)} for a scalar as written. */
  static Resolved resolve(Scalar scalar) throws YamlError {
    String in = scalar.value();
    String tag = scalar.tag().orElse(scalar.plain() ? "" : STR);
    if (tag.equals(BINARY)) {
      try {
        return new Resolved(BINARY, new String(Base64.getDecoder().decode(in.replaceAll("[\\r\\n ]", "")),
            java.nio.charset.StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new YamlError("line " + scalar.line() + ": !!binary value contains invalid base64 data");
      }
    }
    if (!tag.isEmpty() && !tag.equals(STR) && !tag.equals(BOOL) && !tag.equals(INT)
        && !tag.equals(FLOAT) && !tag.equals(TIMESTAMP)) {
      // a tag yaml.v3 does not resolve (e.g. !custom): the text as it is
      return new Resolved(tag, in);
    }
    Resolved resolved = tag.equals(STR) ? new Resolved(STR, in) : plain(in);
    if (!tag.isEmpty() && !tag.equals(STR) && !tag.equals(resolved.tag())) {
      if (tag.equals(FLOAT) && resolved.tag().equals(INT)) {
        return new Resolved(FLOAT, ((Number) resolved.value()).doubleValue());
      }
      throw new YamlError("line " + scalar.line() + ": cannot decode " + resolved.tag() + " `" + in
          + "` as a " + tag);
    }
    return resolved;
  }

  private static Resolved plain(String in) {
    char hint = in.isEmpty() ? 'N' : hint(in.charAt(0));
    if (hint == 0) {
      return new Resolved(STR, in);
    }
    Object word = WORDS.get(in);
    if (word != null) {
      return word == NULL_VALUE ? new Resolved(NULL, null)
          : new Resolved(word instanceof Boolean ? BOOL : FLOAT, word);
    }
    if (hint == '.') {
      if (DOT_FLOAT.matcher(in).matches()) {
        return new Resolved(FLOAT, Double.parseDouble(in));
      }
    } else if (hint == 'D' || hint == 'S') {
      String plain = in.replace("_", "");
      BigInteger integer = goParseInt(plain);
      if (integer != null && integer.bitLength() < 64) {
        return new Resolved(INT, integer.longValue());
      }
      if (integer != null && integer.signum() > 0 && integer.bitLength() == 64
          && plain.charAt(0) != '+') {
        return new Resolved(INT, integer); // ParseUint: beyond int64, within uint64, no sign
      }
      if (YAML_STYLE_FLOAT.matcher(plain).matches()) {
        double value = Double.parseDouble(plain);
        if (!Double.isInfinite(value)) { // Go's ParseFloat fails on overflow: then a string
          return new Resolved(FLOAT, value);
        }
      }
    }
    return new Resolved(STR, in);
  }

  private static char hint(char first) {
    if (first == '+' || first == '-') {
      return 'S';
    }
    if (first >= '0' && first <= '9') {
      return 'D';
    }
    if ("yYnNtTfFoO~".indexOf(first) >= 0) {
      return 'M';
    }
    return first == '.' ? '.' : 0;
  }

  /** Go's {@code strconv.ParseInt(s, 0, …)} syntax, unbounded: sign, then 0x, 0o, 0b or 0 (octal). */
  static BigInteger goParseInt(String s) {
    int i = 0;
    boolean negative = false;
    if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
      negative = s.charAt(0) == '-';
      i = 1;
    }
    String rest = s.substring(i);
    int radix = 10;
    if (rest.length() >= 2 && rest.charAt(0) == '0') {
      char prefix = Character.toLowerCase(rest.charAt(1));
      if (prefix == 'x' || prefix == 'o' || prefix == 'b') {
        radix = prefix == 'x' ? 16 : prefix == 'o' ? 8 : 2;
        rest = rest.substring(2);
      } else {
        radix = 8;
        rest = rest.substring(1);
      }
    }
    if (rest.isEmpty()) {
      return null;
    }
    for (int j = 0; j < rest.length(); j++) {
      if (Character.digit(rest.charAt(j), radix) < 0 || rest.charAt(j) > 'z') {
        return null;
      }
    }
    BigInteger value = new BigInteger(rest, radix);
    return negative ? value.negate() : value;
  }

  /**
   * A node decoded into Go's {@code interface{}}: String, Boolean, Long, BigInteger (beyond
   * int64), Double, null, List, or a Map with String keys (a mapping whose keys are all strings;
   * any other key makes Go's map {@code map[interface{}]interface{}}, which {@code json.Marshal}
   * refuses, so it is refused here).
   */
  static Object toGo(Node node, String where) throws YamlError {
    return toGo(node, where, new int[1]);
  }

  /** As {@link #toGo(Node, String)}, counting values in {@code count} across calls. */
  static Object toGo(Node node, String where, int[] count) throws YamlError {
    if (++count[0] > MAX_NODES) {
      throw new YamlError(where + " expands to more than " + MAX_NODES + " values");
    }
    if (node instanceof Scalar scalar) {
      Resolved resolved = resolve(scalar);
      if (resolved.tag().equals(TIMESTAMP) || resolved.tag().equals(STR) && scalar.plain()) {
        return scalar.value();
      }
      if (resolved.value() instanceof Double number && (number.isNaN() || number.isInfinite())) {
        throw new YamlError(where + ": line " + scalar.line() + ": " + scalar.value()
            + " cannot be sent as JSON (json: unsupported value); quote it to send a string");
      }
      return resolved.value();
    }
    if (node instanceof Sequence sequence) {
      List<Object> list = new ArrayList<>();
      for (int i = 0; i < sequence.items().size(); i++) {
        list.add(toGo(sequence.items().get(i), where + "[" + i + "]", count));
      }
      return list;
    }
    Mapping mapping = (Mapping) node;
    checkUniqueKeys(mapping, where);
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < mapping.keys().size(); i++) {
      Scalar key = (Scalar) mapping.keys().get(i);
      String tag = shortTagOf(key);
      if (!tag.equals(STR)) {
        throw new YamlError(where + ": line " + key.line() + ": key " + key.value() + " is a "
            + tag + "; nested keys must be strings (quote it: \"" + key.value() + "\")");
      }
      map.put(key.value(), toGo(mapping.values().get(i), where + "." + key.value(), count));
    }
    return map;
  }

  /**
   * A node decoded into a Go {@code string} field: null is "" (absent), any other scalar is its
   * text as written ({@code yes}, {@code 0755}, {@code 1e3} stay as they are).
   *
   * @return empty for null
   */
  static Optional<String> toGoString(Node node, String where) throws YamlError {
    if (!(node instanceof Scalar scalar)) {
      throw new YamlError(where + " must be a string, not a " + (node instanceof Mapping ? "mapping" : "list"));
    }
    Resolved resolved = resolve(scalar);
    if (resolved.value() == null && !resolved.tag().equals(STR)) {
      return Optional.empty();
    }
    return Optional.of(resolved.tag().equals(BINARY) ? (String) resolved.value() : scalar.value());
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "parse error";
    }
    return message.strip().replace('\n', ' ').replaceAll(" +", " ");
  }
}
