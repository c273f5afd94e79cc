package dev.passport.bench;

import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import com.google.protobuf.BoolValue;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * The baseline of P5: the least a grpc-java server on a Unix socket must do to answer Probe (one
 * service, the same transport and a bounded executor as the host), started with the same JVM flags.
 * Usage: {@code MinimalProbeServer /path/to.sock}.
 */
public final class MinimalProbeServer {

  private MinimalProbeServer() {}

  public static void main(String[] args) throws Exception {
    Path socket = Path.of(args[0]);
    Files.deleteIfExists(socket);
    EpollEventLoopGroup boss = new EpollEventLoopGroup(1);
    EpollEventLoopGroup workers = new EpollEventLoopGroup(1);
    Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .executor(Executors.newFixedThreadPool(4))
        .addService(new IdentityGrpc.IdentityImplBase() {
          @Override
          public void probe(Csi.ProbeRequest request, StreamObserver<Csi.ProbeResponse> response) {
            response.onNext(Csi.ProbeResponse.newBuilder().setReady(BoolValue.of(true)).build());
            response.onCompleted();
          }
        })
        .build()
        .start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdownNow();
      stopped.countDown();
    }));
    stopped.await();
  }
}
