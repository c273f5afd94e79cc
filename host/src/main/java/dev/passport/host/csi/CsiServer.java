package dev.passport.host.csi;

import dev.passport.host.logging.FrameLogGuard;
import dev.passport.host.metrics.HostMetrics;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import csi.v1.Csi;
import csi.v1.IdentityGrpc;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import dev.passport.host.threads.DaemonThreads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * grpc-java on a Unix domain socket (epoll), each kind of call on its own bounded executor
 * ({@link CallLanes}). One server per socket: a
 * socket file that answers a CSI Probe belongs to a running server and is never replaced; one that
 * does not answer is stale and removed before bind; anything else at that path is refused. On
 * shutdown the socket file is removed only while it is still the one this server bound.
 */
public final class CsiServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CsiServer.class);
  private static final int S_IFMT = 0170000;
  private static final int S_IFSOCK = 0140000;

  /** How long a server at an existing socket has to answer Probe (livenessprobe allows 3 s). */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

  private final Path socket;
  /** The socket file's identity (device and inode) once bound. */
  private final Object boundFile;
  private final Server server;
  private final EventLoopGroup boss;
  private final EventLoopGroup workers;
  private final CallLanes lanes;

  private CsiServer(Path socket, Object boundFile, Server server, EventLoopGroup boss,
      EventLoopGroup workers, CallLanes lanes) {
    this.socket = socket;
    this.boundFile = boundFile;
    this.server = server;
    this.boss = boss;
    this.workers = workers;
    this.lanes = lanes;
  }

  /**
   * Binds {@code socket} and starts serving.
   *
   * @param threads the most NodePublishVolume calls handled at once; the other lanes as in
   *     {@link CsiThreads#defaults()}
   * @throws SocketInUseException when another server answers on {@code socket}
   */
  public static CsiServer start(Path socket, List<BindableService> services, int threads)
      throws IOException {
    CsiThreads defaults = CsiThreads.defaults();
    return start(socket, services, defaults.withPublish(threads, defaults.publishQueue()));
  }

  /**
   * Binds {@code socket} and starts serving.
   *
   * @param sizes the threads and queue of each lane; a call beyond them is RESOURCE_EXHAUSTED
   * @throws SocketInUseException when another server answers on {@code socket}
   */
  public static CsiServer start(Path socket, List<BindableService> services, CsiThreads sizes)
      throws IOException {
    return start(socket, services, sizes, HostMetrics.none());
  }

  /**
   * Binds {@code socket} and starts serving; a publish or unpublish refused because its lane is
   * full is recorded in {@code metrics} as a RESOURCE_EXHAUSTED call.
   *
   * @throws SocketInUseException when another server answers on {@code socket}
   */
  public static CsiServer start(Path socket, List<BindableService> services, CsiThreads sizes,
      HostMetrics metrics) throws IOException {
    FrameLogGuard.install();
    socket = socket.toAbsolutePath();
    removeStaleSocket(socket);
    Files.createDirectories(socket.getParent());
    // netty unlinks the path it bound when its channel closes, whoever's socket is there by then.
    // Binding a private name and renaming it into place leaves netty a name nobody else uses, so
    // only shutdown() removes the socket, and only while it is still ours.
    Path binding = socket.resolveSibling("." + socket.getFileName() + "."
        + ProcessHandle.current().pid());
    Files.deleteIfExists(binding);
    EventLoopGroup boss = new EpollEventLoopGroup(1, DaemonThreads.named("csi-accept"));
    EventLoopGroup workers = new EpollEventLoopGroup(1, DaemonThreads.named("csi-io"));
    CallLanes lanes = new CallLanes(sizes, metrics);
    // The default executor only looks the method up and asks the lanes for the call's executor
    // (both quick and non-blocking), so it is the transport thread itself: no queue to fill.
    NettyServerBuilder builder = NettyServerBuilder
        .forAddress(new DomainSocketAddress(binding.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(boss)
        .workerEventLoopGroup(workers)
        .directExecutor()
        .callExecutor(lanes)
        .intercept(lanes);
    RedactingLogInterceptor logging = new RedactingLogInterceptor();
    for (BindableService service : services) {
      builder.addService(ServerInterceptors.intercept(service, logging));
    }
    Server server = builder.build();
    Object boundFile;
    try {
      server.start();
      if (Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
        throw new SocketInUseException("another process created unix://" + socket
            + " while this host was starting; refusing to replace it");
      }
      Files.move(binding, socket, StandardCopyOption.ATOMIC_MOVE);
      boundFile = fileKey(socket);
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      lanes.close();
      Files.deleteIfExists(binding);
      if (e instanceof SocketInUseException inUse) {
        throw inUse;
      }
      throw new IOException("cannot listen on unix://" + socket + ": " + e.getMessage(), e);
    }
    LOG.info("listening on unix://{}", socket);
    return new CsiServer(socket, boundFile, server, boss, workers, lanes);
  }

  /**
   * Whether a CSI server answers Probe on {@code socket}: any answer, even an error status, means
   * something listens there; only a refused or failed connection (UNAVAILABLE) means nothing does.
   */
  public static boolean answersProbe(Path socket) {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS) || !acceptsConnections(socket)) {
      return false;
    }
    try (UnixSocketChannel connection = UnixSocketChannel.open(socket, "csi-socket-probe")) {
      IdentityGrpc.newBlockingStub(connection.channel())
          .withDeadlineAfter(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
          .probe(Csi.ProbeRequest.getDefaultInstance());
      return true;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode() != Status.Code.UNAVAILABLE;
    }
  }

  /**
   * A socket file nobody listens on refuses a plain connect at once. Checked before the gRPC
   * Probe: on a loaded machine a cold gRPC channel can take longer than the Probe deadline to
   * find that out, and DEADLINE_EXCEEDED would then pass for a server that answers.
   */
  private static boolean acceptsConnections(Path socket) {
    try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      channel.connect(UnixDomainSocketAddress.of(socket));
      return true;
    } catch (IOException e) {
      return false;
    }
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
    lanes.close();
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    try {
      // Another host may have taken the path over while this one drained: leave its socket alone.
      if (boundFile != null && boundFile.equals(fileKey(socket))) {
        Files.delete(socket);
      } else {
        LOG.info("left unix://{} in place: it is no longer the socket this host bound", socket);
      }
    } catch (NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      LOG.warn("cannot remove socket {}: {}", socket, e.getMessage());
    }
  }

  private static Object fileKey(Path path) throws IOException {
    return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }

  @Override
  public void close() {
    shutdown(Duration.ofSeconds(10));
  }

  /**
   * A socket left by a killed process would make bind fail, so it goes; a socket a server answers
   * on is that server's (a second host must not take over); anything else at that path is a
   * mistake.
   */
  static void removeStaleSocket(Path socket) throws IOException {
    if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    int mode = (Integer) Files.getAttribute(socket, "unix:mode", LinkOption.NOFOLLOW_LINKS);
    if ((mode & S_IFMT) != S_IFSOCK) {
      throw new IOException(socket + " exists and is not a socket; refusing to replace it");
    }
    if (answersProbe(socket)) {
      throw new SocketInUseException("another CSI server answers on unix://" + socket
          + "; refusing to start a second host on it (stop that one first, or choose another"
          + " --endpoint)");
    }
    Files.delete(socket);
    LOG.info("removed stale socket {}", socket);
  }

}
