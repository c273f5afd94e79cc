package dev.passport.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.protobuf.BoolValue;
import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import csi.v1.NodeGrpc;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A CSI node server on a Unix socket that records what it receives and writes each published
 * volume in kubelet's atomic-writer layout ({@code ..data -> ..v1/}, {@code file -> ..data/file}),
 * so FakeKubelet can be tested without the host.
 */
final class RecordingCsiServer implements AutoCloseable {

  final List<Csi.NodePublishVolumeRequest> publishes = new CopyOnWriteArrayList<>();
  final List<Csi.NodeUnpublishVolumeRequest> unpublishes = new CopyOnWriteArrayList<>();
  private final EventLoopGroup boss = new EpollEventLoopGroup(1);
  private final EventLoopGroup workers = new EpollEventLoopGroup(1);
  private final Server server;
  private volatile Status failWith;
  private volatile Map<String, String> files = Map.of("token-free.txt", "hello");

  RecordingCsiServer(Path socket) throws IOException {
    server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .addService(new Identity())
        .addService(new Node())
        .build()
        .start();
  }

  /** Every following publish fails with {@code status}. */
  void failWith(Status status) {
    this.failWith = status;
  }

  /** What the following publishes write. */
  void files(Map<String, String> files) {
    this.files = files;
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 5, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
  }

  private final class Identity extends IdentityGrpc.IdentityImplBase {
    @Override
    public void probe(Csi.ProbeRequest request, StreamObserver<Csi.ProbeResponse> response) {
      response.onNext(Csi.ProbeResponse.newBuilder().setReady(BoolValue.of(true)).build());
      response.onCompleted();
    }

    @Override
    public void getPluginInfo(Csi.GetPluginInfoRequest request,
        StreamObserver<Csi.GetPluginInfoResponse> response) {
      response.onNext(Csi.GetPluginInfoResponse.newBuilder()
          .setName("passport.csi.dev").setVendorVersion("test").build());
      response.onCompleted();
    }
  }

  private final class Node extends NodeGrpc.NodeImplBase {
    @Override
    public void nodePublishVolume(Csi.NodePublishVolumeRequest request,
        StreamObserver<Csi.NodePublishVolumeResponse> response) {
      publishes.add(request);
      Status failure = failWith;
      if (failure != null) {
        response.onError(failure.asRuntimeException());
        return;
      }
      try {
        writeAtomically(Path.of(request.getTargetPath()), files);
      } catch (IOException e) {
        response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
        return;
      }
      response.onNext(Csi.NodePublishVolumeResponse.getDefaultInstance());
      response.onCompleted();
    }

    @Override
    public void nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest request,
        StreamObserver<Csi.NodeUnpublishVolumeResponse> response) {
      unpublishes.add(request);
      response.onNext(Csi.NodeUnpublishVolumeResponse.getDefaultInstance());
      response.onCompleted();
    }

    @Override
    public void nodeGetInfo(Csi.NodeGetInfoRequest request,
        StreamObserver<Csi.NodeGetInfoResponse> response) {
      response.onNext(Csi.NodeGetInfoResponse.newBuilder().setNodeId("node-a").build());
      response.onCompleted();
    }

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
  }

  private static void writeAtomically(Path target, Map<String, String> files) throws IOException {
    Path version = target.resolve("..v1");
    Files.createDirectories(version);
    for (Map.Entry<String, String> file : files.entrySet()) {
      Path path = version.resolve(file.getKey());
      Files.createDirectories(path.getParent());
      Files.writeString(path, file.getValue(), UTF_8);
    }
    Path data = target.resolve("..data");
    if (!Files.exists(data, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(data, Path.of("..v1"));
    }
    for (String name : files.keySet()) {
      String top = name.split("/")[0];
      Path link = target.resolve(top);
      if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(link, Path.of("..data").resolve(top));
      }
    }
  }
}
