package dev.passport.host.publish;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.passport.api.BackendException;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.host.k8s.SecretSync;
import dev.passport.host.logging.LogRedaction;
import dev.passport.host.logging.RpcLogContext;
import dev.passport.host.metrics.HostMetrics;
import dev.passport.host.plugins.BackendRegistry;
import dev.passport.host.plugins.RegisteredBackend;
import dev.passport.host.publish.PublishException.Code;
import dev.passport.host.publish.VolumeReconciler.Outcome;
import dev.passport.host.template.TemplateAttributes;
import dev.passport.host.template.TemplateException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns NodePublishVolume and NodeUnpublishVolume calls into work: validates in the order
 * csi-sanity expects, reads the pod and its tokens, picks the backend, and hands the volume to the
 * {@link VolumeReconciler}. One operation per volume at a time.
 */
public final class Publisher {

  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  private final BackendRegistry backends;
  private final VolumeReconciler reconciler;
  private final String driverName;
  private final HostMetrics metrics;
  private final KubeletTargets targets;
  private final VolumeLocks locks = new VolumeLocks();
  /** Each published volume's parsed tokens by their raw field: a republish parses nothing. */
  private final TokenMemo tokenMemo = new TokenMemo();
  private final SecretProviderClassResolver dropIn;
  private final SecretSyncStep secretSync;
  /** Prepared volumes by backend + attributes. */
  private final Cache<PreparedKey, RegisteredBackend.Bound> prepared =
      Caffeine.newBuilder().maximumSize(10_000).build();

  /**
   * @param targets the only targets publish and unpublish act on (kubelet's, below its dir)
   */
  public Publisher(BackendRegistry backends, VolumeReconciler reconciler, String driverName,
      HostMetrics metrics, KubeletTargets targets) {
    this(backends, reconciler, driverName, metrics, targets,
        SecretProviderClassResolver.off(driverName));
  }

  /** @param dropIn resolves volumes that name a SecretProviderClass (issue 19) */
  public Publisher(BackendRegistry backends, VolumeReconciler reconciler, String driverName,
      HostMetrics metrics, KubeletTargets targets, SecretProviderClassResolver dropIn) {
    this(backends, reconciler, driverName, metrics, targets, dropIn, Optional.empty());
  }

  /** @param secretSync syncs a class's spec.secretObjects to Secrets (issue 19 item 4) */
  public Publisher(BackendRegistry backends, VolumeReconciler reconciler, String driverName,
      HostMetrics metrics, KubeletTargets targets, SecretProviderClassResolver dropIn,
      Optional<SecretSync> secretSync) {
    this.secretSync = new SecretSyncStep(secretSync, driverName);
    this.dropIn = requireNonNull(dropIn, "dropIn is null");
    this.backends = requireNonNull(backends, "backends is null");
    this.reconciler = requireNonNull(reconciler, "reconciler is null");
    this.driverName = requireNonNull(driverName, "driverName is null");
    this.metrics = requireNonNull(metrics, "metrics is null");
    this.targets = requireNonNull(targets, "targets is null");
  }

  /** Publishes or republishes a volume. */
  public Outcome publish(PublishRequest request) throws PublishException {
    long started = System.nanoTime();
    // the volume's "backend" attribute; publishLocked replaces it with the backend a
    // SecretProviderClass resolved to, so a drop-in volume's metrics and log name that backend
    AtomicReference<String> backendName =
        new AtomicReference<>(request.volumeContext().getOrDefault(KubeletKeys.BACKEND, ""));
    boolean republish = reconciler.volumes().state(request.volumeId()).isPresent();
    try (RpcLogContext rpc = RpcLogContext.start("NodePublishVolume", request.volumeId())
        .volumeContext(request.volumeContext())) {
      String code = Code.INTERNAL.name();
      Outcome outcome = null;
      PublishException failure = null;
      try {
        requirePresent(request.volumeId(), "volume_id");
        requirePresent(request.targetPath(), "target_path");
        if (request.capability() == null) {
          throw PublishException.invalid("volume_capability is required");
        }
        outcome = locks.withLock(request.volumeId(), () -> publishLocked(request, backendName));
        code = "OK";
        return outcome;
      } catch (PublishException e) {
        failure = e;
        code = e.code().name();
        throw e;
      } finally {
        // The closing line of the call carries its code, duration and backend (the resolved one for
        // a drop-in volume; rpc.end before logging).
        rpc.backend(backendName.get());
        rpc.end(code);
        metrics.rpc("NodePublishVolume", backendLabel(backendName.get()), code, republish,
            Duration.ofNanos(System.nanoTime() - started));
        if (failure != null) {
          LOG.warn("publish of volume {} failed: {} {}", request.volumeId(), code, failure.getMessage());
        } else if (outcome != null) {
          log(request, backendName.get(), outcome);
        }
      }
    }
  }

