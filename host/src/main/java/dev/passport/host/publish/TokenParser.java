package dev.passport.host.publish;

import dev.passport.host.PublishException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.api.ServiceAccountToken;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads kubelet's {@code csi.storage.k8s.io/serviceAccount.tokens} value:
 * {@code {"<audience>":{"token":"<jwt>","expirationTimestamp":"<RFC 3339>"}}}.
 *
 * <p>Error messages name the audience and the field, never the value: the value is a token.
 */
final class TokenParser {

  private static final ObjectMapper JSON = new ObjectMapper();

  private TokenParser() {}

  /** The tokens from {@code secrets} first, then {@code volume_context}; empty when neither has the key. */
  static Map<String, ServiceAccountToken> tokens(PublishRequest request) throws PublishException {
    String json = request.secrets().get(KubeletKeys.TOKENS);
    String source = "secrets";
    if (json == null) {
      json = request.volumeContext().get(KubeletKeys.TOKENS);
      source = "volume_context";
    }
    if (json == null || json.isBlank()) {
      return Map.of();
    }
    return parse(json, source);
  }

  static Map<String, ServiceAccountToken> parse(String json, String source) throws PublishException {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      // Jackson's message quotes the input; the input is tokens. Keep only the location.
      throw PublishException.invalid(KubeletKeys.TOKENS + " in " + source + " is not valid JSON (line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
    }
    if (root == null || !root.isObject()) {
      throw PublishException.invalid(KubeletKeys.TOKENS + " in " + source
          + " must be a JSON object from audience to {token, expirationTimestamp}");
    }
    Map<String, ServiceAccountToken> tokens = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      tokens.put(field.getKey(), token(field.getKey(), field.getValue(), source));
    }
    return Map.copyOf(tokens);
  }

  private static ServiceAccountToken token(String audience, JsonNode node, String source)
      throws PublishException {
    String where = KubeletKeys.TOKENS + " in " + source + ", audience \"" + audience + "\"";
    JsonNode token = node.get("token");
    JsonNode expiry = node.get("expirationTimestamp");
    if (token == null || !token.isTextual() || token.asText().isBlank()) {
      throw PublishException.invalid(where + ": \"token\" is missing or not a non-empty string");
    }
    if (expiry == null || !expiry.isTextual()) {
      throw PublishException.invalid(where + ": \"expirationTimestamp\" is missing or not a string");
    }
    try {
      return new ServiceAccountToken(token.asText(), Instant.parse(expiry.asText()));
    } catch (DateTimeParseException e) {
      throw PublishException.invalid(where + ": \"expirationTimestamp\" is not an RFC 3339 instant: "
          + expiry.asText());
    }
  }
}
