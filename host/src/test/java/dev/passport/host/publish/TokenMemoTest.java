package dev.passport.host.publish;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.logging.SeenTokens;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenMemoTest {

  private static final String EXPIRY = "2099-11-26T14:08:00Z";

  private static PublishRequest request(String token) {
    return new PublishRequest("v", "/t", null, true, Map.of(), Map.of(KubeletKeys.TOKENS,
        "{\"vault\":{\"token\":\"" + token + "\",\"expirationTimestamp\":\"" + EXPIRY + "\"}}"));
  }

  @Test
  void lookup_sameRawFieldAfterKeep_reusesTheParsedTokensWithoutParsing() throws PublishException {
    TokenMemo memo = new TokenMemo();
    TokenMemo.Lookup first = memo.lookup("v", request("memo-token-aaaaaaaaaaaaaaaa"));
    memo.keep("v", first);

    TokenMemo.Lookup again = memo.lookup("v", request("memo-token-aaaaaaaaaaaaaaaa"));

    assertThat(first.hit()).isFalse();
    assertThat(again.hit()).isTrue();
    assertThat(again.tokens()).isSameAs(first.tokens());
  }

  @Test
  void lookup_rotatedToken_isParsedAnew() throws PublishException {
    TokenMemo memo = new TokenMemo();
    memo.keep("v", memo.lookup("v", request("memo-token-bbbbbbbbbbbbbbbb")));

    TokenMemo.Lookup rotated = memo.lookup("v", request("memo-token-cccccccccccccccc"));

    assertThat(rotated.hit()).isFalse();
    assertThat(rotated.tokens().get("vault").token()).isEqualTo("memo-token-cccccccccccccccc");
  }

  @Test
  void lookup_withoutKeep_orAfterForget_isParsed() throws PublishException {
    TokenMemo memo = new TokenMemo();
    memo.lookup("v", request("memo-token-dddddddddddddddd"));
    assertThat(memo.lookup("v", request("memo-token-dddddddddddddddd")).hit()).isFalse();

    memo.keep("v", memo.lookup("v", request("memo-token-dddddddddddddddd")));
    memo.forget("v");

    assertThat(memo.lookup("v", request("memo-token-dddddddddddddddd")).hit()).isFalse();
    assertThat(memo.size()).isZero();
  }

  @Test
  void lookup_sameFieldFromAnotherSource_isParsed() throws PublishException {
    TokenMemo memo = new TokenMemo();
    memo.keep("v", memo.lookup("v", request("memo-token-eeeeeeeeeeeeeeee")));
    String json = request("memo-token-eeeeeeeeeeeeeeee").secrets().get(KubeletKeys.TOKENS);

    TokenMemo.Lookup fromContext = memo.lookup("v",
        new PublishRequest("v", "/t", null, true, Map.of(KubeletKeys.TOKENS, json), Map.of()));

    assertThat(fromContext.hit()).isFalse();
  }

  @Test
  void keep_fieldLongerThanTheMemoLimit_isNotRemembered() throws PublishException {
    TokenMemo memo = new TokenMemo();
    String longToken = "memo-token-" + "f".repeat(TokenMemo.MAX_MEMO_CHARS);

    memo.keep("v", memo.lookup("v", request(longToken)));

    assertThat(memo.size()).isZero();
  }

  @Test
  void lookup_hit_remembersTheTokenForTheLogSinkAgain() throws PublishException {
    TokenMemo memo = new TokenMemo();
    String token = "memo-token-gggggggggggggggg";
    memo.keep("v", memo.lookup("v", request(token)));

    memo.lookup("v", request(token));

    assertThat(SeenTokens.global().remembers(token)).isTrue();
  }
}
