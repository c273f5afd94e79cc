package dev.passport.host.cache;

import static java.util.Objects.requireNonNull;

import dev.passport.host.metrics.HostMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The volumes the host manages, in memory and in the state store, and the gauges that follow them
 * (volume count, earliest expiry). Callers serialise changes per volume.
 */
public final class VolumeStates {

  private static final Logger LOG = LoggerFactory.getLogger(VolumeStates.class);

  private final StateStore store;
  private final HostMetrics metrics;
  private final Map<String, VolumeState> states = new ConcurrentHashMap<>();

  private VolumeStates(StateStore store, HostMetrics metrics) {
    this.store = requireNonNull(store, "store is null");
    this.metrics = requireNonNull(metrics, "metrics is null");
  }

  /** Loads the state dir; forgets volumes whose target is gone (unpublished while we were down). */
  public static VolumeStates load(StateStore store, HostMetrics metrics) throws IOException {
    VolumeStates volumes = new VolumeStates(store, metrics);
    for (VolumeState state : store.loadAll()) {
      if (!Files.isDirectory(Path.of(state.target()), LinkOption.NOFOLLOW_LINKS)) {
        LOG.info("forgetting volume {}: its target {} no longer exists", state.volumeId(), state.target());
        store.delete(state.volumeId());
        continue;
      }
      volumes.states.put(state.volumeId(), state);
      metrics.volumes(state.backend(), +1);
    }
    if (!volumes.states.isEmpty()) {
      LOG.info("resumed {} volume(s) from {}", volumes.states.size(), store.directory());
    }
    return volumes;
  }

  /** The state of a volume, if the host manages it. */
  public Optional<VolumeState> state(String volumeId) {
    return Optional.ofNullable(states.get(volumeId));
  }

  /** The number of volumes the host manages. */
  public int count() {
    return states.size();
  }

  /** Records a volume after a fetch and write; a store failure propagates (the publish fails). */
  public void fetched(VolumeState fresh) {
    store.save(fresh);
    if (states.put(fresh.volumeId(), fresh) == null) {
      metrics.volumes(fresh.backend(), +1);
    }
    if (fresh.expiresAt() != null) {
      metrics.earliestExpiry(fresh.backend(), earliestExpiry(fresh.backend()));
    }
  }

  /** Records a volume rewritten from the cache into {@code dataDir}. */
  public VolumeState restored(VolumeState state, String dataDir) {
    VolumeState rewritten = state.rewritten(dataDir);
    store.save(rewritten);
    states.put(rewritten.volumeId(), rewritten);
    return rewritten;
  }

  /** Records a failed refresh; a store failure is only logged (the state file only saves fetches). */
  public VolumeState failed(VolumeState state, String error, Instant retryAt) {
    VolumeState failed = state.failed(error, retryAt);
    states.put(failed.volumeId(), failed);
    try {
      store.save(failed);
    } catch (RuntimeException e) {
      LOG.warn("cannot record the failure of volume {}: {}", failed.volumeId(), e.getMessage());
    }
    return failed;
  }

  /** Forgets an unpublished volume; a store failure propagates (unpublish fails, kubelet retries). */
  public Optional<VolumeState> remove(String volumeId) {
    VolumeState state = states.remove(volumeId);
    store.delete(volumeId);
    forgotten(state);
    return Optional.ofNullable(state);
  }

  /** Forgets a volume whose first publish failed; a store failure is only logged. */
  public void discard(String volumeId) {
    forgotten(states.remove(volumeId));
    try {
      store.delete(volumeId);
    } catch (RuntimeException e) {
      LOG.error("cannot delete the state of {}: {}", volumeId, e.getMessage());
    }
  }

  private void forgotten(VolumeState state) {
    if (state != null) {
      metrics.volumes(state.backend(), -1);
      metrics.earliestExpiry(state.backend(), earliestExpiry(state.backend()));
    }
  }

  private Instant earliestExpiry(String backend) {
    return states.values().stream()
        .filter(s -> s.backend().equals(backend) && s.expiresAt() != null)
        .map(VolumeState::expiresAt)
        .min(Instant::compareTo)
        .orElse(Instant.MAX);
  }
}
