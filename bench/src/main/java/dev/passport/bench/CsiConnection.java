package dev.passport.bench;

import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import dev.passport.host.csi.UnixSocketChannel;
import io.grpc.ManagedChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A plain gRPC channel on a Unix socket, as kubelet opens one. */
public final class CsiConnection implements AutoCloseable {

  private static final Csi.ProbeRequest PROBE = Csi.ProbeRequest.getDefaultInstance();

  private final UnixSocketChannel connection;
  private final ManagedChannel channel;
  private final Duration deadline;

  public CsiConnection(Path socket) {
    this(socket, Duration.ofSeconds(60));
  }

  public CsiConnection(Path socket, Duration deadline) {
    this.deadline = deadline;
    connection = UnixSocketChannel.open(socket, "bench-client");
    channel = connection.channel();
  }

  public IdentityGrpc.IdentityBlockingStub identity() {
    return IdentityGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  public NodeGrpc.NodeBlockingStub node() {
    return NodeGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Identity.Probe; true when the server says it is ready. */
  public boolean probe() {
    Csi.ProbeResponse response = identity().probe(PROBE);
    return !response.hasReady() || response.getReady().getValue();
  }

  @Override
  public void close() {
    connection.close();
  }
}
