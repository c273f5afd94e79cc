package dev.passport.host.logging;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.io.IOException;
import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The driver's logging setup, in one place so that {@code passport} (cli.Main) and the conformance
 * suite's production-logging run apply the same thing: java.util.logging routed to SLF4J (gRPC,
 * google-http-client, the JDK HTTP client log through JUL), and logback configured from the host's
 * own {@code logback.xml} or {@code passport-logback-json.xml}.
 */
public final class ProductionLogging {

  /** The root level variable both configurations read ({@code ${PASSPORT_LOG_LEVEL:-INFO}}). */
  public static final String LEVEL_PROPERTY = "PASSPORT_LOG_LEVEL";

  private ProductionLogging() {}

  /**
   * Replaces JUL's root handlers (its console handler would print records unredacted, bypassing
   * logback) with the SLF4J bridge. Idempotent.
   */
  public static synchronized void installJulBridge() {
    if (!SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.removeHandlersForRootLogger();
      SLF4JBridgeHandler.install();
    }
  }

  /**
   * Resets logback and configures it from the host's own file for {@code format}, with the root at
   * {@code rootLevel} when given (else {@code PASSPORT_LOG_LEVEL} from the environment, else INFO).
   *
   * @return where the configuration was read from
   */
  public static URL configure(LogFormat format, String rootLevel) {
    requireNonNull(format, "format is null");
    URL config = hostConfiguration(format);
    LoggerContext context = loggerContext();
    context.reset();
    if (rootLevel != null) {
      // the same variable the operator sets; a context property wins over the environment
      context.putProperty(LEVEL_PROPERTY, rootLevel);
    }
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(config);
    } catch (JoranException e) {
      throw new IllegalStateException("cannot configure " + format + " logging from " + config
          + ": " + e.getMessage(), e);
    }
    FrameLogGuard.install();
    return config;
  }

  /**
   * The host's configuration file for {@code format}, from the jar (or classes directory) this
   * class was loaded from: another {@code logback.xml} earlier on the class path (a library's, a
   * test's) must not stand in for it.
   */
  public static URL hostConfiguration(LogFormat format) {
    String name = format.resource();
    ClassLoader loader = ProductionLogging.class.getClassLoader();
    List<URL> found;
    try {
      found = Collections.list(loader.getResources(name));
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + name + " on the class path: " + e, e);
    }
    String home = home();
    List<URL> others = new ArrayList<>();
    for (URL url : found) {
      if (home == null || url.toString().contains(home)) {
        return url;
      }
      others.add(url);
    }
    throw new IllegalStateException("the host's " + name + " is not next to "
        + ProductionLogging.class.getName() + " (" + home + "); found only " + others);
  }

  /** The jar or directory this class came from, as it appears inside resource URLs. */
  private static String home() {
    CodeSource source = ProductionLogging.class.getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null) {
      return null;
    }
    return source.getLocation().getPath();
  }

  private static LoggerContext loggerContext() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context) {
      return context;
    }
    throw new IllegalStateException("the host logs through logback-classic, but SLF4J is bound to "
        + factory.getClass().getName());
  }
}
