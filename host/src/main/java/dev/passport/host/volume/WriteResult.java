package dev.passport.host.volume;

import static java.util.Objects.requireNonNull;

/**
 * The outcome of {@link AtomicWriter#write}.
 *
 * @param written whether new content was swapped in; false when the volume already held it
 * @param dataDirName the name of the timestamped directory {@code ..data} points to now
 * @param contentHash the {@link ContentHash} of the volume's content now
 */
public record WriteResult(boolean written, String dataDirName, String contentHash) {
  public WriteResult {
    requireNonNull(dataDirName, "dataDirName is null");
    requireNonNull(contentHash, "contentHash is null");
  }
}
