package dev.passport.plugins.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The chosen top-level keys of a JSON object, read as a stream: only their values become trees,
 * everything else is skipped as it is parsed, so a large answer is never held a second time as a
 * tree of the whole document.
 */
final class JsonKeys {

  private JsonKeys() {}

  /**
   * The values of {@code keys} found in the object {@code in} holds (a key given twice: its last
   * value, as a tree parser would keep); {@code null} if {@code in} is not exactly one JSON object.
   *
   * @throws IOException if the JSON is malformed or breaks the parser's limits (nesting depth,
   *     string and number lengths); its message may quote the body
   */
  static Map<String, JsonNode> read(ObjectMapper json, InputStream in, List<String> keys)
      throws IOException {
    try (JsonParser parser = json.getFactory().createParser(in)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      Map<String, JsonNode> values = new HashMap<>();
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String name = parser.currentName();
        parser.nextToken();
        if (keys.contains(name)) {
          values.put(name, json.readTree(parser));
        } else {
          parser.skipChildren();
        }
      }
      // END_OBJECT here; then nothing may follow the object
      return parser.currentToken() == JsonToken.END_OBJECT && parser.nextToken() == null
          ? values : null;
    }
  }
}
