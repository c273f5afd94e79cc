package dev.passport.host.cache;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Material;
import java.time.Duration;
import java.time.Instant;
import java.util.function.DoubleSupplier;

/**
 * The refresh rule in one place: whether a publish calls the backend, and when a volume is due
 * again or may retry.
 *
 * <ul>
 *   <li>Not due (same cache key, {@code now < refreshAt}): serve the volume if it still holds what
 *       was written, rewrite it from the cache if it does not; fetch only if nothing is cached.
 *   <li>A failed refresh backs off: while {@code now < nextAttemptAt} a volume with content is
 *       answered without calling the backend, which protects a struggling backend from kubelet's
 *       own retries.
 *   <li>Everything else fetches.
 * </ul>
 *
 * <p>{@link #decide} is a pure function; the jitter of {@link #refreshAt} and {@link #retryAt}
 * comes from the injected random source, so tests assert exact instants.
 */
public final class RefreshRule {

  /** The longest backoff window after failed refreshes (before jitter). */
  public static final Duration MAX_BACKOFF = Backoff.MAX;

  private final RefreshPolicy policy;
  private final Backoff backoff;

  /**
   * @param refreshInterval when static material is due again ({@code --refresh-interval})
   * @param random the jitter source, uniform in [0, 1)
   */
  public RefreshRule(Duration refreshInterval, DoubleSupplier random) {
    requireNonNull(refreshInterval, "refreshInterval is null");
    requireNonNull(random, "random is null");
    this.policy = new RefreshPolicy(refreshInterval, random);
    this.backoff = new Backoff(random);
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
  public static RefreshDecision decide(
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

  /** Same cache key (token, attributes, pod) and {@code now} before the state's refresh instant. */
  public static boolean notDue(VolumeState state, CacheKey key, Instant now) {
    return state != null && state.cacheKey().equals(key) && now.isBefore(state.refreshAt());
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
