package dev.passport.host.publish;

import dev.passport.api.ServiceAccountToken;
import dev.passport.host.logging.SeenTokens;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokens each published volume was last published with, next to the raw JSON field they were
 * parsed from (issue 22). kubelet sends the same field on every republish until the token rotates
 * (80 % of its lifetime), so a republish compares the raw field with the remembered one (a
 * {@link String#equals}, no parse, no {@link java.time.Instant#parse}) and reuses the parsed map.
 * Parsing is a pure function of the field, so the memo cannot answer what a parse would not.
 *
 * <p>Bounded: one entry per published volume (kept after a successful publish, dropped on
 * unpublish), and only fields of at most {@link #MAX_MEMO_CHARS} characters (kubelet's is about
 * 2 KiB per audience; a longer one is parsed every time).
 */
final class TokenMemo {

  static final int MAX_MEMO_CHARS = 16 * 1024;

  private record Entry(String source, String json, Map<String, ServiceAccountToken> tokens) {}

  private final Map<String, Entry> byVolume = new ConcurrentHashMap<>();

  /** The outcome of {@link #lookup}: the tokens, and what {@link #keep} remembers. */
  static final class Lookup {
    private final TokenParser.Raw raw;
    private final Map<String, ServiceAccountToken> tokens;
    private final boolean hit;

    private Lookup(TokenParser.Raw raw, Map<String, ServiceAccountToken> tokens, boolean hit) {
      this.raw = raw;
      this.tokens = tokens;
      this.hit = hit;
    }

    Map<String, ServiceAccountToken> tokens() {
      return tokens;
    }

    boolean hit() {
      return hit;
    }
  }

  private static final Lookup NONE = new Lookup(null, Map.of(), false);

  /** The request's tokens: the volume's remembered ones if the raw field is unchanged, else parsed. */
  Lookup lookup(String volumeId, PublishRequest request) throws PublishException {
    TokenParser.Raw raw = TokenParser.raw(request);
    if (raw == null) {
      return NONE;
    }
    Entry known = volumeId == null ? null : byVolume.get(volumeId);
    if (known != null && known.source.equals(raw.source()) && known.json.equals(raw.json())) {
      // The log sink masks what SeenTokens holds; it may have let a token go (it keeps at most
      // MAX_ENTRIES), and a parse would have remembered it again.
      for (ServiceAccountToken token : known.tokens.values()) {
        if (!SeenTokens.global().remembers(token.token())) {
          SeenTokens.global().remember(token.token(), token.expiresAt());
        }
      }
      return new Lookup(raw, known.tokens, true);
    }
    return new Lookup(raw, TokenParser.parse(raw.json(), raw.source()), false);
  }

  /** After a successful publish of {@code volumeId}: its next republish may reuse these tokens. */
  void keep(String volumeId, Lookup lookup) {
    if (lookup.hit || lookup.raw == null || lookup.raw.json().length() > MAX_MEMO_CHARS) {
      return;
    }
    byVolume.put(volumeId, new Entry(lookup.raw.source(), lookup.raw.json(), lookup.tokens));
  }

  /** The volume is gone (unpublished). */
  void forget(String volumeId) {
    byVolume.remove(volumeId);
  }

  /** Volumes with remembered tokens, for tests. */
  int size() {
    return byVolume.size();
  }
}