  /**
   * Unpublishes a volume; unknown volumes and missing targets are OK (kubelet retries NOT_FOUND
   * forever). A target that is not kubelet's ({@link KubeletTargets#forUnpublish}) is left untouched,
   * and so is the volume's state: the call answers OK, since any error makes kubelet retry forever.
   */
  public void unpublish(String volumeId, String targetPath) throws PublishException {
    long started = System.nanoTime();
    String backend = reconciler.volumes().state(volumeId).map(s -> s.backend()).orElse("");
    try (RpcLogContext rpc = RpcLogContext.start("NodeUnpublishVolume", volumeId).backend(backend)) {
      String code = Code.INTERNAL.name();
      PublishException failure = null;
      try {
        requirePresent(volumeId, "volume_id");
        requirePresent(targetPath, "target_path");
        Optional<Path> target = targets.forUnpublish(targetPath);
        if (target.isEmpty()) {
          LOG.warn("unpublish of volume {}: target_path {} is not kubelet's target of an inline"
              + " volume below --kubelet-dir {}; left it untouched", volumeId, targetPath,
              targets.kubeletDir());
        } else {
          locks.withLock(volumeId, () -> {
            reconciler.unpublish(volumeId, target.get(), backends::backend);
            secretSync.forget(volumeId);
            tokenMemo.forget(volumeId);
            return null;
          });
        }
        code = "OK";
      } catch (PublishException e) {
        failure = e;
        code = e.code().name();
        throw e;
      } finally {
        rpc.end(code);
        metrics.rpc("NodeUnpublishVolume", backendLabel(backend), code, false,
            Duration.ofNanos(System.nanoTime() - started));
        if (failure != null) {
          LOG.warn("unpublish of volume {} failed: {} {}", volumeId, code, failure.getMessage());
        } else if (code.equals("OK")) {
          LOG.info("unpublished volume {} at {}", volumeId, targetPath);
        }
      }
    }
  }

  private Outcome publishLocked(PublishRequest request, AtomicReference<String> resolvedBackend)
      throws PublishException {
    if (request.capability().block()) {
      throw PublishException.invalid("volume_capability requests a block volume; " + driverName
          + " only serves mounted (filesystem) volumes");
    }
    if (!request.readonly()) {
      // kubelet mounts the volume read-write into the containers unless the pod spec says
      // readOnly: a container could then rewrite what Passport serves and plant links for the
      // root writer. secrets-store-csi-driver and cert-manager's csi-lib refuse it the same way.
      throw PublishException.invalid("readonly is false: " + driverName + " volumes are read-only;"
          + " set readOnly: true on the csi volume in the pod spec (spec.volumes[].csi.readOnly)");
    }
    Pod pod = pod(request.volumeContext());
    Path target = targets.forPublish(request.targetPath(), pod.uid());
    // Drop-in mode (issue 19): a secretProviderClass volume takes its backend and attributes
    // from that class in the pod's namespace; an inline volume from its own attributes.
    Optional<SecretProviderClassResolver.Resolved> fromClass =
        dropIn.resolve(request.volumeContext(), pod.namespace(), backends.names());
    String backendName = fromClass.map(SecretProviderClassResolver.Resolved::backend)
        .orElse(request.volumeContext().get(KubeletKeys.BACKEND));
    if (backendName == null || backendName.isBlank()) {
      throw PublishException.invalid("volume attribute \"backend\" is required; one of "
          + new TreeSet<>(backends.names()));
    }
    RegisteredBackend backend = backends.backend(backendName).orElseThrow(() -> PublishException.invalid(
        "unknown backend " + LogRedaction.quote(backendName) + " in volume attribute \"backend\";"
            + " this node serves " + new TreeSet<>(backends.names())));
    resolvedBackend.set(backendName);
    Map<String, String> attributes = fromClass.map(SecretProviderClassResolver.Resolved::attributes)
        .orElseGet(() -> backendAttributes(request.volumeContext()));
    // Templates (issue 23) are the host's: taken out here, after the drop-in merge, so neither an
    // inline volume's nor a class's reach the backend; compiled before any backend call.
    TemplateAttributes.Split templated = templates(attributes);
    attributes = templated.backendAttributes();
    RegisteredBackend.Bound volume = prepared(backend, attributes);
    Set<String> needed = volume.audiences();
    TokenMemo.Lookup parsedTokens = tokenMemo.lookup(request.volumeId(), request);
    Map<String, ServiceAccountToken> tokens = parsedTokens.tokens();
    for (String audience : new TreeSet<>(needed)) {
      if (!tokens.containsKey(audience)) {
        throw new PublishException(Code.UNAUTHENTICATED, "no service account token for audience \""
            + audience + "\" (needed by backend " + backendName + "); add {audience: \"" + audience
            + "\"} to spec.tokenRequests of CSIDriver " + driverName);
      }
    }
    // VolumeSpec keeps only the tokens of the declared audiences (needed, and optional ones kubelet
    // sent): the plugin never sees the others
    Set<String> declared = new java.util.HashSet<>(needed);
    declared.addAll(volume.optionalAudiences());
    // issue 19 item 4: a class's secretObjects are checked (sync available, the pod's API-server
    // token present) before anything is fetched, and synced once the volume is written
    boolean firstPublish = reconciler.volumes().state(request.volumeId()).isEmpty();
    Optional<SecretSyncStep.Plan> sync = fromClass.isEmpty() ? Optional.empty()
        : secretSync.plan(fromClass.get().spc(), pod, request.volumeId(), tokens, firstPublish);
    VolumeSpec spec = new VolumeSpec(request.volumeId(), target, pod, backendName, attributes,
        tokens, declared, fsGroup(request.capability().volumeMountGroup()),
        NodePublishSecrets.of(request.secrets()), templated.templates());
    Outcome outcome = reconciler.publish(spec, volume);
    if (sync.isPresent()) {
      secretSync.afterPublish(sync.get(), spec, outcome, firstPublish, reconciler, () -> undo(spec));
    }
    tokenMemo.keep(request.volumeId(), parsedTokens);
    return outcome;
  }

