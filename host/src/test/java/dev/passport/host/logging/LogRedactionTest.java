package dev.passport.host.logging;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.testkit.FakeClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LogRedactionTest {

  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
  private final FakeClock clock = FakeClock.at(NOW);
  private final SeenTokens seen = new SeenTokens(clock, 8);

  @Test
  void redact_aSeenOpaqueToken_isMaskedWhereverItAppears() {
    String token = "opaque-token-0123456789abcdef";
    seen.remember(token, NOW.plusSeconds(600));

    String line = LogRedaction.redact("sent token=" + token + "&next=" + token, seen);

    assertThat(line).doesNotContain(token).isEqualTo(
        "sent token=" + LogRedaction.SEEN_TOKEN + "&next=" + LogRedaction.SEEN_TOKEN);
  }

  @Test
  void redact_theSignatureOfASeenJwtAlone_isMasked() {
    String signature = "c2lnbmF0dXJlLXBhcnQtb2YtYS10b2tlbg";
    seen.remember("header.payload." + signature, NOW.plusSeconds(600));

    assertThat(LogRedaction.redact("tail ..." + signature, seen)).doesNotContain(signature);
  }

  @Test
  void redact_aSeenTokenAfterItsExpiry_isForgotten() {
    String token = "opaque-token-0123456789abcdef";
    seen.remember(token, NOW.plusSeconds(60));

    clock.advance(Duration.ofSeconds(61));

    assertThat(LogRedaction.redact(token, seen)).isEqualTo(token);
    assertThat(seen.size()).isZero();
  }

  @Test
  void remember_pastItsBound_dropsTheTokenThatExpiresSoonest() {
    for (int i = 0; i < 8; i++) {
      seen.remember("opaque-token-number-" + i + "-padding", NOW.plusSeconds(100 + i));
    }
    seen.remember("opaque-token-the-newest-one-padding", NOW.plusSeconds(1000));

    assertThat(seen.size()).isEqualTo(8);
    assertThat(LogRedaction.redact("opaque-token-number-0-padding", seen))
        .as("the entry expiring soonest made room").isEqualTo("opaque-token-number-0-padding");
    assertThat(LogRedaction.redact("opaque-token-the-newest-one-padding", seen))
        .isEqualTo(LogRedaction.SEEN_TOKEN);
  }

  @Test
  void remember_shortStrings_areNotKept() {
    seen.remember("short", NOW.plusSeconds(600));

    assertThat(seen.size()).isZero();
    assertThat(LogRedaction.redact("a short word", seen)).isEqualTo("a short word");
  }

  @Test
  void redact_unseenCredentialShapes_areMasked() {
    String jwt = JwtShaped.of("x");
    String google = "ya29.a0AfH6SMBx-some_Access.Token";
    String refresh = "1//0gLongRefreshTokenValue-xyz";
    String vault = "hvs.CAESIJ0123456789abcdefghijklmn";
    String bearer = "Authorization: Bearer opaqueValue12345";
    String header = "X-Vault-Token: s.0123456789abcdef";

    String line = LogRedaction.redact(String.join(" | ", jwt, google, refresh, vault, bearer, header),
        seen);

    assertThat(line).doesNotContain(jwt).doesNotContain("c2lnbmF0dXJl")
        .doesNotContain(google).doesNotContain("a0AfH6SMBx")
        .doesNotContain(refresh).doesNotContain(vault).doesNotContain("opaqueValue12345")
        .doesNotContain("s.0123456789abcdef")
        .contains("<redacted:jwt>", "<redacted:google-token>", "<redacted:vault-token>",
            "Bearer <redacted>", "X-Vault-Token: <redacted>");
  }

  @Test
  void redact_ordinaryText_isReturnedAsIs() {
    String line = "published volume csi-1 of pod shop/web-0 from backend vault (FETCHED)";

    assertThat(LogRedaction.redact(line, seen)).isSameAs(line);
  }

  @Test
  void escapeControl_newlinesAndOtherControls_becomeEscapes() {
    assertThat(LogRedaction.escapeControl("a\nb\rc\td\u0000e\u001b[31mf\u0085g\u2028h\u007f"))
        .isEqualTo("a\\nb\\rc\\td\\u0000e\\u001b[31mf\\u0085g\\u2028h\\u007f");
    assertThat(LogRedaction.escapeControl("plain")).isEqualTo("plain");
  }

  @Test
  void quote_aLongPodChosenValue_isCutAndSaysItsLength() {
    String quoted = LogRedaction.quote("x".repeat(10_000) + "\n");

    assertThat(quoted).hasSizeLessThan(100).contains("(10001 characters)").doesNotContain("\n");
  }
}
