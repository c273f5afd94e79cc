package dev.passport.plugins.gcp;

import static dev.passport.api.BackendException.Kind.FAILED_PRECONDITION;

import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.passport.api.BackendException;
import dev.passport.plugins.gcp.SecretObject.Extraction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Pulls one key out of a JSON or YAML secret payload, as provider-gcp's extractJSONKey and
 * extractYAMLKey do: the payload must be an object whose value at the key is a string. Messages
 * name the secret and the key, never the content.
 */
final class PayloadExtractor {

  private PayloadExtractor() {}

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
    JsonElement value = root.getAsJsonObject().get(key);
    if (value == null) {
      throw failed(resource, "key \"" + key + "\" not found in its JSON payload");
    }
    if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
      throw failed(resource, "the value of key \"" + key + "\" in its JSON payload is not a string");
    }
    return value.getAsString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] fromYaml(String text, String key, ResourceName resource)
      throws BackendException {
    Object root;
    try {
      root = SecretsAttribute.yaml().load(text);
    } catch (YAMLException e) {
      throw failed(resource, "its payload is not valid YAML, so extractYAMLKey cannot apply");
    }
    if (!(root instanceof Map<?, ?> map)) {
      throw failed(resource, "its payload is not a YAML mapping, so extractYAMLKey cannot apply");
    }
    if (!map.containsKey(key)) {
      throw failed(resource, "key \"" + key + "\" not found in its YAML payload");
    }
    if (!(map.get(key) instanceof String value)) {
      throw failed(resource, "the value of key \"" + key + "\" in its YAML payload is not a string");
    }
    return value.getBytes(StandardCharsets.UTF_8);
  }

  private static BackendException failed(ResourceName resource, String why) {
    return new BackendException(FAILED_PRECONDITION, resource.name() + ": " + why);
  }
}
