package dev.passport.host.csi;

import dev.passport.host.logging.FrameLogGuard;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import dev.passport.host.threads.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * grpc-java on a Unix domain socket (epoll), with a bounded executor. Binding removes a stale socket
 * file first and refuses to replace anything that is not a socket.
 */
public final class CsiServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CsiServer.class);
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  private final Path socket;
  private final Server server;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final ExecutorService executor;

  private CsiServer(Path socket, Server server, EventLoopGroup boss, EventLoopGroup workers,
      ExecutorService executor) {
    this.socket = socket;
    this.server = server;
    this.boss = boss;
    this.workers = workers;
    this.executor = executor;
  }

  /**
   * Binds {@code socket} and starts serving.
   *
   * @param threads the most RPCs handled at once; more wait in a bounded queue
   */
  public static CsiServer start(Path socket, List<BindableService> services, int threads)
      throws IOException {
    FrameLogGuard.install();
    removeStaleSocket(socket);
    Files.createDirectories(socket.toAbsolutePath().getParent());
    EventLoopGroup boss = new EpollEventLoopGroup(1, DaemonThreads.named("csi-accept"));
    EventLoopGroup workers = new EpollEventLoopGroup(1, DaemonThreads.named("csi-io"));
    ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(10_000), DaemonThreads.named("csi-rpc"));
    executor.allowCoreThreadTimeOut(true);
    NettyServerBuilder builder = NettyServerBuilder
        .forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .executor(executor);
    RedactingLogInterceptor logging = new RedactingLogInterceptor();
    for (BindableService service : services) {
      builder.addService(ServerInterceptors.intercept(service, logging));
    }
    Server server = builder.build();
    try {
      server.start();
    } catch (IOException | RuntimeException e) {
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      executor.shutdownNow();
      throw new IOException("cannot listen on unix://" + socket + ": " + e.getMessage(), e);
    }
    LOG.info("listening on unix://{}", socket);
    return new CsiServer(socket, server, boss, workers, executor);
  }

  public Path socket() {
    return socket;
  }

  /** Stops accepting calls, lets running ones finish for up to {@code grace}, then cancels the rest. */
  public void shutdown(Duration grace) {
    server.shutdown();
    try {
      if (!server.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("calls still running after {}; cancelling them", grace);
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      LOG.warn("cannot remove socket {}: {}", socket, e.getMessage());
    }
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(10));
  }

  /** A socket left by a killed process would make bind fail; anything else at that path is a mistake. */
  static void removeStaleSocket(Path socket) throws IOException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException(socket + " exists and is not a socket; refusing to replace it");
    }
    Files.delete(socket);
    LOG.info("removed stale socket {}", socket);
  }

}
