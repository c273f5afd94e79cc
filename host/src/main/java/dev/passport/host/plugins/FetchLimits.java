package dev.passport.host.plugins;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How many fetches may run at once per backend and per remote ({@code PreparedVolume.remote()}:
 * the server an attribute chose). One registry-wide instance: a remote is counted across backends,
 * since it is the server that stalls, whoever talks to it.
 *
 * <p>A fetch past a limit is refused at once with UNAVAILABLE (kubelet retries it) rather than
 * waiting: a waiting fetch would hold the CSI thread it arrived on, and a stalled server would then
 * still take every thread, only more slowly. With per-remote &lt; per-backend &lt; fetch threads, a
 * server that never answers holds at most the per-remote limit of threads, and one backend at most
 * its own limit, so the others keep threads to run on.
 */
final class FetchLimits {

  /** Longer remote names are cut in messages: the string comes from a pod-chosen attribute. */
  private static final int SHOWN_REMOTE_CHARS = 120;

  private final int perBackend;
  private final int perRemote;
  private final Map<String, Integer> byBackend = new HashMap<>();
  /** Only remotes with fetches running: an entry goes when its count drops to zero. */
  private final Map<String, Integer> byRemote = new HashMap<>();

  private FetchLimits(int perBackend, int perRemote) {
    this.perBackend = perBackend;
    this.perRemote = perRemote;
  }

  /**
   * @param perBackend the most fetches of one backend at once
   * @param perRemote the most fetches to one remote at once; at most {@code perBackend}
   */
  static FetchLimits of(int perBackend, int perRemote) {
    if (perBackend < 1) {
      throw new IllegalArgumentException("--max-fetches-per-backend must be at least 1, got "
          + perBackend);
    }
    if (perRemote < 1 || perRemote > perBackend) {
      throw new IllegalArgumentException("--max-fetches-per-remote must be between 1 and"
          + " --max-fetches-per-backend (" + perBackend + "), got " + perRemote);
    }
    return new FetchLimits(perBackend, perRemote);
  }

  static FetchLimits unlimited() {
    return new FetchLimits(Integer.MAX_VALUE, Integer.MAX_VALUE);
  }

  int perBackend() {
    return perBackend;
  }

  int perRemote() {
    return perRemote;
  }

  /**
   * Takes a place for one fetch of {@code backend} to {@code remote}, or refuses it.
   *
   * @throws BackendException UNAVAILABLE naming the limit that is full, and the remote
   */
  synchronized Permit acquire(String backend, Optional<String> remote) throws BackendException {
    requireNonNull(backend, "backend is null");
    requireNonNull(remote, "remote is null");
    int runningForBackend = byBackend.getOrDefault(backend, 0);
    if (runningForBackend >= perBackend) {
      throw new BackendException(BackendException.Kind.UNAVAILABLE, runningForBackend
          + " fetches of backend " + backend + " are already running, the most allowed at once"
          + " (--max-fetches-per-backend " + perBackend + ")" + remote.map(r -> "; this one is for "
          + shown(r)).orElse("") + "; kubelet will retry");
    }
    // Case differs between spellings of one server; the plugin normalizes the rest.
    Optional<String> key = remote.map(r -> r.toLowerCase(Locale.ROOT));
    if (key.isPresent()) {
      int runningForRemote = byRemote.getOrDefault(key.get(), 0);
      if (runningForRemote >= perRemote) {
        throw new BackendException(BackendException.Kind.UNAVAILABLE, runningForRemote
            + " fetches to " + shown(remote.get()) + " are already running, the most allowed at once"
            + " for one remote (--max-fetches-per-remote " + perRemote + "); kubelet will retry");
      }
      byRemote.merge(key.get(), 1, Integer::sum);
    }
    byBackend.merge(backend, 1, Integer::sum);
    return new Permit(backend, key.orElse(null));
  }

  /** Fetches running now, for tests and diagnostics. */
  synchronized int running(String backend) {
    return byBackend.getOrDefault(backend, 0);
  }

  /** Remotes with fetches running now, for tests and diagnostics. */
  synchronized int remotesInUse() {
    return byRemote.size();
  }

  private synchronized void release(String backend, String remote) {
    byBackend.computeIfPresent(backend, (name, count) -> count == 1 ? null : count - 1);
    if (remote != null) {
      byRemote.computeIfPresent(remote, (name, count) -> count == 1 ? null : count - 1);
    }
  }

  private static String shown(String remote) {
    StringBuilder shown = new StringBuilder();
    for (int i = 0; i < remote.length() && shown.length() < SHOWN_REMOTE_CHARS; i++) {
      char c = remote.charAt(i);
      shown.append(Character.isISOControl(c) ? '?' : c);
    }
    return shown.length() < remote.length() ? shown + "…" : shown.toString();
  }

  /** One fetch's place; {@link #release} gives it back, once, however often it is called. */
  final class Permit {
    private final String backend;
    private final String remote;
    private boolean released;

    private Permit(String backend, String remote) {
      this.backend = backend;
      this.remote = remote;
    }

    void release() {
      synchronized (FetchLimits.this) {
        if (released) {
          return;
        }
        released = true;
      }
      FetchLimits.this.release(backend, remote);
    }
  }
}
