package dev.passport.api;

import java.util.Optional;
import java.util.Set;

/**
 * A volume's attributes as a backend parsed and validated them, once.
 *
 * <p>A backend returns its own implementation from {@link Backend#prepare} (typically a record of
 * typed values) and receives the same object in {@link Backend#fetch}, so it never parses
 * attributes twice. The host keeps it for as long as volumes with the same attributes exist; it
 * must be immutable and must not hold tokens or per-pod state.
 */
public interface PreparedVolume {

  /**
   * The token audiences a fetch needs, e.g. {@code vault}. The host refuses the volume, naming the
   * audience and the CSIDriver {@code tokenRequests} fix, when kubelet sent no token for one of
   * them; the cache key includes the expiries of exactly these tokens.
   */
  Set<String> audiences();

  /**
   * Audiences whose tokens the fetch takes when kubelet sent them, and does without otherwise:
   * for a backend that accepts one of several equivalent audiences (Google's Workload Identity
   * Federation takes {@code //iam.googleapis.com/…} and {@code https://iam.googleapis.com/…}). The
   * host never refuses a volume over one of these; the cache key includes the expiries of those it
   * passed. The fetch then throws UNAUTHENTICATED, naming the audiences, when none came. Since
   * plugin API 1.2; default none.
   */
  default Set<String> optionalAudiences() {
    return Set.of();
  }

  /**
   * The remote service this volume's fetches talk to, as {@code scheme://host:port} (e.g.
   * {@code https://vault.example:8200}), when a volume attribute chooses it. The host limits
   * concurrent fetches per backend and per remote, so that one slow or hostile server cannot hold
   * every fetch thread; empty when every volume of the backend talks to the same place.
   */
  default Optional<String> remote() {
    return Optional.empty();
  }
}
