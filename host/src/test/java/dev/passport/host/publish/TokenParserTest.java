package dev.passport.host.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.ServiceAccountToken;
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
}
