package dev.passport.conformance;

import static java.nio.charset.StandardCharsets.UTF_8;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import dev.passport.host.logging.LogFormat;
import dev.passport.host.logging.ProductionLogging;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogManager;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * The driver's production logging for the length of one test: logback reset and configured from
 * the host's own {@code logback.xml} or {@code passport-logback-json.xml} with the root at TRACE
 * (as {@code PASSPORT_LOG_LEVEL=TRACE} would), the JUL bridge installed as {@code passport} does
 * it, and what the production appender writes captured as it is encoded. The production
 * ConsoleAppender writes through {@code System.err} looked up at each write, so replacing
 * {@code System.err} captures the bytes an operator's log would hold, after every converter and
 * encoder of the production configuration ran.
 *
 * <p>{@link #close()} puts back {@code System.err}, JUL's handlers and levels, and the test's own
 * logback configuration (logback-test.xml or whatever logback finds first).
 */
final class ProductionLogRun implements AutoCloseable {

  private final PrintStream originalErr;
  private final boolean bridgeWasInstalled;
  private final Handler[] julRootHandlers;
  private final ByteArrayOutputStream encoded = new ByteArrayOutputStream();
  private final URL configuration;
  private boolean capturing;

  private ProductionLogRun(LogFormat format) {
    originalErr = System.err;
    bridgeWasInstalled = SLF4JBridgeHandler.isInstalled();
    julRootHandlers = java.util.logging.Logger.getLogger("").getHandlers();
    System.setErr(new PrintStream(new SynchronizedSink(encoded), true, UTF_8));
    capturing = true;
    configuration = ProductionLogging.configure(format, "TRACE");
    ProductionLogging.installJulBridge();
    requireProductionAppender(configuration);
  }

  /** Applies the production logging for {@code format}, at TRACE, capturing what it writes. */
  static ProductionLogRun start(LogFormat format) {
    return new ProductionLogRun(format);
  }

  /** Where the configuration came from: the host's file inside the host (or conformance) jar. */
  URL configuration() {
    return configuration;
  }

  /** What the production appender wrote so far, split into lines. */
  List<String> lines() {
    String text;
    synchronized (encoded) {
      text = encoded.toString(UTF_8);
    }
    return text.isEmpty() ? List.of() : List.of(text.split("\n", -1));
  }

  @Override
  public void close() {
    if (!capturing) {
      return;
    }
    capturing = false;
    System.setErr(originalErr);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    try {
      new ContextInitializer(context).autoConfig();
    } catch (JoranException e) {
      throw new IllegalStateException("cannot restore the test's logging configuration", e);
    }
    // the production configuration's LevelChangePropagator lowered JUL's levels to FINEST
    try {
      LogManager.getLogManager().readConfiguration();
    } catch (IOException e) {
      throw new IllegalStateException("cannot restore java.util.logging's configuration", e);
    }
    java.util.logging.Logger julRoot = java.util.logging.Logger.getLogger("");
    for (Handler handler : julRoot.getHandlers()) {
      julRoot.removeHandler(handler);
    }
    for (Handler handler : julRootHandlers) {
      julRoot.addHandler(handler);
    }
    if (!bridgeWasInstalled && SLF4JBridgeHandler.isInstalled()) {
      SLF4JBridgeHandler.uninstall();
    }
  }

  /**
   * Proves the run is what production does, not a test configuration that happens to be on the
   * class path: the root has exactly the production console appender, writing to System.err.
   */
  private static void requireProductionAppender(URL configuration) {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    List<Appender<?>> appenders = new ArrayList<>();
    for (Iterator<? extends Appender<?>> it = root.iteratorForAppenders(); it.hasNext(); ) {
      appenders.add(it.next());
    }
    if (appenders.size() != 1 || !(appenders.get(0) instanceof ConsoleAppender<?> console)
        || !"STDERR".equals(console.getName()) || !"System.err".equals(console.getTarget())) {
      throw new AssertionError("after configuring from " + configuration + " the root logger"
          + " should have only the production appender STDERR (a ConsoleAppender on System.err),"
          + " found " + appenders);
    }
    if (!root.isTraceEnabled()) {
      throw new AssertionError("the root logger should be at TRACE, is " + root.getLevel());
    }
  }

  /** Collects bytes; writers on several threads (host, plugin, fake backend) append whole chunks. */
  private static final class SynchronizedSink extends java.io.OutputStream {

    private final ByteArrayOutputStream target;

    SynchronizedSink(ByteArrayOutputStream target) {
      this.target = target;
    }

    @Override
    public void write(int b) {
      synchronized (target) {
        target.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      synchronized (target) {
        target.write(b, off, len);
      }
    }
  }
}
