package dev.passport.host.testing;

import csi.v1.ControllerGrpc;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import dev.passport.host.csi.UnixSocketChannel;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A plain gRPC client on the host's Unix socket, as kubelet would open one. */
public final class CsiClient implements AutoCloseable {

  private final UnixSocketChannel connection;
  private final ManagedChannel channel;

  public CsiClient(Path socket) {
    connection = UnixSocketChannel.open(socket, "csi-test-client");
    channel = connection.channel();
  }

  public IdentityGrpc.IdentityBlockingStub identity() {
    return IdentityGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  public NodeGrpc.NodeBlockingStub node() {
    return NodeGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  public NodeGrpc.NodeFutureStub nodeAsync() {
    return NodeGrpc.newFutureStub(channel);
  }

  public ControllerGrpc.ControllerBlockingStub controller() {
    return ControllerGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    connection.close();
  }
}
