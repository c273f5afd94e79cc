package dev.passport.plugins.gcp;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The host's logging as {@code passport serve} sets it up, for one test: java.util.logging routed
 * into SLF4J ({@code SLF4JBridgeHandler}, as the host's {@code Main} installs it), logback levels
 * propagated to java.util.logging ({@code LevelChangePropagator}, as the host's logback.xml
 * declares it) and the root logger at {@code level}. The plugin's own tests otherwise run without
 * the bridge, which is how google-http-client's request logging went unseen (issue 13).
 *
 * <p>Register it after {@link dev.passport.testkit.LogCapture}, so that it lowers the root after
 * the capture saved it and restores it before the capture checks its lines.
 */
final class ProductionLogging implements BeforeEachCallback, AfterEachCallback {

  private final Level level;
  private LevelChangePropagator propagator;
  private Level savedRoot;
  private java.util.logging.Level savedJulRoot;
  private java.util.logging.Handler[] savedJulHandlers;

  ProductionLogging(Level level) {
    this.level = level;
  }

  @Override
  public void beforeEach(ExtensionContext extension) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
    savedJulRoot = julRoot.getLevel();
    savedJulHandlers = julRoot.getHandlers();
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    propagator = new LevelChangePropagator();
    propagator.setContext(context);
    propagator.start();
    context.addListener(propagator);
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    savedRoot = root.getLevel();
    // the propagator turns this into java.util.logging's root level (TRACE -> FINEST, ALL -> ALL)
    root.setLevel(level);
  }

  @Override
  public void afterEach(ExtensionContext extension) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(savedRoot);
    context.removeListener(propagator);
    propagator.stop();
    SLF4JBridgeHandler.uninstall();
    java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
    julRoot.setLevel(savedJulRoot);
    for (java.util.logging.Handler handler : savedJulHandlers) {
      julRoot.addHandler(handler);
    }
  }
}
