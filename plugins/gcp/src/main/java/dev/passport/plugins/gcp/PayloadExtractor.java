package dev.passport.plugins.gcp;

import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.passport.api.BackendException;
import dev.passport.plugins.gcp.SecretObject.Extraction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

/**
 * What a secret's file holds: its payload, one key pulled out of a JSON or YAML payload as
 * provider-gcp's extractJSONKey and extractYAMLKey do (the payload must be an object whose value
 * at the key is a string), then, with {@code decode: base64}, decoded. Passport's one extension of
 * extractJSONKey: a key the object does not have but that has dots ({@code db.password}) is looked
 * up as a path through nested objects; a key the object has is always taken as it is, as
 * provider-gcp takes it. Messages name the secret and the key, never the content.
 */
final class PayloadExtractor {

  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private PayloadExtractor() {}

  /** The file content for {@code secret} from its version's {@code payload}. */
  static byte[] content(byte[] payload, SecretObject secret) throws BackendException {
    byte[] content =
        secret.extraction().isPresent()
            ? extract(payload, secret.extraction().get(), secret.resource())
            : payload;
    return secret.base64() ? decodeBase64(content, secret.resource()) : content;
  }

  static byte[] extract(byte[] payload, Extraction extraction, ResourceName resource)
      throws BackendException {
    String text = new String(payload, StandardCharsets.UTF_8);
    return switch (extraction.format()) {
      case JSON -> fromJson(text, extraction.key(), resource);
      case YAML -> fromYaml(text, extraction.key(), resource);
    };
  }

  private static byte[] fromJson(String text, String key, ResourceName resource)
      throws BackendException {
    JsonElement root;
    try {
      root = JsonParser.parseString(text);
    } catch (JsonParseException e) {
      throw failed(resource, "its payload is not valid JSON, so extractJSONKey cannot apply");
    }
    if (!root.isJsonObject()) {
      throw failed(resource, "its payload is not a JSON object, so extractJSONKey cannot apply");
    }
    JsonElement value = root.getAsJsonObject().has(key)
        ? root.getAsJsonObject().get(key)
        : nested(root.getAsJsonObject(), key).orElse(null);
    if (value == null) {
      throw failed(resource, "key \"" + key + "\" not found in its JSON payload"
          + (key.contains(".") ? " (neither as a key nor as a path through nested objects)" : ""));
    }
    if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
      throw failed(resource, "the value of key \"" + key + "\" in its JSON payload is not a string");
    }
    return value.getAsString().getBytes(StandardCharsets.UTF_8);
  }

  /** {@code a.b.c} through nested objects; empty when a step is missing or not an object. */
  private static Optional<JsonElement> nested(JsonObject root, String path) {
    if (!path.contains(".")) {
      return Optional.empty();
    }
    JsonElement current = root;
    for (String step : path.split("\\.", -1)) {
      if (!current.isJsonObject() || !current.getAsJsonObject().has(step)) {
        return Optional.empty();
      }
      current = current.getAsJsonObject().get(step);
    }
    return Optional.of(current);
  }

  /** As go-yaml v3 reads it into {@code map[string]any}: only a string value is taken. */
  private static byte[] fromYaml(String text, String key, ResourceName resource)
      throws BackendException {
    Optional<Node> root;
    try {
      root = GoYaml.compose(text);
    } catch (YAMLException e) {
      throw failed(resource, "its payload is not valid YAML, so extractYAMLKey cannot apply");
    }
    if (root.isEmpty() || !(root.get() instanceof MappingNode map)) {
      throw failed(resource, "its payload is not a YAML mapping, so extractYAMLKey cannot apply");
    }
    Node value = null;
    for (NodeTuple tuple : map.getValue()) {
      if (tuple.getKeyNode() instanceof ScalarNode k && k.getValue().equals(key)) {
        value = tuple.getValueNode();
      }
    }
    if (value == null) {
      throw failed(resource, "key \"" + key + "\" not found in its YAML payload");
    }
    if (!(value instanceof ScalarNode scalar) || GoYaml.kind(scalar) != GoYaml.Kind.STRING) {
      throw failed(resource, "the value of key \"" + key + "\" in its YAML payload is not a string"
          + " (quote numbers, true/false and null to make them strings)");
    }
    return scalar.getValue().getBytes(StandardCharsets.UTF_8);
  }

  /** Standard base64 (RFC 4648, padding optional); line breaks and spaces are ignored. */
  private static byte[] decodeBase64(byte[] content, ResourceName resource)
      throws BackendException {
    String text = WHITESPACE.matcher(new String(content, StandardCharsets.US_ASCII)).replaceAll("");
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw failed(resource, "decode: base64 is set but the content is not base64 (RFC 4648"
          + " standard alphabet); remove decode, or store the value base64-encoded");
    }
  }

  private static BackendException failed(ResourceName resource, String why) {
    return new BackendException(FAILED_PRECONDITION, resource.name() + ": " + why);
  }
}
