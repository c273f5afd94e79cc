package dev.passport.plugins.gcp;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/**
 * IAM Credentials' {@code generateAccessToken} answer, {@code {"accessToken": ..., "expireTime":
 * ...}}, made readable for google-auth-library. {@code expireTime} is a protobuf Timestamp in RFC
 * 3339, which Google writes with fractional seconds when it has them ({@code
 * 2026-12-01T16:00:00.123456789Z}); google-auth-library 1.42 parses it with {@code
 * yyyy-MM-dd'T'HH:mm:ssX} and fails on the fraction (issue 17). The answer is parsed here and
 * handed on with {@code expireTime} cut to whole seconds (earlier, never later) in UTC.
 *
 * <p>An answer that is not a token (no {@code accessToken}, no parseable {@code expireTime}) is
 * {@link MalformedAnswerException}: no retry makes it valid, so it is not reported as a network
 * failure. Messages never quote the answer: it holds a token.
 */
final class ImpersonationAnswer {

  // RFC 3339 section 5.6: "T" and "Z" may be lower case, the fraction has any number of digits
  private static final DateTimeFormatter RFC_3339 = new DateTimeFormatterBuilder()
      .parseCaseInsensitive()
      .append(DateTimeFormatter.ISO_OFFSET_DATE_TIME)
      .toFormatter();

  private ImpersonationAnswer() {}

  /** A successful IAM Credentials answer that google-auth-library could not use. */
  static final class MalformedAnswerException extends IOException {
    private static final long serialVersionUID = 1L;

    MalformedAnswerException(String endpoint, String why) {
      super(endpoint + " answered HTTP 200 without a usable access token (" + why + "); check"
          + " that iamCredentialsUrl in gcp.properties points at Google's IAM Credentials API");
    }
  }

  /** Whether {@code endpoint} is a generateAccessToken call. */
  static boolean isFor(String endpoint) {
    return endpoint.endsWith(":generateAccessToken");
  }

  /** {@code body} with {@code expireTime} in whole UTC seconds. */
  static byte[] normalize(byte[] body, String endpoint) throws MalformedAnswerException {
    JsonObject answer;
    try {
      JsonElement root = JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
      if (!root.isJsonObject()) {
        throw new MalformedAnswerException(endpoint, "the answer is not a JSON object");
      }
      answer = root.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new MalformedAnswerException(endpoint, "the answer is not JSON");
    }
    if (!isString(answer, "accessToken")) {
      throw new MalformedAnswerException(endpoint, "no accessToken");
    }
    if (!isString(answer, "expireTime")) {
      throw new MalformedAnswerException(endpoint, "no expireTime");
    }
    Instant expires = expireTime(answer.get("expireTime").getAsString(), endpoint);
    answer.addProperty("expireTime", expires.truncatedTo(ChronoUnit.SECONDS).toString());
    return answer.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** An RFC 3339 date-time: any fraction of a second, {@code Z} or a numeric offset. */
  static Instant expireTime(String text, String endpoint) throws MalformedAnswerException {
    try {
      return OffsetDateTime.parse(text, RFC_3339).toInstant();
    } catch (DateTimeParseException e) {
      // not quoted: whatever the server put there stays out of pod events
      throw new MalformedAnswerException(endpoint, "its expireTime is not an RFC 3339 date-time");
    }
  }

  private static boolean isString(JsonObject object, String key) {
    JsonElement value = object.get(key);
    return value != null && value.isJsonPrimitive() && value.getAsJsonPrimitive().isString();
  }
}
