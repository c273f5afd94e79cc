package dev.passport.host.logging;

import static java.nio.charset.StandardCharsets.UTF_8;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * The production logging ({@link ProductionLogging}: the host's own configuration file, the JUL
 * bridge) for one test, at {@code level}, with what the production appender writes to
 * {@code System.err} captured. Close restores System.err and the test's logback configuration.
 */
final class EncodedLogCapture implements AutoCloseable {

  private final PrintStream originalErr = System.err;
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

  EncodedLogCapture(LogFormat format, String level) {
    System.setErr(new PrintStream(new OutputStream() {
      @Override
      public void write(int b) {
        synchronized (bytes) {
          bytes.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) {
        synchronized (bytes) {
          bytes.write(b, off, len);
        }
      }
    }, true, UTF_8));
    ProductionLogging.configure(format, level);
    ProductionLogging.installJulBridge();
  }

  /** The lines written so far. */
  List<String> lines() {
    synchronized (bytes) {
      String text = bytes.toString(UTF_8);
      return text.isEmpty() ? List.of() : List.of(text.split("\n"));
    }
  }

  @Override
  public void close() throws JoranException {
    System.setErr(originalErr);
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    new ContextInitializer(context).autoConfig();
  }
}
