package dev.passport.host.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.ServiceAccountToken;
import dev.passport.host.logging.LogRedaction;
import dev.passport.host.publish.PublishException;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenParserTest {

  private static final String TOKEN = "eyJhbGciOiJSUzI1NiJ9.payload-secret.sig";

  @Test
  void parse_kubeletJson_readsEveryAudience() throws PublishException {
    Map<String, ServiceAccountToken> tokens = TokenParser.parse(
        "{\"vault\":{\"token\":\"" + TOKEN + "\",\"expirationTimestamp\":\"2026-11-26T14:08:00Z\"},"
            + "\"\":{\"token\":\"other\",\"expirationTimestamp\":\"2026-11-26T15:00:00Z\"}}", "secrets");
    assertThat(tokens).containsOnlyKeys("vault", "");
    assertThat(tokens.get("vault").token()).isEqualTo(TOKEN);
    assertThat(tokens.get("vault").expiresAt()).isEqualTo(Instant.parse("2026-11-26T14:08:00Z"));
  }

  @Test
  void tokens_secretsWinOverVolumeContext() throws PublishException {
    PublishRequest request = new PublishRequest("v", "/t", null, true,
        Map.of(KubeletKeys.TOKENS, "{\"a\":{\"token\":\"from-context\",\"expirationTimestamp\":\"2026-11-26T14:08:00Z\"}}"),
        Map.of(KubeletKeys.TOKENS, "{\"a\":{\"token\":\"from-secrets\",\"expirationTimestamp\":\"2026-11-26T14:08:00Z\"}}"));
    assertThat(TokenParser.tokens(request).get("a").token()).isEqualTo("from-secrets");
  }

  @Test
  void parse_malformedJson_failsWithoutEchoingTheValue() {
    assertThatThrownBy(() -> TokenParser.parse("{\"vault\":{\"token\":\"" + TOKEN + "\"", "secrets"))
        .isInstanceOf(PublishException.class)
        .hasMessageContaining("not valid JSON")
        .hasMessageNotContaining(TOKEN)
        .hasMessageNotContaining("payload-secret");
  }

  @Test
  void parse_kepSpellingOfExpiry_isRejectedNamingTheField() {
    assertThatThrownBy(() -> TokenParser.parse(
        "{\"vault\":{\"token\":\"" + TOKEN + "\",\"expiry\":\"2026-11-26T14:08:00Z\"}}", "secrets"))
        .hasMessageContaining("\"expirationTimestamp\" is missing")
        .hasMessageContaining("audience \"vault\"")
        .hasMessageNotContaining(TOKEN);
  }

  @Test
  void parse_badInstant_isRejected() {
    assertThatThrownBy(() -> TokenParser.parse(
        "{\"vault\":{\"token\":\"" + TOKEN + "\",\"expirationTimestamp\":\"tomorrow\"}}", "secrets"))
        .hasMessageContaining("not an RFC 3339 instant");
  }

  @Test
  void parse_badInstant_doesNotEchoTheValue() {
    String value = "tomorrow-at-" + "x".repeat(20);
    assertThatThrownBy(() -> TokenParser.parse(
        "{\"vault\":{\"token\":\"" + TOKEN + "\",\"expirationTimestamp\":\"" + value + "\"}}",
        "secrets"))
        .hasMessageContaining("\"expirationTimestamp\" is not an RFC 3339 instant")
        .hasMessageNotContaining(value);
  }

  @Test
  void parse_nested100kDeep_isInvalidArgumentNamingTheDepthLimit() {
    String json = "{\"vault\":{\"token\":\"" + TOKEN + "\",\"x\":" + "[".repeat(100_000)
        + "]".repeat(100_000) + "}}";

    assertThatThrownBy(() -> TokenParser.parse(json, "secrets"))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.code()).isEqualTo(PublishException.Code.INVALID_ARGUMENT))
        .hasMessageContaining("deeper than " + TokenParser.MAX_DEPTH + " levels")
        .hasMessageNotContaining(TOKEN);
  }

  @Test
  void parse_deepAsKubeletPlusUnknownFields_isAccepted() throws PublishException {
    String json = "{\"vault\":{\"token\":\"" + TOKEN + "\",\"extra\":{\"a\":[{\"b\":[]}]},"
        + "\"expirationTimestamp\":\"2026-11-26T14:08:00Z\"}}";

    assertThat(TokenParser.parse(json, "secrets")).containsOnlyKeys("vault");
  }

  @Test
  void parse_largerThanTheLimit_isInvalidArgumentNamingTheLimit() {
    String json = "{\"vault\":{\"token\":\"" + "t".repeat(TokenParser.MAX_CHARS) + "\"}}";

    assertThatThrownBy(() -> TokenParser.parse(json, "secrets"))
        .isInstanceOfSatisfying(PublishException.class,
            e -> assertThat(e.code()).isEqualTo(PublishException.Code.INVALID_ARGUMENT))
        .hasMessageContaining("more than the " + TokenParser.MAX_CHARS + " allowed");
  }

  @Test
  void parse_audienceWithControlCharacters_isQuotedEscapedInTheMessage() {
    assertThatThrownBy(() -> TokenParser.parse("{\"a\\nforged\":{\"token\":\"" + TOKEN + "\"}}",
        "secrets"))
        .hasMessageContaining("audience \"a\\nforged\"")
        .hasMessageNotContaining("\n");
  }

  @Test
  void parse_aToken_isMaskedByTheLogSinkFromThenOn() throws PublishException {
    String token = "opaque-token-" + System.nanoTime() + "-of-the-parser-test";
    TokenParser.parse("{\"vault\":{\"token\":\"" + token
        + "\",\"expirationTimestamp\":\"" + Instant.now().plusSeconds(600) + "\"}}", "secrets");

    assertThat(LogRedaction.redact("logged " + token)).doesNotContain(token);
  }
}
