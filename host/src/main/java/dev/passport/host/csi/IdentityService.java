package dev.passport.host.csi;

import com.google.protobuf.BoolValue;
import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import io.grpc.stub.StreamObserver;
import java.util.function.BooleanSupplier;

/** CSI Identity: who we are, and whether we are ready. */
public final class IdentityService extends IdentityGrpc.IdentityImplBase {

  private final String driverName;
  private final String version;
  private final BooleanSupplier ready;

  public IdentityService(String driverName, String version, BooleanSupplier ready) {
    this.driverName = driverName;
    this.version = version;
    this.ready = ready;
  }

  @Override
  public void getPluginInfo(Csi.GetPluginInfoRequest request,
      StreamObserver<Csi.GetPluginInfoResponse> response) {
    response.onNext(Csi.GetPluginInfoResponse.newBuilder()
        .setName(driverName).setVendorVersion(version).build());
    response.onCompleted();
  }

  /** A node-only driver: no controller service, no topology. */
  @Override
  public void getPluginCapabilities(Csi.GetPluginCapabilitiesRequest request,
      StreamObserver<Csi.GetPluginCapabilitiesResponse> response) {
    response.onNext(Csi.GetPluginCapabilitiesResponse.getDefaultInstance());
    response.onCompleted();
  }

  @Override
  public void probe(Csi.ProbeRequest request, StreamObserver<Csi.ProbeResponse> response) {
    response.onNext(Csi.ProbeResponse.newBuilder()
        .setReady(BoolValue.of(ready.getAsBoolean())).build());
    response.onCompleted();
  }
}
