package dev.passport.host.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Fetched material by cache key, bounded in bytes, so that a lost or tampered volume can be
 * rewritten without calling the backend again; and the loads in flight, so that concurrent misses
 * for one key share one backend call. It holds content, never a token.
 */
public final class MaterialCache {

  /**
   * Async so that a slow backend never holds a lock another key needs (a synchronous Caffeine load
   * runs inside the map's bin lock); the futures also let concurrent misses share one fetch.
   */
  private final AsyncCache<CacheKey, CachedMaterial> loads;
  private final Cache<CacheKey, CachedMaterial> cache;

  /**
   * @param maxBytes the byte bound of cached material
   * @param clock the host's clock (expiry follows it, so tests move time)
   */
  public MaterialCache(long maxBytes, Clock clock) {
    this.loads = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((CacheKey key, CachedMaterial value) -> value.weight())
        // A safety net for keys of rotated tokens that no republish asks for again.
        .expireAfterWrite(Duration.ofHours(25))
        .ticker(tickerOf(clock))
        .buildAsync();
    this.cache = loads.synchronous();
  }

  public Optional<CachedMaterial> get(CacheKey key) {
    return Optional.ofNullable(cache.getIfPresent(key));
  }

  public void invalidate(CacheKey key) {
    cache.invalidate(key);
  }

  /** Forgets everything cached for a volume (it was unpublished). */
  public void forgetVolume(String volumeId) {
    cache.asMap().keySet().removeIf(k -> k.volumeId().equals(volumeId));
  }

  /**
   * Registers {@code mine} as the load of {@code key}, unless one is already running: then that
   * one is returned and the caller waits for it instead of calling the backend. Completing {@code
   * mine} caches its material.
   */
  public Optional<CompletableFuture<CachedMaterial>> joinOrStart(
      CacheKey key, CompletableFuture<CachedMaterial> mine) {
    return Optional.ofNullable(loads.asMap().putIfAbsent(key, mine));
  }

  /** A load failed: waiters see {@code failure}, and nothing is cached. */
  public void failed(CacheKey key, CompletableFuture<CachedMaterial> mine, Throwable failure) {
    mine.completeExceptionally(failure);
    loads.asMap().remove(key, mine);
  }

  private static Ticker tickerOf(Clock clock) {
    return () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
  }
}
