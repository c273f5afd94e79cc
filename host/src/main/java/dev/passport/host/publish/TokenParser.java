package dev.passport.host.publish;

import dev.passport.host.publish.PublishException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import dev.passport.api.ServiceAccountToken;
import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads kubelet's {@code csi.storage.k8s.io/serviceAccount.tokens} value:
 * {@code {"<audience>":{"token":"<jwt>","expirationTimestamp":"<RFC 3339>"}}}.
 *
 * <p>Error messages name the audience and the field, never the value: the value is a token.
 */
final class TokenParser {

  private static final JsonFactory JSON = new JsonFactory();

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

  /**
   * Streams the JSON (no tree): this runs on every republish. Field order and unknown fields are
   * free, as in kubelet's encoding of TokenRequestStatus.
   */
  static Map<String, ServiceAccountToken> parse(String json, String source) throws PublishException {
    String where = KubeletKeys.TOKENS + " in " + source;
    Map<String, ServiceAccountToken> tokens = new LinkedHashMap<>();
    try (JsonParser parser = JSON.createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw PublishException.invalid(where
            + " must be a JSON object from audience to {token, expirationTimestamp}");
      }
      while (parser.nextToken() == JsonToken.FIELD_NAME) {
        String audience = parser.currentName();
        if (parser.nextToken() != JsonToken.START_OBJECT) {
          throw PublishException.invalid(where + ", audience \"" + audience
              + "\": must be an object with \"token\" and \"expirationTimestamp\"");
        }
        String token = null;
        String expiry = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if (field.equals("token") && value == JsonToken.VALUE_STRING) {
            token = parser.getText();
          } else if (field.equals("expirationTimestamp") && value == JsonToken.VALUE_STRING) {
            expiry = parser.getText();
          } else {
            parser.skipChildren();
          }
        }
        tokens.put(audience, token(audience, token, expiry, where));
      }
      if (parser.nextToken() != null) {
        throw PublishException.invalid(where + " has content after its JSON object");
      }
    } catch (JsonProcessingException e) {
      // Jackson's message quotes the input; the input is tokens. Keep only the location.
      throw PublishException.invalid(where + " is not valid JSON (line "
          + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw PublishException.invalid(where + " cannot be read: " + e.getClass().getSimpleName());
    }
    return Map.copyOf(tokens);
  }

  private static ServiceAccountToken token(String audience, String token, String expiry, String where)
      throws PublishException {
    String at = where + ", audience \"" + audience + "\"";
    if (token == null || token.isBlank()) {
      throw PublishException.invalid(at + ": \"token\" is missing or not a non-empty string");
    }
    if (expiry == null) {
      throw PublishException.invalid(at + ": \"expirationTimestamp\" is missing or not a string");
    }
    try {
      return ServiceAccountToken.of(token, Instant.parse(expiry));
    } catch (DateTimeParseException e) {
      throw PublishException.invalid(at + ": \"expirationTimestamp\" is not an RFC 3339 instant: "
          + expiry);
    }
  }
}
