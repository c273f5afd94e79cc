package dev.passport.testkit;

import static java.util.Objects.requireNonNull;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * A JUnit 5 extension that captures every logback event logged during a test, from any thread: the
 * formatted message, MDC and key-value pairs, and the whole throwable chain (causes, suppressed).
 *
 * <p>While a test runs, the root logger is lowered to DEBUG and {@code dev.passport} to TRACE, so a
 * secret logged "only at debug" is still caught; both are restored afterwards.
 *
 * <pre>{@code
 * @RegisterExtension final LogCapture logs = LogCapture.checkingFor(tokens::minted);
 * }</pre>
 *
 * <p>Tests assert on logs only to prove a secret is absent ({@link LogHygiene}); the lines are not
 * a format anyone should depend on.
 */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback {

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final Supplier<? extends Collection<String>> secretsToCheck;
  private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
  private CapturingAppender appender;
  private Level savedRootLevel;
  private Level savedPassportLevel;

  private LogCapture(Supplier<? extends Collection<String>> secretsToCheck) {
    this.secretsToCheck = secretsToCheck;
  }

  /** A capture that only records; the test checks {@link #lines()} itself. */
  public LogCapture() {
    this(null);
  }

  /**
   * A capture that, after each test, fails it when any of {@code secrets} (read at that point, e.g.
   * {@code tokens::minted}) occurs in a captured line.
   */
  public static LogCapture checkingFor(Supplier<? extends Collection<String>> secrets) {
    return new LogCapture(requireNonNull(secrets, "secrets is null"));
  }

  /** The lines captured so far in the current test (a snapshot). */
  public List<String> lines() {
    synchronized (lines) {
      return List.copyOf(lines);
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    lines.clear();
    start();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    stop();
    if (secretsToCheck != null) {
      LogHygiene.assertNoSecrets(secretsToCheck.get(), lines());
    }
  }

  /** Starts capturing; for use outside JUnit's lifecycle. Idempotent. */
  public synchronized void start() {
    if (appender != null) {
      return;
    }
    LoggerContext loggerContext = loggerContext();
    Logger root = loggerContext.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger passport = loggerContext.getLogger("dev.passport");
    savedRootLevel = root.getLevel();
    savedPassportLevel = passport.getLevel();
    if (!root.isDebugEnabled()) {
      root.setLevel(Level.DEBUG);
    }
    passport.setLevel(Level.TRACE);
    appender = new CapturingAppender(lines);
    appender.setContext(loggerContext);
    appender.setName("passport-testkit-capture-" + INSTANCES.incrementAndGet());
    appender.start();
    root.addAppender(appender);
  }

  /** Stops capturing and restores the log levels; the lines stay readable. Idempotent. */
  public synchronized void stop() {
    if (appender == null) {
      return;
    }
    LoggerContext loggerContext = loggerContext();
    Logger root = loggerContext.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(appender);
    appender.stop();
    appender = null;
    root.setLevel(savedRootLevel);
    loggerContext.getLogger("dev.passport").setLevel(savedPassportLevel);
  }

  private static LoggerContext loggerContext() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context) {
      return context;
    }
    throw new IllegalStateException("LogCapture needs logback-classic as the SLF4J provider, found "
        + factory.getClass().getName() + ": remove the other provider from the test classpath");
  }

  /** Renders one event as a line: level, logger, thread, message, MDC, key-values, throwables. */
  static String render(ILoggingEvent event) {
    StringBuilder line = new StringBuilder()
        .append(event.getLevel()).append(' ')
        .append(event.getLoggerName()).append(" [")
        .append(event.getThreadName()).append("] ")
        .append(event.getFormattedMessage());
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null && !mdc.isEmpty()) {
      line.append(" mdc=").append(mdc);
    }
    List<KeyValuePair> keyValues = event.getKeyValuePairs();
    if (keyValues != null) {
      for (KeyValuePair pair : keyValues) {
        line.append(' ').append(pair.key).append('=').append(pair.value);
      }
    }
    IThrowableProxy throwable = event.getThrowableProxy();
    if (throwable != null) {
      // asString walks causes and suppressed exceptions with their messages
      line.append(System.lineSeparator()).append(ThrowableProxyUtil.asString(throwable));
    }
    return line.toString();
  }

  private static final class CapturingAppender extends AppenderBase<ILoggingEvent> {

    private final List<String> sink;

    CapturingAppender(List<String> sink) {
      this.sink = sink;
    }

    @Override
    protected void append(ILoggingEvent event) {
      sink.add(render(event));
    }
  }
}
