package dev.passport.host.csi;

import dev.passport.host.logging.FrameLogGuard;
import dev.passport.host.threads.DaemonThreads;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC client channel on a CSI Unix socket, as kubelet opens one: epoll, plaintext, one daemon
 * event-loop thread that {@link #close()} stops with the channel.
 */
public final class UnixSocketChannel implements AutoCloseable {

  private final EventLoopGroup group;
  private final ManagedChannel channel;

  private UnixSocketChannel(EventLoopGroup group, ManagedChannel channel) {
    this.group = group;
    this.channel = channel;
  }

  /** Opens a channel to {@code socket}; {@code threadName} names its event-loop thread. */
  public static UnixSocketChannel open(Path socket, String threadName) {
    // Requests carry tokens: netty's frame logger must never hex-dump them at DEBUG.
    FrameLogGuard.install();
    EventLoopGroup group = new EpollEventLoopGroup(1, DaemonThreads.named(threadName));
    ManagedChannel channel = NettyChannelBuilder
        .forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class, DomainSocketAddress.class)
        .eventLoopGroup(group)
        .overrideAuthority("localhost")
        .usePlaintext()
        .build();
    return new UnixSocketChannel(group, channel);
  }

  public ManagedChannel channel() {
    return channel;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
