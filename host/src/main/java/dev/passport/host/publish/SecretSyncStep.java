package dev.passport.host.publish;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.passport.api.Pod;
import dev.passport.api.ServiceAccountToken;
import dev.passport.host.k8s.SecretObject;
import dev.passport.host.k8s.SecretProviderClass;
import dev.passport.host.k8s.SecretSync;
import dev.passport.host.k8s.SecretSyncException;
import dev.passport.host.publish.PublishException.Code;
import dev.passport.host.publish.VolumeReconciler.Outcome;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where the Secret sync of {@code spec.secretObjects} (issue 19 item 4) sits in a publish:
 *
 * <ul>
 *   <li><b>Before the fetch</b> ({@link #plan}): a class with secretObjects on a host without sync,
 *       or in pod mode without the pod's token for the API server, is refused with
 *       FAILED_PRECONDITION before any backend call or write.
 *   <li><b>After the volume's atomic write succeeded</b> ({@link #afterPublish}): the Secrets are
 *       built from exactly the files the pod sees, so a Secret never holds what the volume does not.
 *       The volume write is never half-done by a sync failure (it is complete before the first API
 *       call), and a Secret is never left stale silently: on a <b>first publish</b> a failed sync
 *       fails the publish with its own code and the volume is removed as after any failed first
 *       publish (kubelet retries; the pod does not start with its Secret missing); on a
 *       <b>republish</b> it answers UNAVAILABLE (not final: kubelet records an event and retries,
 *       and never unmounts), the content is kept, and the next republish syncs again.
 *   <li><b>Cost</b>: what was synced is remembered per volume (a digest of the volume's content
 *       hash, the pod and the secretObjects): a republish with nothing changed makes no API call. A
 *       republish that called the backend (a refresh) reads each Secret back once, so a Secret
 *       someone edited or deleted is repaired within a refresh interval.
 * </ul>
 */
final class SecretSyncStep {

  private final Optional<SecretSync> sync;
  private final String driverName;
  /** volume id → digest of what the last successful sync wrote from. */
  private final Cache<String, String> synced = Caffeine.newBuilder().maximumSize(10_000).build();

  SecretSyncStep(Optional<SecretSync> sync, String driverName) {
    this.sync = requireNonNull(sync, "sync is null");
    this.driverName = requireNonNull(driverName, "driverName is null");
  }

  /** What one publish syncs. */
  record Plan(SecretSync.Target target, List<SecretObject> objects) {}

  /**
   * The sync a volume needs, checked before anything is fetched; empty when its class lists no
   * secretObjects.
   *
   * @param tokens every token kubelet sent (the plugin never sees the API server's one)
   * @param firstPublish whether the volume had no state: a republish is answered UNAVAILABLE
   *     instead (content kept, no fetch), never a final code
   */
  Optional<Plan> plan(SecretProviderClass spc, Pod pod, String volumeId,
      Map<String, ServiceAccountToken> tokens, boolean firstPublish) throws PublishException {
    if (spc.secretObjects().isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(plan(spc, pod, volumeId, tokens));
    } catch (PublishException e) {
      if (firstPublish) {
        throw e;
      }
      // e.g. a class that gained secretObjects while the pod runs: kubelet could remove a running
      // pod's mount on a final code
      throw new PublishException(Code.UNAVAILABLE, "volume " + volumeId + " keeps its content,"
          + " but its Secrets cannot be synced (" + e.code() + "): " + e.getMessage(), e);
    }
  }

  private Plan plan(SecretProviderClass spc, Pod pod, String volumeId,
      Map<String, ServiceAccountToken> tokens) throws PublishException {
    String what = "SecretProviderClass " + spc.namespace() + "/" + spc.name();
    if (sync.isEmpty()) {
      // Refused rather than ignored: a pod reading the synced Secret (env valueFrom) would start
      // with a stale or missing Secret and no word why.
      throw new PublishException(Code.FAILED_PRECONDITION, what + " lists spec.secretObjects"
          + " (Secrets to sync), and " + driverName + " runs without Secret sync; read the mounted"
          + " files instead and remove spec.secretObjects (docs/migrating-from-secrets-store-csi-driver.md)");
    }
    SecretSync secrets = sync.get();
    Optional<ServiceAccountToken> token = Optional.empty();
    if (secrets.identity() == SecretSync.Identity.POD) {
      token = Optional.ofNullable(tokens.get(secrets.audience()));
      if (token.isEmpty()) {
        throw new PublishException(Code.FAILED_PRECONDITION, what + " lists spec.secretObjects,"
            + " which " + driverName + " writes with the pod's own token for the API server, and"
            + " kubelet sent none: add {audience: \"" + secrets.audience() + "\"} to"
            + " spec.tokenRequests of CSIDriver " + driverName + " (Helm: syncSecret.audience)");
      }
    }
    return new Plan(new SecretSync.Target(volumeId, spc.name(), pod, token), spc.secretObjects());
  }

  /**
   * Syncs after a successful publish (see the class comment for what a failure does).
   *
   * @param firstPublish whether the volume had no state before this publish
   * @param undo removes the volume after a failed first publish
   */
  void afterPublish(Plan plan, VolumeSpec spec, Outcome outcome, boolean firstPublish,
      VolumeReconciler reconciler, Runnable undo) throws PublishException {
    String contentHash = reconciler.volumes().state(spec.volumeId())
        .map(s -> s.contentHash()).orElse("");
    String digest = digest(contentHash, spec.pod(), plan.objects());
    boolean fetched = outcome == Outcome.FETCHED_AND_WRITTEN || outcome == Outcome.FETCHED_UNCHANGED;
    if (!fetched && digest.equals(synced.getIfPresent(spec.volumeId()))) {
      return;
    }
    synced.invalidate(spec.volumeId());
    try {
      reconciler.withCurrentFiles(spec, files -> {
        try {
          sync.orElseThrow().sync(plan.target(), plan.objects(), files, fetched);
        } catch (SecretSyncException e) {
          throw new PublishException(codeOf(e.kind()), e.getMessage());
        }
      });
    } catch (PublishException e) {
      if (firstPublish) {
        undo.run();
        throw e;
      }
      // Never a final code on a republish: kubelet could remove a running pod's mount.
      String retries = "the next republish retries";
      String reason = e.getMessage().endsWith(retries) ? e.getMessage() : e.getMessage() + "; " + retries;
      throw new PublishException(Code.UNAVAILABLE, "volume " + spec.volumeId() + " keeps its"
          + " content, but its Secrets are not synced (" + e.code() + "): " + reason, e);
    }
    synced.put(spec.volumeId(), digest);
  }

  /** The volume is gone: forget what it synced (the Secrets stay until the GC removes them). */
  void forget(String volumeId) {
    synced.invalidate(volumeId);
    sync.ifPresent(s -> s.forget(volumeId));
  }

  private static Code codeOf(SecretSyncException.Kind kind) {
    return switch (kind) {
      case INVALID -> Code.INVALID_ARGUMENT;
      case PRECONDITION -> Code.FAILED_PRECONDITION;
      case PERMISSION_DENIED -> Code.PERMISSION_DENIED;
      case UNAUTHENTICATED -> Code.UNAUTHENTICATED;
      case UNAVAILABLE -> Code.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> Code.DEADLINE_EXCEEDED;
    };
  }

  /** Length-prefixed fields of everything a sync writes from, hashed. */
  private static String digest(String contentHash, Pod pod, List<SecretObject> objects) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      field(sha, contentHash);
      field(sha, pod.uid());
      field(sha, pod.name());
      for (SecretObject o : objects) {
        field(sha, o.secretName());
        field(sha, o.type());
        map(sha, o.labels());
        map(sha, o.annotations());
        for (SecretObject.Data d : o.data()) {
          field(sha, d.objectName());
          field(sha, d.key());
        }
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from the JDK", e);
    }
  }

  private static void map(MessageDigest sha, Map<String, String> map) {
    field(sha, String.valueOf(map.size()));
    new TreeMap<>(map).forEach((k, v) -> {
      field(sha, k);
      field(sha, v);
    });
  }

  private static void field(MessageDigest sha, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    sha.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
    sha.update(bytes);
  }
}
