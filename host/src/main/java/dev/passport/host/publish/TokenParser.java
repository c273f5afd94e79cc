package dev.passport.host.publish;

import dev.passport.api.ServiceAccountToken;
import dev.passport.host.logging.LogRedaction;
import dev.passport.host.logging.SeenTokens;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;

/**
 * Reads kubelet's {@code csi.storage.k8s.io/serviceAccount.tokens} value:
 * {@code {"<audience>":{"token":"<jwt>","expirationTimestamp":"<RFC 3339>"}}}.
 *
 * <p>Bounded (issue 13): at most {@link #MAX_CHARS} characters and {@link #MAX_DEPTH} levels of
 * nesting, else INVALID_ARGUMENT naming the limit. Error messages name the audience and the field,
 * never a value: the values are tokens and their expiry. Every token read is handed to
 * {@link SeenTokens}, so that the log sink masks it wherever it turns up.
 */
final class TokenParser {

  /** kubelet writes one 1–2 KiB JWT per audience of the CSIDriver's tokenRequests. */
  static final int MAX_CHARS = 256 * 1024;
  /** kubelet's JSON nests two levels; unknown fields may add a few. */
  static final int MAX_DEPTH = 8;
  /** How long a token whose expiry cannot be read stays masked in logs. */
  private static final Duration UNREADABLE_EXPIRY_MASK = Duration.ofHours(1);

  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxNestingDepth(MAX_DEPTH)
          .maxDocumentLength(MAX_CHARS)
          .build())
      .build();

  private TokenParser() {}

  /** The raw tokens field and where it was found ({@code secrets} or {@code volume_context}). */
  record Raw(String json, String source) {}

  /** The tokens from {@code secrets} first, then {@code volume_context}; empty when neither has the key. */
  static Map<String, ServiceAccountToken> tokens(PublishRequest request) throws PublishException {
    Raw raw = raw(request);
    return raw == null ? Map.of() : parse(raw.json(), raw.source());
  }

  /** The field {@link #tokens} parses, or null when neither map has it (or it is blank). */
  static Raw raw(PublishRequest request) {
    String json = request.secrets().get(KubeletKeys.TOKENS);
    String source = "secrets";
    if (json == null) {
      json = request.volumeContext().get(KubeletKeys.TOKENS);
      source = "volume_context";
    }
    if (json == null || json.isBlank()) {
      return null;
    }
    return new Raw(json, source);
  }

  /**
   * Streams the JSON (no tree): this runs on every republish. Field order and unknown fields are
   * free, as in kubelet's encoding of TokenRequestStatus.
   */
  static Map<String, ServiceAccountToken> parse(String json, String source) throws PublishException {
    String where = KubeletKeys.TOKENS + " in " + source;
    if (json.length() > MAX_CHARS) {
      throw PublishException.invalid(where + " has " + json.length() + " characters, more than the "
          + MAX_CHARS + " allowed; kubelet's tokens JSON is about 2 KiB per audience: check"
          + " spec.tokenRequests of the CSIDriver");
    }
    Map<String, ServiceAccountToken> tokens = new LinkedHashMap<>();
    try (JsonParser parser = JSON.createParser(json)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw PublishException.invalid(where
            + " must be a JSON object from audience to {token, expirationTimestamp}");
      }
      while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
        String audience = parser.currentName();
        if (parser.nextToken() != JsonToken.START_OBJECT) {
          throw PublishException.invalid(where + ", audience " + quoted(audience)
              + ": must be an object with \"token\" and \"expirationTimestamp\"");
        }
        String token = null;
        String expiry = null;
        while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
          String field = parser.currentName();
          JsonToken value = parser.nextToken();
          if (field.equals("token") && value == JsonToken.VALUE_STRING) {
            token = parser.getString();
          } else if (field.equals("expirationTimestamp") && value == JsonToken.VALUE_STRING) {
            expiry = parser.getString();
          } else {
            parser.skipChildren();
          }
        }
        tokens.put(audience, token(audience, token, expiry, where));
      }
      if (parser.nextToken() != null) {
        throw PublishException.invalid(where + " has content after its JSON object");
      }
    } catch (StreamConstraintsException e) {
      // Jackson's message names the constraint and quotes no input; only two are set here (its
      // string and number limits are far above MAX_CHARS), and the length is checked first
      String message = String.valueOf(e.getMessage());
      throw PublishException.invalid(where + (message.contains("nesting depth")
          ? " nests deeper than " + MAX_DEPTH + " levels; kubelet's tokens JSON nests two"
          : " is longer than " + MAX_CHARS + " characters")
          + " (check spec.tokenRequests of the CSIDriver)");
    } catch (JacksonException e) {
      // Jackson's message quotes the input; the input is tokens. Keep only the location. (A
      // String has no I/O to fail, so every other JacksonException is a syntax error.)
      TokenStreamLocation location = e.getLocation();
      throw PublishException.invalid(where + " is not valid JSON" + (location == null ? ""
          : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")"));
    }
    return Map.copyOf(tokens);
  }

  private static ServiceAccountToken token(String audience, String token, String expiry, String where)
      throws PublishException {
    String at = where + ", audience " + quoted(audience);
    if (token == null || token.isBlank()) {
      throw PublishException.invalid(at + ": \"token\" is missing or not a non-empty string");
    }
    Instant expiresAt = null;
    try {
      expiresAt = expiry == null ? null : Instant.parse(expiry);
    } catch (DateTimeParseException e) {
      // expiresAt stays null: the value is not echoed (it may be anything a pod put there)
    }
    SeenTokens.global().remember(token,
        expiresAt != null ? expiresAt : Instant.now().plus(UNREADABLE_EXPIRY_MASK));
    if (expiry == null) {
      throw PublishException.invalid(at + ": \"expirationTimestamp\" is missing or not a string");
    }
    if (expiresAt == null) {
      throw PublishException.invalid(at + ": \"expirationTimestamp\" is not an RFC 3339 instant"
          + " (such as 2026-01-02T15:04:05Z)");
    }
    return ServiceAccountToken.of(token, expiresAt);
  }

  /** An audience name for a message: a JSON key a pod may have chosen. */
  private static String quoted(String name) {
    return LogRedaction.quote(name);
  }
}
