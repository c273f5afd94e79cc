package dev.passport.host.logging;

import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Pins grpc-netty's HTTP/2 frame loggers to INFO. At DEBUG they hex-dump every frame, and a
 * NodePublishVolume frame carries the pod's tokens: one {@code PASSPORT_LOG_LEVEL=DEBUG} or a
 * too-broad logger setting would otherwise put tokens into the driver's log.
 */
public final class FrameLogGuard {

  static final List<String> FRAME_LOGGERS = List.of(
      "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler",
      "io.grpc.netty.shaded.io.grpc.netty.NettyClientHandler");

  private FrameLogGuard() {}

  /** Idempotent; a no-op when SLF4J is not bound to logback (netty then logs through JUL at FINE, off by default). */
  public static void install() {
    for (String name : FRAME_LOGGERS) {
      if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
        logger.setLevel(ch.qos.logback.classic.Level.INFO);
      }
    }
  }
}
