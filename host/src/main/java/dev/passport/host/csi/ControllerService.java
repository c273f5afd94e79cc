package dev.passport.host.csi;

import csi.v1.ControllerGrpc;
import csi.v1.Csi;
import io.grpc.stub.StreamObserver;

/** Only ControllerGetCapabilities, answered empty: csi-sanity asks, and a node-only driver has none. */
public final class ControllerService extends ControllerGrpc.ControllerImplBase {

  @Override
  public void controllerGetCapabilities(Csi.ControllerGetCapabilitiesRequest request,
      StreamObserver<Csi.ControllerGetCapabilitiesResponse> response) {
    response.onNext(Csi.ControllerGetCapabilitiesResponse.getDefaultInstance());
    response.onCompleted();
  }
}
