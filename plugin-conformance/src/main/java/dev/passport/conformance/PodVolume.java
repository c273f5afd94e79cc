package dev.passport.conformance;

import static java.util.Objects.requireNonNull;

import dev.passport.api.Pod;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * An inline CSI volume in a pod spec, as {@link FakeKubelet} mounts it.
 *
 * @param pod the pod
 * @param volumeName the volume's name in the pod spec (part of the volume id)
 * @param targetPath where kubelet wants the volume: {@link FakeKubelet#targetPath} of the kubelet
 *     dir the host was given ({@code PassportHost.Builder.kubeletDir}), which {@link #of} computes;
 *     the host refuses any other path. Its parent is created by the fake kubelet, the directory
 *     itself by the driver
 * @param attributes the pod spec's {@code volumeAttributes}, including {@code backend}
 * @param audiences the CSIDriver's {@code tokenRequests} audiences; empty sends no tokens at all
 * @param tokenTtl the {@code expirationSeconds} of each token request
 * @param placement where the tokens go
 * @param fsGroup the pod's {@code securityContext.fsGroup}, sent as {@code volume_mount_group}
 */
public record PodVolume(
    Pod pod,
    String volumeName,
    Path targetPath,
    Map<String, String> attributes,
    Set<String> audiences,
    Duration tokenTtl,
    TokenPlacement placement,
    OptionalLong fsGroup) {

  /** kubelet's default and the CSIDriver minimum is 10 minutes; one hour is the common choice. */
  public static final Duration DEFAULT_TOKEN_TTL = Duration.ofHours(1);

  /** Checks presence and copies the collections. */
  public PodVolume {
    requireNonNull(pod, "pod is null");
    requireNonNull(volumeName, "volumeName is null");
    if (volumeName.isBlank()) {
      throw new IllegalArgumentException("volumeName is blank");
    }
    requireNonNull(targetPath, "targetPath is null");
    attributes = Map.copyOf(requireNonNull(attributes, "attributes is null"));
    audiences = Set.copyOf(requireNonNull(audiences, "audiences is null"));
    requireNonNull(tokenTtl, "tokenTtl is null");
    if (tokenTtl.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("tokenTtl is " + tokenTtl + ", must be at least 1s");
    }
    requireNonNull(placement, "placement is null");
    requireNonNull(fsGroup, "fsGroup is null");
  }

  /**
   * A volume with one-hour tokens in {@code secrets} and no fsGroup, its target under
   * {@code kubeletRoot} where kubelet would put it:
   * {@code pods/<uid>/volumes/kubernetes.io~csi/<volumeName>/mount}. Give the host the same dir
   * ({@code PassportHost.Builder.kubeletDir(kubeletRoot)}): it acts on no other target.
   */
  public static PodVolume of(Pod pod, String volumeName, Path kubeletRoot,
      Map<String, String> attributes, Set<String> audiences) {
    requireNonNull(kubeletRoot, "kubeletRoot is null");
    requireNonNull(pod, "pod is null");
    Path target = FakeKubelet.targetPath(kubeletRoot, pod.uid(), volumeName);
    return new PodVolume(pod, volumeName, target, attributes, audiences, DEFAULT_TOKEN_TTL,
        TokenPlacement.SECRETS, OptionalLong.empty());
  }

  /** A copy whose tokens live for {@code ttl}. */
  public PodVolume withTokenTtl(Duration ttl) {
    return new PodVolume(pod, volumeName, targetPath, attributes, audiences, ttl, placement,
        fsGroup);
  }

  /** A copy with the tokens in {@code placement}. */
  public PodVolume withPlacement(TokenPlacement placement) {
    return new PodVolume(pod, volumeName, targetPath, attributes, audiences, tokenTtl, placement,
        fsGroup);
  }

  /** A copy for a pod with {@code securityContext.fsGroup: gid}. */
  public PodVolume withFsGroup(long gid) {
    return new PodVolume(pod, volumeName, targetPath, attributes, audiences, tokenTtl, placement,
        OptionalLong.of(gid));
  }

  /** A copy with other attributes. */
  public PodVolume withAttributes(Map<String, String> attributes) {
    return new PodVolume(pod, volumeName, targetPath, attributes, audiences, tokenTtl, placement,
        fsGroup);
  }

  /** A copy with other token audiences. */
  public PodVolume withAudiences(Set<String> audiences) {
    return new PodVolume(pod, volumeName, targetPath, attributes, audiences, tokenTtl, placement,
        fsGroup);
  }

  /** The volume id kubelet gives this inline volume. */
  public String volumeId() {
    return FakeKubelet.inlineVolumeId(pod.uid(), volumeName);
  }
}
