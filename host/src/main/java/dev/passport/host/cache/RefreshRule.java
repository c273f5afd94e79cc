package dev.passport.host.cache;

import static java.util.Objects.requireNonNull;

import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * The refresh rule in one place: whether a publish calls the backend, and when a volume is due
 * again or may retry.
 *
 * <ul>
 *   <li>Not due (same cache key, and the refresh instant after the next republish,
 *       {@code now + republishPeriod < refreshAt}): serve the volume if it still holds what was
 *       written, rewrite it from the cache if it does not; fetch only if nothing is cached. The
 *       host only acts when kubelet republishes (every 60–90 s), so material due before the next
 *       republish is refreshed at this one: a refresh is never later than the plugin's
 *       {@code refreshAt}.
 *   <li>A failed refresh backs off: while {@code now < nextAttemptAt} a volume with content is
 *       answered without calling the backend, which protects a struggling backend from kubelet's
 *       own retries.
 *   <li>Everything else fetches.
 * </ul>
 *
 * <p>{@link #decide} and {@link #reason} are pure functions of their arguments and the republish
 * period; the jitter of {@link #refreshAt} and {@link #retryAt} comes from the injected random
 * source, so tests assert exact instants.
 */
public final class RefreshRule {

  /** The longest backoff window after failed refreshes (before jitter). */
  public static final Duration MAX_BACKOFF = Backoff.MAX;

  /**
   * kubelet's longest gap between two republishes of a volume ({@code requiresRepublish}: its pod
   * sync, every 60–90 s); {@code --republish-period}.
   */
  public static final Duration DEFAULT_REPUBLISH_PERIOD = Duration.ofSeconds(90);

  private final RefreshPolicy policy;
  private final Backoff backoff;
  private final Duration republishPeriod;

  /**
   * @param refreshInterval when static material is due again ({@code --refresh-interval})
   * @param republishPeriod the longest gap between republishes: material due within it is
   *     refreshed now ({@code --republish-period}; zero refreshes only once due)
   * @param random the jitter source, uniform in [0, 1)
   */
  public RefreshRule(Duration refreshInterval, Duration republishPeriod, DoubleSupplier random) {
    requireNonNull(refreshInterval, "refreshInterval is null");
    requireNonNull(random, "random is null");
    if (requireNonNull(republishPeriod, "republishPeriod is null").isNegative()) {
      throw new IllegalArgumentException("republish period must not be negative, got "
          + republishPeriod);
    }
    this.policy = new RefreshPolicy(refreshInterval, random);
    this.backoff = new Backoff(random);
    this.republishPeriod = republishPeriod;
  }

  /**
   * What to do for a volume.
   *
   * @param state what the host remembers of the volume, or null for a new one
   * @param key the cache key of this request (a rotated token or new attributes is a new key)
   * @param now the current instant
   * @param content what is known of the volume's files
   * @param cached whether material for {@code key} is in the cache
   */
  public RefreshDecision decide(
      VolumeState state, CacheKey key, Instant now, VolumeContent content, boolean cached) {
    requireNonNull(key, "key is null");
    requireNonNull(now, "now is null");
    requireNonNull(content, "content is null");
    if (notDue(state, key, now)) {
      switch (content) {
        case INTACT:
          return RefreshDecision.SERVE;
        case PRESENT:
          return RefreshDecision.VERIFY;
        default:
          if (cached) {
            return RefreshDecision.RESTORE;
          }
      }
    }
    if (content != VolumeContent.ABSENT && backingOff(state, now)) {
      return RefreshDecision.BACK_OFF;
    }
    return RefreshDecision.FETCH;
  }

  /**
   * Same cache key (token, attributes, pod) and the state's refresh instant after the next
   * republish.
   */
  public boolean notDue(VolumeState state, CacheKey key, Instant now) {
    return state != null && state.cacheKey().equals(key) && beforeRefresh(state, now);
  }

  /**
   * Why a fetch decided by {@link #decide} calls the backend, as the backend is told.
   *
   * @param state what the host remembers of the volume, or null when it remembers nothing
   * @param key the cache key of this request
   * @param hasPrevious whether the fetch passes previous material (cached, or read back from the
   *     volume)
   */
  public FetchRequest.Reason reason(VolumeState state, CacheKey key, Instant now,
      boolean hasPrevious) {
    requireNonNull(key, "key is null");
    if (!hasPrevious) {
      return FetchRequest.Reason.INITIAL;
    }
    if (state == null) {
      return FetchRequest.Reason.RECOVERED;
    }
    CacheKey before = state.cacheKey();
    if (!before.volumeId().equals(key.volumeId()) || !before.podUid().equals(key.podUid())
        || !before.backend().equals(key.backend())
        || !before.attributesHash().equals(key.attributesHash())) {
      return FetchRequest.Reason.CHANGED;
    }
    if (!before.tokenExpiries().equals(key.tokenExpiries()) && beforeRefresh(state, now)) {
      return FetchRequest.Reason.TOKENS_ROTATED;
    }
    return FetchRequest.Reason.DUE;
  }

  /** The republish period this rule looks ahead by. */
  public Duration republishPeriod() {
    return republishPeriod;
  }

  private boolean beforeRefresh(VolumeState state, Instant now) {
    return now.plus(republishPeriod).isBefore(state.refreshAt());
  }

  /** When material fetched at {@code fetchedAt} is due again, jitter applied. */
  public Instant refreshAt(Material material, Instant fetchedAt) {
    return policy.refreshAt(material, fetchedAt);
  }

  /** The end of the backoff window after the {@code failures}-th consecutive failure (1-based). */
  public Instant retryAt(int failures, Instant now) {
    return now.plus(backoff.delay(failures));
  }

  private static boolean backingOff(VolumeState state, Instant now) {
    return state != null && state.nextAttemptAt() != null && now.isBefore(state.nextAttemptAt());
  }
}
