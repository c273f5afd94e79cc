package dev.passport.host.testing;

import csi.v1.Csi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/** NodePublishVolume requests shaped like kubelet's for an inline volume. */
public final class Requests {

  private Requests() {}

  /** The pod UID {@link #publish} sends for {@code volumeId}. */
  public static String podUid(String volumeId) {
    return "uid-" + volumeId;
  }

  /**
   * kubelet's target for the volume {@link #publish} sends as {@code volumeId}, below
   * {@code kubeletDir}: {@code pods/<podUid>/volumes/kubernetes.io~csi/<volumeId>/mount}. Creates
   * its parent, as kubelet does before NodePublishVolume.
   */
  public static Path target(Path kubeletDir, String volumeId) {
    Path target = kubeletDir.resolve("pods").resolve(podUid(volumeId)).resolve("volumes")
        .resolve("kubernetes.io~csi").resolve(volumeId).resolve("mount");
    try {
      Files.createDirectories(target.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the parent of " + target, e);
    }
    return target;
  }

  /** kubelet's tokens JSON for these audience → (token, expiry) pairs. */
  public static String tokensJson(Map<String, String> tokens, Instant expiry) {
    StringJoiner json = new StringJoiner(",", "{", "}");
    tokens.forEach((audience, token) -> json.add("\"" + audience + "\":{\"token\":\"" + token
        + "\",\"expirationTimestamp\":\"" + expiry + "\"}"));
    return json.toString();
  }

  /**
   * A request with pod info, the given attributes, the tokens in {@code secrets} and
   * {@code readonly=true} (what a secret volume's pod spec sets; Passport refuses anything else).
   */
  public static Csi.NodePublishVolumeRequest.Builder publish(
      String volumeId, Path target, Map<String, String> attributes, String tokensJson) {
    Map<String, String> context = new LinkedHashMap<>(attributes);
    context.put("csi.storage.k8s.io/pod.name", "web-0");
    context.put("csi.storage.k8s.io/pod.namespace", "shop");
    context.put("csi.storage.k8s.io/pod.uid", podUid(volumeId));
    context.put("csi.storage.k8s.io/serviceAccount.name", "web");
    context.put("csi.storage.k8s.io/ephemeral", "true");
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
      request.putSecrets("csi.storage.k8s.io/serviceAccount.tokens", tokensJson);
    }
    return request;
  }
}
