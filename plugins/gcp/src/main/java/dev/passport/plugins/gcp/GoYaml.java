package dev.passport.plugins.gcp;

import java.io.StringReader;
import java.math.BigInteger;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * YAML read the way provider-gcp reads it: SnakeYAML only builds the node tree, and plain scalars
 * are typed by go-yaml v3's rules, not SnakeYAML's YAML 1.1 ones. So {@code yes}, {@code on} and
 * {@code 1:20} are strings (YAML 1.1 makes them booleans and a sexagesimal number), an unquoted
 * {@code 0440} is still octal (v3 keeps that for compatibility), and a field read as a string gets
 * the scalar's text as written ({@code path: 2024} is the file {@code 2024}).
 */
final class GoYaml {

  /** What go-yaml v3 resolves a scalar to, as far as provider-gcp tells them apart. */
  enum Kind {
    NULL,
    BOOL,
    INT,
    FLOAT,
    STRING
  }

  // plain scalars without an explicit tag get this one from the resolver below, so that they are
  // told apart from quoted scalars and explicit !!str (both Tag.STR)
  private static final Tag PLAIN = new Tag("tag:passport.dev,2026:plain");
  private static final Set<String> NULLS = Set.of("", "~", "null", "Null", "NULL");
  private static final Set<String> BOOLS =
      Set.of("true", "True", "TRUE", "false", "False", "FALSE");
  private static final Set<String> SPECIAL_FLOATS = Set.of(".inf", ".Inf", ".INF", "+.inf",
      "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN");
  // go-yaml v3's yamlStyleFloat
  private static final Pattern FLOAT =
      Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");

  private GoYaml() {}

  /**
   * The node tree of pod-controlled text (attribute values, secret payloads), or empty for an
   * empty document. Alias bombs and oversized documents are refused.
   *
   * @throws org.yaml.snakeyaml.error.YAMLException when the text is not YAML
   */
  static Optional<Node> compose(String text) {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(10);
    options.setCodePointLimit(256 * 1024);
    options.setNestingDepthLimit(20);
    Yaml yaml = new Yaml(new SafeConstructor(options), new Representer(new DumperOptions()),
        new DumperOptions(), options, new PlainResolver());
    return Optional.ofNullable(yaml.compose(new StringReader(text)));
  }

  /** How go-yaml v3 types {@code scalar} when decoding into an untyped value. */
  static Kind kind(ScalarNode scalar) {
    Tag tag = scalar.getTag();
    if (!PLAIN.equals(tag)) {
      // quoted, or an explicit tag: go-yaml honours the tag
      if (Tag.NULL.equals(tag)) {
        return Kind.NULL;
      } else if (Tag.BOOL.equals(tag)) {
        return Kind.BOOL;
      } else if (Tag.INT.equals(tag)) {
        return Kind.INT;
      } else if (Tag.FLOAT.equals(tag)) {
        return Kind.FLOAT;
      }
      return Kind.STRING;
    }
    String text = scalar.getValue();
    if (NULLS.contains(text)) {
      return Kind.NULL;
    }
    if (BOOLS.contains(text)) {
      return Kind.BOOL;
    }
    if (integer(text).isPresent()) {
      return Kind.INT;
    }
    String plain = text.replace("_", "");
    if (SPECIAL_FLOATS.contains(text) || FLOAT.matcher(plain).matches()) {
      return Kind.FLOAT;
    }
    // timestamps are strings too: v3 keeps them strings when the target is untyped
    return Kind.STRING;
  }

  /** Whether {@code node} is a YAML null (or absent). */
  static boolean isNull(Node node) {
    return node == null || node instanceof ScalarNode scalar && kind(scalar) == Kind.NULL;
  }

  /**
   * The integer a scalar's text denotes by go-yaml v3's rules: underscores dropped, then Go's
   * {@code strconv.ParseInt(s, 0, 64)}: an optional sign, {@code 0x}, {@code 0o}, {@code 0b}, or a
   * leading {@code 0} for octal.
   */
  static Optional<BigInteger> integer(String text) {
    String plain = text.replace("_", "");
    if (plain.isEmpty() || !(Character.isDigit(plain.charAt(0)) || plain.charAt(0) == '+'
        || plain.charAt(0) == '-')) {
      return Optional.empty();
    }
    boolean negative = plain.startsWith("-");
    String digits = plain.startsWith("-") || plain.startsWith("+") ? plain.substring(1) : plain;
    int radix = 10;
    String lower = digits.toLowerCase(java.util.Locale.ROOT);
    if (lower.startsWith("0x")) {
      radix = 16;
      digits = digits.substring(2);
    } else if (lower.startsWith("0o")) {
      radix = 8;
      digits = digits.substring(2);
    } else if (lower.startsWith("0b")) {
      radix = 2;
      digits = digits.substring(2);
    } else if (digits.length() > 1 && digits.startsWith("0")) {
      radix = 8;
      digits = digits.substring(1);
    }
    if (digits.isEmpty() || digits.startsWith("+") || digits.startsWith("-")) {
      return Optional.empty();
    }
    try {
      BigInteger value = new BigInteger(digits, radix);
      return Optional.of(negative ? value.negate() : value);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Tags plain scalars {@link #PLAIN}; everything else as SnakeYAML does. */
  private static final class PlainResolver extends Resolver {
    @Override
    public Tag resolve(NodeId kind, String value, boolean implicit) {
      return kind == NodeId.scalar && implicit ? PLAIN : super.resolve(kind, value, implicit);
    }
  }
}
