package dev.passport.host.csi;

import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;

/**
 * The calls kubelet and the registrar make at startup, made once against a host's socket so that
 * {@code passport warmup} touches the classes the AppCDS archive should hold. Lives in csi so
 * that the CLI needs no gRPC.
 */
public final class WarmupCalls {

  private WarmupCalls() {}

  /** Identity, node info and capabilities, a refused publish and an unpublish. */
  public static void exercise(Path socket, Path work) {
    try (UnixSocketChannel connection = UnixSocketChannel.open(socket, "warmup-client")) {
      IdentityGrpc.IdentityBlockingStub identity = IdentityGrpc.newBlockingStub(connection.channel());
      identity.getPluginInfo(Csi.GetPluginInfoRequest.getDefaultInstance());
      identity.probe(Csi.ProbeRequest.getDefaultInstance());
      NodeGrpc.NodeBlockingStub node = NodeGrpc.newBlockingStub(connection.channel());
      node.nodeGetInfo(Csi.NodeGetInfoRequest.getDefaultInstance());
      node.nodeGetCapabilities(Csi.NodeGetCapabilitiesRequest.getDefaultInstance());
      try {
        // Exercises validation and the error path; the warmup has no backend to publish from.
        node.nodePublishVolume(Csi.NodePublishVolumeRequest.newBuilder().setVolumeId("warmup")
            .setTargetPath(work.resolve("target").toString()).build());
      } catch (StatusRuntimeException expected) {
        // INVALID_ARGUMENT: no volume_capability
      }
      node.nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder().setVolumeId("warmup")
          .setTargetPath(work.resolve("target").toString()).build());
    }
  }
}
