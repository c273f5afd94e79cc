package dev.passport.host.publish;

import static java.util.Objects.requireNonNull;

import dev.passport.api.BackendException;
import dev.passport.api.FetchRequest;
import dev.passport.api.Material;
import dev.passport.api.MaterialFile;
import dev.passport.host.cache.CacheKey;
import dev.passport.host.cache.CachedMaterial;
import dev.passport.host.cache.MaterialCache;
import dev.passport.host.cache.RefreshDecision;
import dev.passport.host.cache.RefreshRule;
import dev.passport.host.cache.StateStore;
import dev.passport.host.cache.VolumeContent;
import dev.passport.host.cache.VolumeState;
import dev.passport.host.cache.VolumeStates;
import dev.passport.host.memory.FetchBudget;
import dev.passport.host.memory.MaterialBudget;
import dev.passport.host.metrics.HostMetrics;
import dev.passport.host.plugins.FetchInterruptedException;
import dev.passport.host.plugins.RegisteredBackend;
import dev.passport.host.plugins.UnusableMaterialException;
import dev.passport.host.publish.PublishException.Code;
import dev.passport.host.template.TemplateException;
import dev.passport.host.template.VolumeTemplates;
import dev.passport.host.volume.AtomicWriter;
import dev.passport.host.volume.ContentHash;
import dev.passport.host.volume.FileModes;
import dev.passport.host.volume.MaterialLimits;
import dev.passport.host.volume.Mounter;
import dev.passport.host.volume.ProvenContent;
import dev.passport.host.volume.WriteResult;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one volume from decision to write: decide (the {@link RefreshRule}) → fetch (through the
 * backend's decorator chain, which also checks the material limits) → write → record. It keeps
 * volumes whole whatever happens:
 *
 * <ul>
 *   <li>Not due and intact: no backend call, no write. A lost or tampered volume is rewritten from
 *       the cache.
 *   <li>Due, token rotated, or nothing known: fetch, then write only if the content changed.
 *   <li>A failed refresh keeps the content and answers UNAVAILABLE; the volume backs off, and
 *       republishes inside the window do not reach the backend.
 *   <li>A failed first publish leaves nothing of its own behind; what was at the target before stays.
 * </ul>
 *
 * <p>Memory is bounded by construction (issue 13): every fetch gets a {@link FetchBudget} of the
 * per-volume limit that draws on the host's {@link MaterialBudget} as the plugin reads; what a
 * plugin returned without charging is charged when the fetch returns, before the write; content
 * read back from a volume is charged to a budget of its own; both are given back once the volume
 * is written or the publish failed. A publish that finds the budget in use fails fast with
 * RESOURCE_EXHAUSTED and kubelet retries.
 *
 * <p>Callers serialise calls per volume (the publisher's volume locks); different volumes run
 * concurrently.
 */
public final class VolumeReconciler {

  private static final Logger LOG = LoggerFactory.getLogger(VolumeReconciler.class);

  private final Clock clock;
  private final Mounter mounter;
  /** The tmpfs size of each volume: room for the old and the new copy at the limits. */
  private final long tmpfsSize;
  /** The most a volume may hold; reads of a volume stop there. */
  private final long readLimit;
  private final HostMetrics metrics;
  private final RefreshRule rule;
  private final Duration fetchTimeout;
  private final MaterialCache cache;
  private final VolumeStates states;
  private final ProvenContent proven = new ProvenContent();
  private final MaterialBudget budget;
  private final FileModes fileModes;
  /** What rendered files count against together with the backend's (issue 23). */
  private final VolumeTemplates.Limits templateLimits;

  private VolumeReconciler(Builder b) throws IOException {
    this.clock = requireNonNull(b.clock, "clock is null");
    this.mounter = requireNonNull(b.mounter, "mounter is null");
    MaterialLimits limits = requireNonNull(b.limits, "limits is null");
    this.tmpfsSize = Math.max(b.volumeSizeLimit, limits.replaceableBytes());
    this.readLimit = limits.maxTotalBytes();
    this.metrics = requireNonNull(b.metrics, "metrics is null");
    this.rule = new RefreshRule(b.refreshInterval, b.republishPeriod, b.random);
    this.fetchTimeout = requireNonNull(b.fetchTimeout, "fetchTimeout is null");
    this.cache = new MaterialCache(b.cacheMaxBytes, clock);
    this.states = VolumeStates.load(requireNonNull(b.store, "store is null"), metrics);
    this.budget = b.budget != null ? b.budget : MaterialBudget.of(2 * limits.maxTotalBytes());
    this.fileModes = requireNonNull(b.fileModes, "fileModes is null");
    this.templateLimits = new VolumeTemplates.Limits(limits.maxFiles(), limits.maxFileBytes(),
        limits.maxTotalBytes());
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

  /** The volumes the host manages. */
  public VolumeStates volumes() {
    return states;
  }

  /** Publishes or republishes a volume from its prepared backend volume. */
  Outcome publish(VolumeSpec spec, RegisteredBackend.Bound volume) throws PublishException {
    Instant now = clock.instant();
    CacheKey key = spec.cacheKey();
    VolumeState state = states.state(spec.volumeId()).orElse(null);
    AtomicWriter writer = new AtomicWriter(spec.target(), readLimit);
    boolean hasContent = writer.hasContent();

    Optional<CachedMaterial> cached = cache.get(key);
    VolumeContent content = hasContent ? VolumeContent.PRESENT : VolumeContent.ABSENT;
    RefreshDecision decision = rule.decide(state, key, now, content, cached.isPresent());
    if (decision == RefreshDecision.VERIFY) {
      content = verify(spec, state, writer);
      decision = rule.decide(state, key, now, content, cached.isPresent());
    }
    switch (decision) {
      case SERVE -> {
        metrics.cacheHit(spec.backend());
        return Outcome.CACHED;
      }
      case RESTORE -> {
        restore(spec, state, cached.orElseThrow(), writer);
        metrics.cacheHit(spec.backend());
        return Outcome.REWRITTEN;
      }
      case BACK_OFF -> {
        warnIfLost(spec, state, key, now);
        throw backingOff(spec, state, now);
      }
      default -> {
        warnIfLost(spec, state, key, now);
        return fetchAndWrite(spec, volume, state, key, writer, hasContent, now);
      }
    }
  }

  /**
   * Removes a volume: unmounts it, deletes what Passport wrote at the target (and the target if
   * that leaves it empty; anything else stays and is logged), forgets its state and cached
   * material, and lets the backend release what it holds. Unknown volumes and missing targets are
   * fine, and touch nothing Passport did not write.
   */
  void unpublish(String volumeId, Path target,
      Function<String, Optional<RegisteredBackend>> backends) throws PublishException {
    try {
      mounter.unmountAndRemove(target);
    } catch (IOException e) {
      throw new PublishException(Code.INTERNAL,
          "cannot unmount or remove " + target + ": " + e.getMessage(), e);
    }
    proven.forget(volumeId);
    Optional<VolumeState> removed = states.remove(volumeId);
    cache.forgetVolume(volumeId);
    removed.ifPresent(state -> backends.apply(state.backend()).ifPresent(backend -> {
      try {
        backend.release(volumeId);
      } catch (BackendException | RuntimeException e) {
        LOG.warn("backend {} could not release volume {} of pod {}: {}", state.backend(), volumeId,
            state.pod(), e.getMessage());
      }
    }));
  }

  /** What {@link #withCurrentFiles} hands the volume's files to. */
  interface FilesUse {
    void accept(List<MaterialFile> files) throws PublishException;
  }

  /**
   * Hands {@code use} the files the volume holds after a successful publish (the Secret sync of
   * issue 19 reads them): the cached material, else the volume read back, charged to the host's
   * budget until {@code use} returns.
   */
  void withCurrentFiles(VolumeSpec spec, FilesUse use) throws PublishException {
    Optional<CachedMaterial> cached = cache.get(spec.cacheKey());
    if (cached.isPresent()) {
      use.accept(cached.get().material().files());
      return;
    }
    try (FetchBudget readBack = budget.open(readLimit)) {
      Optional<List<MaterialFile>> files = new AtomicWriter(spec.target(), readLimit).read(readBack);
      if (files.isEmpty()) {
        throw new PublishException(Code.UNAVAILABLE, "volume " + spec.volumeId()
            + " holds no content to sync Secrets from; kubelet retries");
      }
      use.accept(files.get());
    } catch (IOException e) {
      throw new PublishException(Code.UNAVAILABLE, "cannot read volume " + spec.volumeId()
          + " to sync its Secrets: " + e.getMessage(), e);
    } catch (BackendException e) {
      throw new PublishException(PublishException.codeOf(e.kind()), "cannot read volume "
          + spec.volumeId() + " to sync its Secrets: " + e.getMessage(), e);
    }
  }

  /** A volume not due was lost or modified, and nothing is cached to rewrite it from. */
  private void warnIfLost(VolumeSpec spec, VolumeState state, CacheKey key, Instant now) {
    if (rule.notDue(state, key, now)) {
      LOG.warn("volume {} of pod {} lost its content and nothing is cached; fetching again",
          spec.volumeId(), state.pod());
    }
  }

  private VolumeContent verify(VolumeSpec spec, VolumeState state, AtomicWriter writer)
      throws PublishException {
    try {
      return proven.holds(spec.volumeId(), writer, state.dataDir(), state.contentHash())
          ? VolumeContent.INTACT : VolumeContent.DAMAGED;
    } catch (IOException e) {
      throw cannotVerify(spec, e);
    }
  }

  private void restore(VolumeSpec spec, VolumeState state, CachedMaterial cached,
      AtomicWriter writer) throws PublishException {
    LOG.warn("volume {} of pod {} was lost or modified; rewriting it from the cache",
        spec.volumeId(), state.pod());
    try {
      mounter.mount(spec.target(), tmpfsSize);
      WriteResult written;
      try (FetchBudget rendering = budget.open(readLimit)) {
        written = write(spec, writer, rendered(spec, cached.material(), rendering));
      }
      states.restored(state, written.dataDirName());
      proven.written(spec.volumeId(), writer);
    } catch (IOException e) {
      throw cannotVerify(spec, e);
    } catch (PublishException e) {
      // A volume with state is a republish: never a final code (the templates rendered before).
      throw new PublishException(Code.UNAVAILABLE, "cannot restore volume " + spec.volumeId()
          + " from the cache: " + e.getMessage(), e);
    }
  }

  private PublishException backingOff(VolumeSpec spec, VolumeState state, Instant now) {
    metrics.refreshFailure(spec.backend());
    warnIfExpired(state, now);
    return new PublishException(Code.UNAVAILABLE, "refresh of volume " + spec.volumeId()
        + " is backing off until " + state.nextAttemptAt() + " after " + state.failures()
        + " failure(s); the volume keeps its current content. Last error: " + state.lastError());
  }

  private Outcome fetchAndWrite(VolumeSpec spec, RegisteredBackend.Bound volume,
      VolumeState state, CacheKey key, AtomicWriter writer, boolean hasContent, Instant now)
      throws PublishException {
    metrics.cacheMiss(spec.backend());
    // Given back in the finally block, whatever happens: on every path the host's budget is whole.
    FetchBudget readBack = budget.open(readLimit);
    FetchBudget fetching = budget.open(readLimit);
    try {
      Optional<Material> previous = previousMaterial(spec, state, key, writer, hasContent, readBack);
      FetchRequest.Reason reason = rule.reason(state, key, now, previous.isPresent());
      cache.invalidate(key);
      CachedMaterial fetched = fetchOnce(key, spec, volume, previous, reason, now, fetching);
      // Rendered after the fetch and before the write: raw and rendered files change together in
      // one ..data swap. The cache keeps the backend's material (the previous material a backend
      // is shown); an unchanged render hashes the same and is not written.
      Material files = rendered(spec, fetched.material(), fetching);
      mounter.mount(spec.target(), tmpfsSize);
      WriteResult written = write(spec, writer, files);
      if (!written.written()) {
        metrics.writeSkipped(spec.backend());
      }
      if (state != null && !state.cacheKey().equals(key)) {
        cache.invalidate(state.cacheKey());
      }
      states.fetched(stateOf(spec, key, fetched, written));
      proven.written(spec.volumeId(), writer);
      return written.written() ? Outcome.FETCHED_AND_WRITTEN : Outcome.FETCHED_UNCHANGED;
    } catch (PublishException | IOException | RuntimeException e) {
      PublishException failure = asPublishException(spec, e);
      if (hasContent) {
        throw refreshFailed(spec, state, failure, now);
      }
      cleanUpFirstPublish(spec);
      throw failure;
    } finally {
      fetching.close();
      readBack.close();
    }
  }

  private Optional<Material> previousMaterial(VolumeSpec spec, VolumeState state, CacheKey key,
      AtomicWriter writer, boolean hasContent, FetchBudget readBack) throws PublishException {
    if (state != null) {
      Optional<CachedMaterial> cached = cache.get(state.cacheKey()).or(() -> cache.get(key));
      if (cached.isPresent()) {
        return Optional.of(cached.get().material());
      }
    }
    if (!hasContent) {
      return Optional.empty();
    }
    // After a restart or an eviction the volume itself is the record of what was written.
    try {
      Optional<List<MaterialFile>> files = writer.read(readBack);
      if (files.isEmpty()) {
        return Optional.empty();
      }
      // What the backend returned, not what was rendered from it (none of it with templatesOnly).
      Optional<List<MaterialFile>> backendFiles = spec.templates().backendFiles(files.get());
      if (backendFiles.isEmpty() || backendFiles.get().isEmpty()) {
        return Optional.empty();
      }
      Material material = Material.of(backendFiles.get());
      if (state != null) {
        material = material.withRefreshAt(state.refreshAt());
        if (state.expiresAt() != null) {
          material = material.withExpiresAt(state.expiresAt());
        }
        if (state.version() != null) {
          material = material.withVersion(state.version());
        }
        if (state.group() != null) {
          // The group the volume was written with: a backend answering a token rotation with
          // this material unchanged must not make the host rewrite it under another group.
          material = material.withGroup(state.group());
        }
      }
      return Optional.of(material);
    } catch (IOException e) {
      LOG.warn("cannot read back the current content of {}: {}", writer, e.getMessage());
      return Optional.empty();
    } catch (BackendException e) {
      throw new PublishException(PublishException.codeOf(e.kind()), "cannot read back the current"
          + " content of volume " + spec.volumeId() + " to refresh it: " + e.getMessage(), e);
    }
  }

  /**
   * Concurrent misses for one key share one backend call: the first caller fetches on its own
   * thread, later ones wait for its future. A failed fetch is not cached.
   */
  private CachedMaterial fetchOnce(CacheKey key, VolumeSpec spec, RegisteredBackend.Bound volume,
      Optional<Material> previous, FetchRequest.Reason reason, Instant now, FetchBudget fetching)
      throws PublishException {
    CompletableFuture<CachedMaterial> mine = new CompletableFuture<>();
    Optional<CompletableFuture<CachedMaterial>> running = cache.joinOrStart(key, mine);
    if (running.isEmpty()) {
      try {
        CachedMaterial fetched = fetch(spec, volume, previous, reason, now, fetching);
        mine.complete(fetched);
        return fetched;
      } catch (PublishException | RuntimeException e) {
        cache.failed(key, mine, e);
        throw e;
      }
    }
    try {
      return running.get().get();
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

  private CachedMaterial fetch(VolumeSpec spec, RegisteredBackend.Bound volume,
      Optional<Material> previous, FetchRequest.Reason reason, Instant now, FetchBudget fetching)
      throws PublishException {
    FetchRequest request = FetchRequest.builder()
        .volumeId(spec.volumeId())
        .pod(spec.pod())
        .tokens(spec.tokens())
        .previous(previous)
        .reason(reason)
        .mountGroup(spec.fsGroup())
        .deadline(now.plus(fetchTimeout))
        .budget(fetching)
        .nodePublishSecrets(spec.nodePublishSecrets().values())
        .build();
    try {
      // Modes made explicit before anything hashes, caches or writes the material (issue 15).
      Material material = fileModes.resolve(volume.fetch(request));
      // A plugin that did not charge what it read is charged now, before the host holds it longer.
      fetching.chargeUpTo(material.size());
      String hash = ContentHash.of(material.files());
      return new CachedMaterial(material, hash, now, rule.refreshAt(material, now));
    } catch (FetchInterruptedException e) {
      throw new PublishException(Code.ABORTED, "interrupted while fetching volume "
          + spec.volumeId() + "; kubelet will retry");
    } catch (UnusableMaterialException e) {
      if (e.kind() == BackendException.Kind.RESOURCE_EXHAUSTED) {
        throw new PublishException(Code.RESOURCE_EXHAUSTED, "backend " + spec.backend()
            + " returned more than the driver allows: " + e.getMessage() + "; store less in this"
            + " volume or split it into several volumes", e);
      }
      throw new PublishException(Code.INTERNAL,
          "backend " + spec.backend() + " returned unusable material: " + e.getMessage(), e);
    } catch (BackendException e) {
      throw PublishException.fromBackend(spec.backend(), e);
    }
  }

  private PublishException refreshFailed(
      VolumeSpec spec, VolumeState state, PublishException failure, Instant now) {
    metrics.refreshFailure(spec.backend());
    if (state != null) {
      VolumeState failed = states.failed(state, failure.getMessage(),
          rule.retryAt(state.failures() + 1, now));
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

  /** Removes only what this publish wrote: content that was at the target before stays (issue 14). */
  private void cleanUpFirstPublish(VolumeSpec spec) {
    try {
      mounter.unmountAndRemove(spec.target());
    } catch (IOException | RuntimeException e) {
      LOG.error("cannot clean up {} after a failed publish: {}", spec.target(), e.getMessage());
    }
    proven.forget(spec.volumeId());
    states.discard(spec.volumeId());
  }

  private static PublishException cannotVerify(VolumeSpec spec, IOException e) {
    return new PublishException(Code.UNAVAILABLE, "cannot verify or restore volume "
        + spec.volumeId() + " at " + spec.target() + ": " + e.getMessage(), e);
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

  /**
   * Writes {@code material} with its effective group ({@link #groupOf}) and, when the volume
   * changed, logs at INFO the modes and group its files got: the host cannot know whether the
   * pod's user may read them, so the line says what decides it (issue 15). Never content.
   */
  private WriteResult write(VolumeSpec spec, AtomicWriter writer, Material material)
      throws IOException {
    OptionalInt group = groupOf(material, spec);
    WriteResult written = writer.write(material.files(), group);
    if (written.written()) {
      LOG.info("volume {} of pod {}/{}: wrote {} file(s), {}, {}", spec.volumeId(),
          spec.pod().namespace(), spec.pod().name(), material.files().size(),
          fileModes.describe(material.files()), describeGroup(material, spec));
    }
    return written;
  }

  /**
   * The group of a volume's files: the backend's ({@link Material#group()}, e.g. cert-manager's
   * {@code fs-group}) if it chose one, else the pod's fsGroup (kubelet's
   * {@code volume_mount_group}), else none (the files keep the host's group).
   */
  static OptionalInt groupOf(Material material, VolumeSpec spec) {
    return material.group().isPresent() ? material.group() : spec.fsGroup();
  }

  private static String describeGroup(Material material, VolumeSpec spec) {
    if (material.group().isPresent()) {
      return "backend group " + material.group().getAsInt();
    }
    return spec.fsGroup().isPresent() ? "fsGroup " + spec.fsGroup().getAsInt()
        : "no group (the pod sets no fsGroup)";
  }

  /**
   * The volume's files from the backend's material: the material itself, or with its templates
   * rendered (issue 23). Rendering calls no backend; a template's fault is INVALID_ARGUMENT, which
   * the caller turns into UNAVAILABLE with the content kept on a republish.
   */
  private Material rendered(VolumeSpec spec, Material material, FetchBudget rendering)
      throws PublishException {
    if (spec.templates().isEmpty()) {
      return material;
    }
    try {
      return fileModes.resolve(
          spec.templates().render(material, spec.pod(), templateLimits, rendering));
    } catch (TemplateException e) {
      throw new PublishException(e.retryable() ? Code.RESOURCE_EXHAUSTED : Code.INVALID_ARGUMENT,
          "volume " + spec.volumeId() + ": " + e.getMessage());
    }
  }

  private static VolumeState stateOf(VolumeSpec spec, CacheKey key, CachedMaterial fetched,
      WriteResult written) {
    String dataDir = written.dataDirName();
    Material material = fetched.material();
    OptionalInt group = groupOf(material, spec);
    return new VolumeState(spec.volumeId(), spec.target().toString(), spec.backend(),
        spec.pod().namespace(), spec.pod().name(), spec.pod().uid(), key.attributesHash(),
        // The hash of what the volume holds (rendered files included), which VERIFY proves.
        key.tokenExpiries(), group.isPresent() ? group.getAsInt() : null, written.contentHash(),
        dataDir, material.version().orElse(null), fetched.fetchedAt(), fetched.refreshAt(),
        material.expiresAt().orElse(null), 0, null, null);
  }

  /** Builds a {@link VolumeReconciler}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Mounter mounter;
    private long volumeSizeLimit = 16L * 1024 * 1024;
    private MaterialLimits limits = MaterialLimits.defaults();
    private StateStore store;
    private HostMetrics metrics = HostMetrics.none();
    private Duration refreshInterval = Duration.ofMinutes(5);
    private Duration republishPeriod = RefreshRule.DEFAULT_REPUBLISH_PERIOD;
    private Duration fetchTimeout = Duration.ofSeconds(100);
    private long cacheMaxBytes = 32L * 1024 * 1024;
    private MaterialBudget budget;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private FileModes fileModes = FileModes.defaults();

    private Builder() {}

    /** {@code --default-file-mode}: the mode of files whose backend chooses none. */
    public Builder fileModes(FileModes fileModes) {
      this.fileModes = requireNonNull(fileModes, "fileModes is null");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public Builder mounter(Mounter mounter) {
      this.mounter = mounter;
      return this;
    }

    /**
     * The least tmpfs size of each volume; raised to {@link MaterialLimits#replaceableBytes()} of
     * the {@link #limits} so a volume at the limits can always be replaced.
     */
    public Builder volumeSizeLimit(long bytes) {
      this.volumeSizeLimit = bytes;
      return this;
    }

    /** The material limits the backends' chain enforces (the registry's): size tmpfs and reads. */
    public Builder limits(MaterialLimits limits) {
      this.limits = limits;
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

    /**
     * {@code --republish-period}: kubelet's longest gap between republishes; material due within
     * it is refreshed at the current republish, so refreshes are never late.
     */
    public Builder republishPeriod(Duration period) {
      this.republishPeriod = requireNonNull(period, "period is null");
      return this;
    }

    /** The deadline the backend is told (the registry's chain enforces it). */
    public Builder fetchTimeout(Duration timeout) {
      this.fetchTimeout = timeout;
      return this;
    }

    /** The byte bound of cached material. */
    public Builder cacheMaxBytes(long bytes) {
      this.cacheMaxBytes = bytes;
      return this;
    }

    /**
     * The host's budget for material in flight, shared by every fetch; by default twice the
     * per-volume limit of {@link #limits} (one refresh at the limit: the old and the new material).
     */
    public Builder materialBudget(MaterialBudget budget) {
      this.budget = requireNonNull(budget, "budget is null");
      return this;
    }

    /** The jitter source, uniform in [0, 1); tests fix it. */
    public Builder random(DoubleSupplier random) {
      this.random = random;
      return this;
    }

    public VolumeReconciler build() throws IOException {
      return new VolumeReconciler(this);
    }
  }
}
