package dev.passport.host.logging;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokens the host has seen (kubelet's service-account tokens, fed by the tokens JSON parser),
 * so that the log sink can mask them wherever they turn up: a library's DEBUG dump of an HTTP
 * request, an exception that quotes a header. Bounded: at most {@link #MAX_ENTRIES} strings, each
 * kept until its token expires (an expired token opens nothing); when full, the entry that expires
 * soonest gives way. Strings shorter than {@link #MIN_LENGTH} are not kept: masking them would mask
 * ordinary words, and a token that short is not one kubelet issues. Longer than
 * {@link #MAX_LENGTH}: not kept either (the JWT pattern of {@link LogRedaction} still masks it).
 */
public final class SeenTokens {

  /** How many strings (tokens and JWT signatures) are remembered at most. */
  public static final int MAX_ENTRIES = 4096;
  /** Shorter strings are not remembered. */
  public static final int MIN_LENGTH = 16;
  /** Longer strings are not remembered (a kubelet token is 1–2 KiB). */
  public static final int MAX_LENGTH = 16 * 1024;

  private static final SeenTokens GLOBAL = new SeenTokens(Clock.systemUTC(), MAX_ENTRIES);

  private final Clock clock;
  private final int maxEntries;
  private final Map<String, Instant> expiries = new ConcurrentHashMap<>();
  /** Longest first, so that a token is masked before a part of it (its signature) is looked for. */
  private volatile String[] needles = new String[0];
  private volatile Instant earliestExpiry = Instant.MAX;

  SeenTokens(Clock clock, int maxEntries) {
    this.clock = requireNonNull(clock, "clock is null");
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries is " + maxEntries + ", must be positive");
    }
    this.maxEntries = maxEntries;
  }

  /** The registry the log sink masks with. */
  public static SeenTokens global() {
    return GLOBAL;
  }

  /** Remembers {@code token} (and, for a JWT, its signature) until {@code expiresAt}. */
  public void remember(String token, Instant expiresAt) {
    requireNonNull(expiresAt, "expiresAt is null");
    if (token == null || !expiresAt.isAfter(clock.instant())) {
      return;
    }
    boolean changed = add(token, expiresAt);
    String[] jwt = token.split("\\.", -1);
    if (jwt.length == 3) {
      changed |= add(jwt[2], expiresAt);
    }
    if (changed) {
      rebuild();
    }
  }

  /** Whether {@code token} is remembered now (a republish that skipped parsing checks this). */
  public boolean remembers(String token) {
    return token != null && expiries.containsKey(token);
  }

  /** How many strings are remembered now. */
  int size() {
    return expiries.size();
  }

  /** {@code text} with every remembered, unexpired string replaced by {@code replacement}. */
  String mask(String text, String replacement) {
    if (clock.instant().isAfter(earliestExpiry)) {
      purgeExpired();
    }
    String[] current = needles;
    if (current.length == 0 || text.length() < MIN_LENGTH) {
      return text;
    }
    String result = text;
    for (String needle : current) {
      if (result.contains(needle)) {
        result = result.replace(needle, replacement);
      }
    }
    return result;
  }

  private boolean add(String value, Instant expiresAt) {
    if (value.length() < MIN_LENGTH || value.length() > MAX_LENGTH) {
      return false;
    }
    Instant known = expiries.get(value);
    if (known != null && !known.isBefore(expiresAt)) {
      return false;
    }
    synchronized (this) {
      if (!expiries.containsKey(value) && expiries.size() >= maxEntries) {
        purgeExpiredLocked();
        if (expiries.size() >= maxEntries) {
          expiries.entrySet().stream().min(Map.Entry.comparingByValue())
              .ifPresent(soonest -> expiries.remove(soonest.getKey()));
        }
      }
      expiries.put(value, expiresAt);
    }
    return true;
  }

  private synchronized void purgeExpired() {
    purgeExpiredLocked();
    rebuild();
  }

  private void purgeExpiredLocked() {
    Instant now = clock.instant();
    expiries.values().removeIf(expiry -> !expiry.isAfter(now));
  }

  private synchronized void rebuild() {
    List<String> sorted = new ArrayList<>(expiries.keySet());
    sorted.sort(Comparator.comparingInt(String::length).reversed());
    needles = sorted.toArray(new String[0]);
    earliestExpiry = expiries.values().stream().min(Comparator.naturalOrder()).orElse(Instant.MAX);
  }
}
