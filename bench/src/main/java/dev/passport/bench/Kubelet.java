package dev.passport.bench;

import csi.v1.Csi;
import dev.passport.bench.plugin.BenchBackendFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/** NodePublishVolume and NodeUnpublishVolume requests shaped like kubelet's for an inline volume. */
public final class Kubelet {

  public static final String TOKENS_KEY = "csi.storage.k8s.io/serviceAccount.tokens";

  private Kubelet() {}

  /** kubelet's tokens JSON for these audience → token pairs, all expiring at {@code expiry}. */
  public static String tokensJson(Map<String, String> tokens, Instant expiry) {
    StringJoiner json = new StringJoiner(",", "{", "}");
    tokens.forEach((audience, token) -> json.add("\"" + audience + "\":{\"token\":\"" + token
        + "\",\"expirationTimestamp\":\"" + expiry + "\"}"));
    return json.toString();
  }

  /** The pod UID {@link #publish} sends for {@code volumeId} unless the context names one. */
  public static String podUid(String volumeId) {
    return "uid-" + volumeId;
  }

  /**
   * kubelet's target for {@code volumeId} below {@code kubeletDir}:
   * {@code pods/<podUid>/volumes/kubernetes.io~csi/<volumeId>/mount}, the only shape the host acts
   * on. Creates its parent, as kubelet does before NodePublishVolume.
   */
  public static Path target(Path kubeletDir, String volumeId) {
    Path target = kubeletDir.resolve("pods").resolve(podUid(volumeId)).resolve("volumes")
        .resolve("kubernetes.io~csi").resolve(volumeId).resolve("mount");
    try {
      java.nio.file.Files.createDirectories(target.getParent());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot create the parent of " + target, e);
    }
    return target;
  }

  /** A publish of a bench volume with a token for the bench audience. */
  public static Csi.NodePublishVolumeRequest benchPublish(String volumeId, Path target,
      Map<String, String> attributes, String token, Instant tokenExpiry) {
    Map<String, String> context = new LinkedHashMap<>(attributes);
    context.put("backend", BenchBackendFactory.NAME);
    return publish(volumeId, target, context,
        tokensJson(Map.of(BenchBackendFactory.AUDIENCE, token), tokenExpiry)).build();
  }

  /** A request with pod info, the given volume context, and {@code tokensJson} in {@code secrets}. */
  public static Csi.NodePublishVolumeRequest.Builder publish(
      String volumeId, Path target, Map<String, String> volumeContext, String tokensJson) {
    Map<String, String> context = new LinkedHashMap<>(volumeContext);
    context.putIfAbsent("csi.storage.k8s.io/pod.name", "bench-0");
    context.putIfAbsent("csi.storage.k8s.io/pod.namespace", "bench");
    context.putIfAbsent("csi.storage.k8s.io/pod.uid", podUid(volumeId));
    context.putIfAbsent("csi.storage.k8s.io/serviceAccount.name", "bench");
    context.putIfAbsent("csi.storage.k8s.io/ephemeral", "true");
    Csi.NodePublishVolumeRequest.Builder request = Csi.NodePublishVolumeRequest.newBuilder()
        .setVolumeId(volumeId)
        .setTargetPath(target.toString())
        .setReadonly(true)
        .setVolumeCapability(Csi.VolumeCapability.newBuilder()
            .setMount(Csi.VolumeCapability.MountVolume.getDefaultInstance())
            .setAccessMode(Csi.VolumeCapability.AccessMode.newBuilder()
                .setMode(Csi.VolumeCapability.AccessMode.Mode.SINGLE_NODE_WRITER)))
        .putAllVolumeContext(context);
    if (tokensJson != null) {
      request.putSecrets(TOKENS_KEY, tokensJson);
    }
    return request;
  }

  public static Csi.NodeUnpublishVolumeRequest unpublish(String volumeId, Path target) {
    return Csi.NodeUnpublishVolumeRequest.newBuilder()
        .setVolumeId(volumeId).setTargetPath(target.toString()).build();
  }
}
