package dev.passport.host.publish;

import java.util.Map;

/**
 * A NodePublishVolume call as plain values: the csi layer copies the protobuf message into this,
 * so nothing below it knows protobuf.
 *
 * @param volumeId the CSI volume id, empty when kubelet sent none
 * @param targetPath the target path, empty when kubelet sent none
 * @param capability the volume capability, or {@code null} when kubelet sent none
 * @param readonly the readonly flag
 * @param volumeContext the volume attributes plus kubelet's {@code csi.storage.k8s.io/*} keys
 * @param secrets the {@code secrets} field (a {@code csi_secret}): never log it
 */
public record PublishRequest(
    String volumeId,
    String targetPath,
    Capability capability,
    boolean readonly,
    Map<String, String> volumeContext,
    Map<String, String> secrets) {

  public PublishRequest {
    volumeId = volumeId == null ? "" : volumeId;
    targetPath = targetPath == null ? "" : targetPath;
    volumeContext = Map.copyOf(volumeContext);
    secrets = Map.copyOf(secrets);
  }

  /**
   * The parts of {@code VolumeCapability} Passport looks at.
   *
   * @param block the volume was requested as a raw block device
   * @param volumeMountGroup the pod's fsGroup ({@code volume_mount_group}), empty when absent
   */
  public record Capability(boolean block, String volumeMountGroup) {
    public Capability {
      volumeMountGroup = volumeMountGroup == null ? "" : volumeMountGroup;
    }
  }

  /** Shows ids and attribute names; never secrets or the tokens key's value. */
  @Override
  public String toString() {
    return "PublishRequest[volumeId=" + volumeId + ", targetPath=" + targetPath
        + ", volumeContextKeys=" + volumeContext.keySet() + ", secrets=" + secrets.size() + " redacted]";
  }
}
