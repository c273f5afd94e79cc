package dev.passport.plugins.gcp;

import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogLevel;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogger;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.Slf4JLoggerFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Set;

/**
 * Keeps grpc-netty's HTTP/2 frame loggers quiet below INFO. At DEBUG they print every frame: the
 * {@code authorization: Bearer} header of each Secret Manager call (the pod's Google access token)
 * and, hex-dumped, the secret payloads. The plugin logs through the host's SLF4J, so one DEBUG
 * root level there would otherwise put both into the driver's log.
 *
 * <p>The frame loggers are created when grpc-netty's handler classes initialize, so this must run
 * before the plugin opens its first channel. It changes only the plugin's own copy of netty: the
 * host loads the plugin's jars in their own class loader.
 */
final class FrameLogGuard extends InternalLoggerFactory {

  static final Set<String> FRAME_LOGGERS = Set.of(
      "io.grpc.netty.shaded.io.grpc.netty.NettyClientHandler",
      "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler");

  private final Slf4JLoggerFactory delegate;

  private FrameLogGuard(Slf4JLoggerFactory delegate) {
    this.delegate = delegate;
  }

  /**
   * Wraps netty's SLF4J logger factory; idempotent. Netty's JDK-logging fallback needs nothing: its
   * DEBUG maps to {@code FINE}, off unless someone lowers java.util.logging's levels.
   */
  static synchronized void install() {
    if (InternalLoggerFactory.getDefaultFactory() instanceof Slf4JLoggerFactory slf4j) {
      InternalLoggerFactory.setDefaultFactory(new FrameLogGuard(slf4j));
    }
  }

  @Override
  protected InternalLogger newInstance(String name) {
    InternalLogger logger = delegate.newInstance(name);
    return FRAME_LOGGERS.contains(name) ? quietBelowInfo(logger) : logger;
  }

  private static InternalLogger quietBelowInfo(InternalLogger logger) {
    return (InternalLogger) Proxy.newProxyInstance(
        InternalLogger.class.getClassLoader(),
        new Class<?>[] {InternalLogger.class},
        (proxy, method, args) -> {
          switch (method.getName()) {
            case "isTraceEnabled", "isDebugEnabled":
              return false;
            case "trace", "debug":
              return null;
            case "isEnabled":
              if (isBelowInfo(args[0])) {
                return false;
              }
              break;
            case "log":
              if (isBelowInfo(args[0])) {
                return null;
              }
              break;
            default:
              break;
          }
          return invoke(method, logger, args);
        });
  }

  private static boolean isBelowInfo(Object level) {
    return level == InternalLogLevel.TRACE || level == InternalLogLevel.DEBUG;
  }

  private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
