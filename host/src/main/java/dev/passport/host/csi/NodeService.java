package dev.passport.host.csi;

import csi.v1.Csi;
import csi.v1.NodeGrpc;
import dev.passport.host.publish.PublishException;
import dev.passport.host.publish.PublishRequest;
import dev.passport.host.publish.Publisher;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** CSI Node: translates messages and statuses; the work happens in {@link Publisher}. */
public final class NodeService extends NodeGrpc.NodeImplBase {

  private static final Logger LOG = LoggerFactory.getLogger(NodeService.class);

  private final Publisher publisher;
  private final String nodeId;

  public NodeService(Publisher publisher, String nodeId) {
    this.publisher = publisher;
    this.nodeId = nodeId;
  }

  @Override
  public void nodePublishVolume(Csi.NodePublishVolumeRequest request,
      StreamObserver<Csi.NodePublishVolumeResponse> response) {
    try {
      publisher.publish(toPublishRequest(request));
      response.onNext(Csi.NodePublishVolumeResponse.getDefaultInstance());
      response.onCompleted();
    } catch (PublishException e) {
      response.onError(Statuses.of(e));
    } catch (RuntimeException e) {
      LOG.error("unexpected failure in NodePublishVolume for volume {}", request.getVolumeId(), e);
      response.onError(Statuses.unexpected(e));
    }
  }

  @Override
  public void nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest request,
      StreamObserver<Csi.NodeUnpublishVolumeResponse> response) {
    try {
      publisher.unpublish(request.getVolumeId(), request.getTargetPath());
      response.onNext(Csi.NodeUnpublishVolumeResponse.getDefaultInstance());
      response.onCompleted();
    } catch (PublishException e) {
      response.onError(Statuses.of(e));
    } catch (RuntimeException e) {
      LOG.error("unexpected failure in NodeUnpublishVolume for volume {}", request.getVolumeId(), e);
      response.onError(Statuses.unexpected(e));
    }
  }

  /** VOLUME_MOUNT_GROUP: kubelet then sends the pod's fsGroup instead of chowning files itself. */
  @Override
  public void nodeGetCapabilities(Csi.NodeGetCapabilitiesRequest request,
      StreamObserver<Csi.NodeGetCapabilitiesResponse> response) {
    response.onNext(Csi.NodeGetCapabilitiesResponse.newBuilder()
        .addCapabilities(Csi.NodeServiceCapability.newBuilder()
            .setRpc(Csi.NodeServiceCapability.RPC.newBuilder()
                .setType(Csi.NodeServiceCapability.RPC.Type.VOLUME_MOUNT_GROUP)))
        .build());
    response.onCompleted();
  }

  @Override
  public void nodeGetInfo(Csi.NodeGetInfoRequest request,
      StreamObserver<Csi.NodeGetInfoResponse> response) {
    response.onNext(Csi.NodeGetInfoResponse.newBuilder().setNodeId(nodeId).build());
    response.onCompleted();
  }

  static PublishRequest toPublishRequest(Csi.NodePublishVolumeRequest request) {
    PublishRequest.Capability capability = null;
    if (request.hasVolumeCapability()) {
      Csi.VolumeCapability c = request.getVolumeCapability();
      capability = new PublishRequest.Capability(c.hasBlock(), c.getMount().getVolumeMountGroup());
    }
    return new PublishRequest(request.getVolumeId(), request.getTargetPath(), capability,
        request.getReadonly(), request.getVolumeContextMap(), request.getSecretsMap());
  }
}