  /** Removes a volume whose first publish failed after its write (the Secret sync's failure). */
  private void undo(VolumeSpec spec) {
    try {
      reconciler.unpublish(spec.volumeId(), spec.target(), backends::backend);
    } catch (PublishException | RuntimeException e) {
      LOG.error("cannot clean up volume {} at {} after its Secret sync failed: {}", spec.volumeId(),
          spec.target(), e.getMessage());
    }
    secretSync.forget(spec.volumeId());
    tokenMemo.forget(spec.volumeId());
  }

  private static TemplateAttributes.Split templates(Map<String, String> attributes)
      throws PublishException {
    try {
      return TemplateAttributes.split(attributes);
    } catch (TemplateException e) {
      throw PublishException.invalid(e.getMessage());
    }
  }

  /** Prepares once per backend and attributes: plugins parse their attributes once, not on every republish. */
  private RegisteredBackend.Bound prepared(RegisteredBackend backend,
      Map<String, String> attributes) throws PublishException {
    String name = backend.name();
    PreparedKey key = new PreparedKey(name, attributes);
    RegisteredBackend.Bound known = prepared.getIfPresent(key);
    if (known != null) {
      return known;
    }
    try {
      RegisteredBackend.Bound fresh = backend.prepare(attributes);
      prepared.put(key, fresh);
      return fresh;
    } catch (BackendException e) {
      throw PublishException.fromBackend(name, e);
    } catch (RuntimeException e) {
      LOG.error("backend {} failed to validate attributes", name, e);
      throw new PublishException(Code.INTERNAL, "backend " + name + " failed to validate the volume"
          + " attributes (" + e.getClass().getSimpleName() + "); see the driver's log");
    }
  }

  private Pod pod(Map<String, String> context) throws PublishException {
    return Pod.of(podKey(context, KubeletKeys.POD_NAMESPACE), podKey(context, KubeletKeys.POD_NAME),
        podKey(context, KubeletKeys.POD_UID), podKey(context, KubeletKeys.SERVICE_ACCOUNT_NAME));
  }

  private String podKey(Map<String, String> context, String key) throws PublishException {
    String value = context.get(key);
    if (value == null || value.isBlank()) {
      throw PublishException.invalid("volume_context lacks " + key + "; set podInfoOnMount: true on"
          + " CSIDriver " + driverName + " (Passport serves inline pod volumes only)");
    }
    return value;
  }

  /** The attributes meant for the plugin: everything but "backend" and kubelet's keys. */
  static Map<String, String> backendAttributes(Map<String, String> context) {
    Map<String, String> attributes = new HashMap<>();
    context.forEach((k, v) -> {
      if (!k.equals(KubeletKeys.BACKEND) && !k.startsWith(KubeletKeys.PREFIX)) {
        attributes.put(k, v);
      }
    });
    return Map.copyOf(attributes);
  }

  private static OptionalInt fsGroup(String value) throws PublishException {
    if (value.isEmpty()) {
      return OptionalInt.empty();
    }
    try {
      int gid = Integer.parseInt(value);
      if (gid < 0) {
        throw new NumberFormatException();
      }
      return OptionalInt.of(gid);
    } catch (NumberFormatException e) {
      throw PublishException.invalid("volume_mount_group must be a numeric group id, got \"" + value + "\"");
    }
  }

  private static void requirePresent(String value, String field) throws PublishException {
    if (value == null || value.isEmpty()) {
      throw PublishException.invalid(field + " is required");
    }
  }

  private String backendLabel(String name) {
    // Only configured backend names become labels: a pod must not create metric series.
    return backends.names().contains(name) ? name : "unknown";
  }

  private static void log(PublishRequest request, String backend, Outcome outcome) {
    if (outcome == Outcome.CACHED) {
      LOG.debug("republish of volume {} answered from cache", request.volumeId());
    } else {
      LOG.info("published volume {} of pod {}/{} from backend {} ({})", request.volumeId(),
          request.volumeContext().get(KubeletKeys.POD_NAMESPACE),
          request.volumeContext().get(KubeletKeys.POD_NAME), backend, outcome);
    }
  }

  private record PreparedKey(String backend, Map<String, String> attributes) {}
}
