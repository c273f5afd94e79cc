package dev.passport.host.volume;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per volume, the {@link AtomicWriter#fingerprint()} taken when its content was last proven to
 * hash to what was written (written by us, or read and hashed). A warm republish compares
 * fingerprints (metadata only) and reads and hashes the files only when they differ.
 */
public final class ProvenContent {

  private final Map<String, String> fingerprints = new ConcurrentHashMap<>();

  /** Whether the volume still holds {@code contentHash} in {@code dataDir}: by fingerprint if proven before, else by hash. */
  public boolean holds(String volumeId, AtomicWriter writer, String dataDir, String contentHash)
      throws IOException {
    Optional<String> now = writer.fingerprint();
    if (now.isEmpty()) {
      return false;
    }
    if (now.get().equals(fingerprints.get(volumeId))) {
      return true;
    }
    if (writer.holds(dataDir, contentHash)) {
      // Proven only if nothing moved while the files were hashed: the pod may change the tree
      // at any moment, and a fingerprint of a state that was never hashed must not count.
      if (writer.fingerprint().equals(now)) {
        fingerprints.put(volumeId, now.get());
      }
      return true;
    }
    fingerprints.remove(volumeId);
    return false;
  }

  /**
   * After a write nothing is proven yet: a fingerprint taken now could already include what the
   * pod changed since the swap, so the next republish proves the content by its hash.
   */
  public void written(String volumeId, AtomicWriter writer) {
    fingerprints.remove(volumeId);
  }

  public void forget(String volumeId) {
    fingerprints.remove(volumeId);
  }
}
