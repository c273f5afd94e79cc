package dev.passport.host.cache;

import dev.passport.api.Material;
import java.time.Instant;

/**
 * Material the backend returned, kept so that a lost or tampered volume can be rewritten without
 * calling the backend again.
 *
 * @param material what the backend returned
 * @param contentHash the hash of its files
 * @param fetchedAt when it was fetched
 * @param refreshAt when it is due again, jitter applied
 */
public record CachedMaterial(Material material, String contentHash, Instant fetchedAt, Instant refreshAt) {

  /** The weight for the cache's byte bound: the content plus a fixed overhead per file. */
  int weight() {
    long bytes = material.size() + 256L * material.files().size() + 512;
    return (int) Math.min(Integer.MAX_VALUE, bytes);
  }
}
