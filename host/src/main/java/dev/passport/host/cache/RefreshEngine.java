package dev.passport.host.cache;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.passport.api.Backend;
import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.api.PreparedVolume;
import dev.passport.host.PublishException;
import dev.passport.host.PublishException.Code;
import dev.passport.host.metrics.HostMetrics;
import dev.passport.host.volume.AtomicWriter;
import dev.passport.host.volume.InvalidMaterialException;
import dev.passport.host.volume.MaterialLimits;
import dev.passport.host.volume.Mounter;
import dev.passport.host.volume.WriteResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Decides, for every publish and republish, whether the backend must be called, and keeps volumes
 * whole whatever happens.
 *
 * <ul>
 *   <li>Not due (same token, {@code now < refreshAt}) and the volume still holds what was written:
 *       no backend call, no write. A lost or tampered volume is rewritten from the cache.
 *   <li>Due, token rotated, or nothing known: fetch, then write only if the content changed.
 *   <li>A failed refresh keeps the content and answers UNAVAILABLE; the volume backs off, and
 *       republishes inside the window do not reach the backend.
 *   <li>A failed first publish leaves nothing behind.
 * </ul>
 *
 * <p>Callers serialise calls per volume (see the publish layer's volume locks); different volumes
 * run concurrently.
 */
public final class RefreshEngine {

  private static final Logger LOG = LoggerFactory.getLogger(RefreshEngine.class);

  private final Clock clock;
  private final Mounter mounter;
  private final MaterialLimits limits;
  private final long volumeSizeLimit;
  private final StateStore store;
  private final HostMetrics metrics;
  private final RefreshPolicy refreshPolicy;
  private final Backoff backoff;
  private final Duration fetchTimeout;
  private final ExecutorService fetchExecutor;
  /**
   * Async so that a slow backend never holds a lock another key needs (a synchronous Caffeine load
   * runs inside the map's bin lock); the futures also let concurrent misses share one fetch.
   */
  private final AsyncCache<CacheKey, CachedMaterial> loads;
  private final Cache<CacheKey, CachedMaterial> cache;
  private final Map<String, VolumeState> states = new ConcurrentHashMap<>();
  /**
   * Per volume, the {@link AtomicWriter#fingerprint()} taken when its content was last proven to
   * hash to the state's content hash (written by us, or read and hashed). A warm republish compares
   * fingerprints (metadata only) and reads and hashes the files only when they differ.
   */
  private final Map<String, String> provenFingerprints = new ConcurrentHashMap<>();

  private RefreshEngine(Builder b) throws IOException {
    this.clock = requireNonNull(b.clock, "clock is null");
    this.mounter = requireNonNull(b.mounter, "mounter is null");
    this.limits = requireNonNull(b.limits, "limits is null");
    this.volumeSizeLimit = b.volumeSizeLimit;
    this.store = requireNonNull(b.store, "store is null");
    this.metrics = requireNonNull(b.metrics, "metrics is null");
    this.refreshPolicy = new RefreshPolicy(b.refreshInterval, b.random);
    this.backoff = new Backoff(b.random);
    this.fetchTimeout = requireNonNull(b.fetchTimeout, "fetchTimeout is null");
    this.fetchExecutor = requireNonNull(b.fetchExecutor, "fetchExecutor is null");
    Clock cacheClock = clock;
    this.loads = Caffeine.newBuilder()
        .maximumWeight(b.cacheMaxBytes)
        .weigher((CacheKey key, CachedMaterial value) -> value.weight())
        // A safety net for keys of rotated tokens that no republish asks for again.
        .expireAfterWrite(Duration.ofHours(25))
        .ticker(tickerOf(cacheClock))
        .buildAsync();
    this.cache = loads.synchronous();
    loadStates();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** What a publish did. */
  public enum Outcome {
    /** Nothing was due and the volume was intact: no backend call, no write. */
    CACHED,
    /** Nothing was due, but the volume was lost or tampered with: rewritten from the cache. */
    REWRITTEN,
    /** The backend was called and the content changed (or the volume is new). */
    FETCHED_AND_WRITTEN,
    /** The backend was called and returned what the volume already holds. */
    FETCHED_UNCHANGED
  }

  /** Publishes or republishes a volume. */
  public <V extends PreparedVolume> Outcome publish(VolumeSpec spec, Backend<V> backend, V prepared)
      throws PublishException {
    Instant now = clock.instant();
    CacheKey key = spec.cacheKey();
    VolumeState state = states.get(spec.volumeId());
    AtomicWriter writer = new AtomicWriter(spec.target());
    boolean hasContent = writer.hasContent();

    if (state != null && state.cacheKey().equals(key) && now.isBefore(state.refreshAt())) {
      Optional<Outcome> answered = answerWithoutFetch(spec, state, key, writer);
      if (answered.isPresent()) {
        metrics.cacheHit(spec.backend());
        return answered.get();
      }
    }
    if (hasContent && state != null && state.nextAttemptAt() != null
        && now.isBefore(state.nextAttemptAt())) {
      metrics.refreshFailure(spec.backend());
      warnIfExpired(state, now);
      throw new PublishException(Code.UNAVAILABLE, "refresh of volume " + spec.volumeId()
          + " is backing off until " + state.nextAttemptAt() + " after " + state.failures()
          + " failure(s); the volume keeps its current content. Last error: " + state.lastError());
    }

    metrics.cacheMiss(spec.backend());
    Optional<Material> previous = previousMaterial(state, key, writer, hasContent);
    try {
      cache.invalidate(key);
      CachedMaterial fetched = fetchCoalesced(key, spec, backend, prepared, previous, now);
      mounter.mount(spec.target(), volumeSizeLimit);
      WriteResult written = writer.write(fetched.material().files(), spec.fsGroup());
      if (!written.written()) {
        metrics.writeSkipped(spec.backend());
      }
      if (state != null && !state.cacheKey().equals(key)) {
        cache.invalidate(state.cacheKey());
      }
      VolumeState fresh = stateOf(spec, key, fetched, written.dataDirName());
      store.save(fresh);
      remember(spec.volumeId(), writer);
      if (states.put(spec.volumeId(), fresh) == null) {
        metrics.volumes(spec.backend(), +1);
      }
      fetched.material().expiresAt().ifPresent(at -> metrics.earliestExpiry(spec.backend(), earliestExpiry(spec.backend())));
      return written.written() ? Outcome.FETCHED_AND_WRITTEN : Outcome.FETCHED_UNCHANGED;
    } catch (PublishException | IOException | RuntimeException e) {
      PublishException failure = asPublishException(spec, e);
      if (hasContent) {
        throw refreshFailed(spec, state, failure, now);
      }
      cleanUpFirstPublish(spec, state);
      throw failure;
    }
  }

  /**
   * Removes a volume: unmounts and deletes the target, forgets its state and cached material, and
   * lets the backend release what it holds. Unknown volumes and missing targets are fine.
   */
  public void unpublish(String volumeId, Path target,
      Function<String, Optional<Backend<?>>> backends)
      throws PublishException {
    try {
      mounter.unmountAndRemove(target);
    } catch (IOException e) {
      throw new PublishException(Code.INTERNAL,
          "cannot unmount or remove " + target + ": " + e.getMessage(), e);
    }
    VolumeState state = states.remove(volumeId);
    provenFingerprints.remove(volumeId);
    store.delete(volumeId);
    cache.asMap().keySet().removeIf(k -> k.volumeId().equals(volumeId));
    if (state == null) {
      return;
    }
    metrics.volumes(state.backend(), -1);
    metrics.earliestExpiry(state.backend(), earliestExpiry(state.backend()));
    backends.apply(state.backend()).ifPresent(backend -> {
      try {
        backend.release(volumeId);
      } catch (BackendException | RuntimeException e) {
        LOG.warn("backend {} could not release volume {} of pod {}: {}", state.backend(), volumeId,
            state.pod(), e.getMessage());
      }
    });
  }

  /** The state of a volume, if the host manages it. */
  public Optional<VolumeState> state(String volumeId) {
    return Optional.ofNullable(states.get(volumeId));
  }

  /** The number of volumes the host manages. */
  public int volumeCount() {
    return states.size();
  }

  private Optional<Outcome> answerWithoutFetch(
      VolumeSpec spec, VolumeState state, CacheKey key, AtomicWriter writer) throws PublishException {
    try {
      if (intact(spec.volumeId(), state, writer)) {
        return Optional.of(Outcome.CACHED);
      }
      CachedMaterial cached = cache.getIfPresent(key);
      if (cached == null) {
        LOG.warn("volume {} of pod {} lost its content and nothing is cached; fetching again",
            spec.volumeId(), state.pod());
        return Optional.empty();
      }
      LOG.warn("volume {} of pod {} was lost or modified; rewriting it from the cache",
          spec.volumeId(), state.pod());
      mounter.mount(spec.target(), volumeSizeLimit);
      WriteResult written = writer.write(cached.material().files(), spec.fsGroup());
      VolumeState rewritten = state.rewritten(written.dataDirName());
      store.save(rewritten);
      states.put(spec.volumeId(), rewritten);
      remember(spec.volumeId(), writer);
      return Optional.of(Outcome.REWRITTEN);
    } catch (IOException e) {
      throw new PublishException(Code.UNAVAILABLE,
          "cannot verify or restore volume " + spec.volumeId() + " at " + spec.target() + ": "
              + e.getMessage(), e);
    }
  }

  /** Whether the volume still holds the state's content: by fingerprint if proven before, else by hash. */
  private boolean intact(String volumeId, VolumeState state, AtomicWriter writer) throws IOException {
    Optional<String> now = writer.fingerprint();
    if (now.isEmpty()) {
      return false;
    }
    if (now.get().equals(provenFingerprints.get(volumeId))) {
      return true;
    }
    if (writer.holds(state.dataDir(), state.contentHash())) {
      provenFingerprints.put(volumeId, now.get());
      return true;
    }
    provenFingerprints.remove(volumeId);
    return false;
  }

  private void remember(String volumeId, AtomicWriter writer) {
    try {
      writer.fingerprint().ifPresentOrElse(
          fingerprint -> provenFingerprints.put(volumeId, fingerprint),
          () -> provenFingerprints.remove(volumeId));
    } catch (IOException e) {
      provenFingerprints.remove(volumeId);
    }
  }

  private Optional<Material> previousMaterial(
      VolumeState state, CacheKey key, AtomicWriter writer, boolean hasContent) {
    if (state != null) {
      CachedMaterial cached = cache.getIfPresent(state.cacheKey());
      if (cached == null) {
        cached = cache.getIfPresent(key);
      }
      if (cached != null) {
        return Optional.of(cached.material());
      }
    }
    if (!hasContent) {
      return Optional.empty();
    }
    // After a restart or an eviction the volume itself is the record of what was written.
    try {
      Optional<List<MaterialFile>> files = writer.read();
      if (files.isEmpty()) {
        return Optional.empty();
      }
      Material material = Material.of(files.get());
      if (state != null) {
        material = material.withRefreshAt(state.refreshAt());
        if (state.expiresAt() != null) {
          material = material.withExpiresAt(state.expiresAt());
        }
        if (state.version() != null) {
          material = material.withVersion(state.version());
        }
      }
      return Optional.of(material);
    } catch (IOException e) {
      LOG.warn("cannot read back the current content of {}: {}", writer, e.getMessage());
      return Optional.empty();
    }
  }

  /**
   * Concurrent misses for one key share one backend call: the first caller fetches on its own
   * thread, later ones wait for its future. A failed fetch is not cached.
   */
  private <V extends PreparedVolume> CachedMaterial fetchCoalesced(CacheKey key, VolumeSpec spec,
      Backend<V> backend, V prepared, Optional<Material> previous, Instant now)
      throws PublishException {
    CompletableFuture<CachedMaterial> mine = new CompletableFuture<>();
    CompletableFuture<CachedMaterial> running = loads.asMap().putIfAbsent(key, mine);
    if (running == null) {
      try {
        CachedMaterial fetched = fetchAndValidate(spec, backend, prepared, previous, now);
        mine.complete(fetched);
        return fetched;
      } catch (PublishException | RuntimeException e) {
        mine.completeExceptionally(e);
        loads.asMap().remove(key, mine);
        throw e;
      }
    }
    try {
      return running.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PublishException(Code.ABORTED, "interrupted while waiting for a fetch of volume "
          + spec.volumeId() + "; kubelet will retry");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof PublishException p) {
        throw p;
      }
      throw new PublishException(Code.INTERNAL, "fetch of volume " + spec.volumeId() + " failed: "
          + e.getCause().getClass().getSimpleName(), e.getCause());
    }
  }

  private <V extends PreparedVolume> CachedMaterial fetchAndValidate(VolumeSpec spec,
      Backend<V> backend, V prepared, Optional<Material> previous, Instant now)
      throws PublishException {
    Instant deadline = now.plus(fetchTimeout);
    FetchRequest request = FetchRequest.builder()
        .volumeId(spec.volumeId())
        .pod(spec.pod())
        .tokens(spec.tokens())
        .previous(previous)
        .deadline(deadline)
        .build();
    long started = System.nanoTime();
    String result = "ok";
    try {
      Material material = callWithDeadline(spec, backend, prepared, request);
      limits.validate(material.files());
      String hash = dev.passport.host.volume.ContentHash.of(material.files());
      return new CachedMaterial(material, hash, now, refreshPolicy.refreshAt(material, now));
    } catch (BackendException e) {
      result = e.kind().name().toLowerCase(java.util.Locale.ROOT);
      throw new PublishException(PublishException.codeOf(e.kind()),
          "backend " + spec.backend() + ": " + e.getMessage(), e);
    } catch (InvalidMaterialException e) {
      result = "invalid_material";
      throw new PublishException(Code.INTERNAL,
          "backend " + spec.backend() + " returned unusable material: " + e.getMessage(), e);
    } finally {
      metrics.fetch(spec.backend(), result, Duration.ofNanos(System.nanoTime() - started));
    }
  }

  private <V extends PreparedVolume> Material callWithDeadline(VolumeSpec spec,
      Backend<V> backend, V prepared, FetchRequest request)
      throws BackendException, PublishException {
    // The call's log fields (volume, pod, backend) follow the fetch onto the executor's thread.
    Map<String, String> logContext = MDC.getCopyOfContextMap();
    Future<Material> call = fetchExecutor.submit(() -> {
      if (logContext != null) {
        MDC.setContextMap(logContext);
      }
      try {
        return backend.fetch(prepared, request);
      } finally {
        MDC.clear();
      }
    });
    try {
      Material material = call.get(fetchTimeout.toMillis(), TimeUnit.MILLISECONDS);
      if (material == null) {
        throw new BackendException(BackendException.Kind.INTERNAL, "fetch returned null");
      }
      return material;
    } catch (TimeoutException e) {
      call.cancel(true);
      throw new BackendException(BackendException.Kind.DEADLINE_EXCEEDED,
          "no answer within " + fetchTimeout.toSeconds() + " s");
    } catch (InterruptedException e) {
      call.cancel(true);
      Thread.currentThread().interrupt();
      throw new PublishException(Code.ABORTED, "interrupted while fetching volume "
          + spec.volumeId() + "; kubelet will retry");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof BackendException b) {
        throw b;
      }
      LOG.error("backend {} failed unexpectedly for volume {}", spec.backend(), spec.volumeId(), cause);
      throw new BackendException(BackendException.Kind.INTERNAL,
          "unexpected " + cause.getClass().getSimpleName() + "; see the driver's log");
    }
  }

  private PublishException refreshFailed(
      VolumeSpec spec, VolumeState state, PublishException failure, Instant now) {
    metrics.refreshFailure(spec.backend());
    if (state != null) {
      Duration wait = backoff.delay(state.failures() + 1);
      VolumeState failed = state.failed(failure.getMessage(), now.plus(wait));
      states.put(spec.volumeId(), failed);
      try {
        store.save(failed);
      } catch (RuntimeException e) {
        LOG.warn("cannot record the failure of volume {}: {}", spec.volumeId(), e.getMessage());
      }
      warnIfExpired(failed, now);
      LOG.warn("refresh of volume {} of pod {} failed ({}), keeping its content; next attempt after {}",
          spec.volumeId(), failed.pod(), failure.getMessage(), failed.nextAttemptAt());
    }
    // Never a final code here: a final error may make kubelet remove a running pod's mount.
    return new PublishException(Code.UNAVAILABLE,
        "could not refresh volume " + spec.volumeId() + "; it keeps its current content: "
            + failure.getMessage(), failure);
  }

  private void warnIfExpired(VolumeState state, Instant now) {
    if (state.expiresAt() != null && now.isAfter(state.expiresAt())) {
      metrics.expiredContentServed(state.backend());
      LOG.warn("volume {} of pod {} holds content that expired at {} and cannot be refreshed",
          state.volumeId(), state.pod(), state.expiresAt());
    }
  }

  private void cleanUpFirstPublish(VolumeSpec spec, VolumeState state) {
    try {
      mounter.unmountAndRemove(spec.target());
    } catch (IOException | RuntimeException e) {
      LOG.error("cannot clean up {} after a failed publish: {}", spec.target(), e.getMessage());
    }
    provenFingerprints.remove(spec.volumeId());
    if (state != null) {
      states.remove(spec.volumeId());
      metrics.volumes(state.backend(), -1);
      metrics.earliestExpiry(state.backend(), earliestExpiry(state.backend()));
    }
    try {
      store.delete(spec.volumeId());
    } catch (RuntimeException e) {
      LOG.error("cannot delete the state of {}: {}", spec.volumeId(), e.getMessage());
    }
  }

  private static PublishException asPublishException(VolumeSpec spec, Exception e) {
    if (e instanceof PublishException p) {
      return p;
    }
    if (e instanceof IOException) {
      return new PublishException(Code.INTERNAL,
          "cannot write volume " + spec.volumeId() + " at " + spec.target() + ": " + e.getMessage(), e);
    }
    LOG.error("unexpected failure publishing volume {}", spec.volumeId(), e);
    return new PublishException(Code.INTERNAL, "unexpected " + e.getClass().getSimpleName()
        + " publishing volume " + spec.volumeId() + "; see the driver's log", e);
  }

  private static VolumeState stateOf(VolumeSpec spec, CacheKey key, CachedMaterial fetched, String dataDir) {
    Material material = fetched.material();
    OptionalInt fsGroup = spec.fsGroup();
    return new VolumeState(spec.volumeId(), spec.target().toString(), spec.backend(),
        spec.pod().namespace(), spec.pod().name(), spec.pod().uid(), key.attributesHash(),
        key.tokenExpiries(), fsGroup.isPresent() ? fsGroup.getAsInt() : null, fetched.contentHash(),
        dataDir, material.version().orElse(null), fetched.fetchedAt(), fetched.refreshAt(),
        material.expiresAt().orElse(null), 0, null, null);
  }

  private Instant earliestExpiry(String backend) {
    return states.values().stream()
        .filter(s -> s.backend().equals(backend) && s.expiresAt() != null)
        .map(VolumeState::expiresAt)
        .min(Instant::compareTo)
        .orElse(Instant.MAX);
  }

  /** Loads the state dir; forgets volumes whose target is gone (unpublished while we were down). */
  private void loadStates() throws IOException {
    for (VolumeState state : store.loadAll()) {
      if (!Files.isDirectory(Path.of(state.target()), LinkOption.NOFOLLOW_LINKS)) {
        LOG.info("forgetting volume {}: its target {} no longer exists", state.volumeId(), state.target());
        store.delete(state.volumeId());
        continue;
      }
      states.put(state.volumeId(), state);
      metrics.volumes(state.backend(), +1);
    }
    if (!states.isEmpty()) {
      LOG.info("resumed {} volume(s) from {}", states.size(), store.directory());
    }
  }

  private static Ticker tickerOf(Clock clock) {
    return () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
  }

  /** Builds a {@link RefreshEngine}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Mounter mounter;
    private MaterialLimits limits = MaterialLimits.defaults();
    private long volumeSizeLimit = 16L * 1024 * 1024;
    private StateStore store;
    private HostMetrics metrics = HostMetrics.none();
    private Duration refreshInterval = Duration.ofMinutes(5);
    private Duration fetchTimeout = Duration.ofSeconds(100);
    private ExecutorService fetchExecutor;
    private long cacheMaxBytes = 32L * 1024 * 1024;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public Builder mounter(Mounter mounter) {
      this.mounter = mounter;
      return this;
    }

    public Builder limits(MaterialLimits limits) {
      this.limits = limits;
      return this;
    }

    /** The tmpfs size of each volume. */
    public Builder volumeSizeLimit(long bytes) {
      this.volumeSizeLimit = bytes;
      return this;
    }

    public Builder store(StateStore store) {
      this.store = store;
      return this;
    }

    public Builder metrics(HostMetrics metrics) {
      this.metrics = metrics;
      return this;
    }

    /** {@code --refresh-interval}: when static material is fetched again. */
    public Builder refreshInterval(Duration interval) {
      this.refreshInterval = interval;
      return this;
    }

    /** How long a backend may take; shorter than kubelet's 2 minutes. */
    public Builder fetchTimeout(Duration timeout) {
      this.fetchTimeout = timeout;
      return this;
    }

    /** Runs backend calls, so that a stuck backend can be timed out. */
    public Builder fetchExecutor(ExecutorService executor) {
      this.fetchExecutor = executor;
      return this;
    }

    /** The byte bound of cached material. */
    public Builder cacheMaxBytes(long bytes) {
      this.cacheMaxBytes = bytes;
      return this;
    }

    /** The jitter source, uniform in [0, 1); tests fix it. */
    public Builder random(DoubleSupplier random) {
      this.random = random;
      return this;
    }

    public RefreshEngine build() throws IOException {
      return new RefreshEngine(this);
    }
  }
}
