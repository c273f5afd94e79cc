package dev.passport.plugins.gcp;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the plugin's libraries from logging what goes over the wire, whatever level the host logs
 * at. The host routes java.util.logging into its SLF4J log and propagates its levels back, so at
 * {@code PASSPORT_LOG_LEVEL=DEBUG} (issue 13):
 *
 * <ul>
 *   <li>google-http-client's {@code HttpTransport} logs every request and response at CONFIG, which
 *       the bridge writes at INFO: the STS form with the pod's service account token, both token
 *       answers, and, at ALL, the IAM call's {@code Authorization} header in a curl line;
 *   <li>the JDK's {@code HttpURLConnection} (under google-http-client's {@code NetHttpTransport})
 *       logs request headers at FINE, the IAM call's {@code Authorization: Bearer} among them;
 *   <li>grpc-okhttp's HTTP/2 frame logger ({@code OkHttpFrameLogger}, java.util.logging under its
 *       transports' class names) prints each Secret Manager call's headers, the pod's Google
 *       bearer token among them, and the payloads at FINE;
 *   <li>with {@code GOOGLE_SDK_JAVA_LOGGING=true} in the driver's environment, google-auth-library
 *       and gax log request and response payloads at DEBUG, hashing some token fields but not the
 *       STS {@code subject_token} nor IAM's {@code accessToken}.
 * </ul>
 *
 * <p>The java.util.logging loggers are raised to INFO (a stricter level the host set stays) and
 * given a filter that drops anything below: the level spares the libraries the work of formatting the content, the filter holds even
 * if the host's logback configuration names one of these loggers (its level propagation then
 * resets the level, never the filter). java.util.logging keeps loggers only weakly, and a logger
 * collected and made again would have lost both, so this class holds them.
 */
final class LibraryLogs {

  static final List<String> PINNED_LOGGERS = List.of(
      "com.google.api.client.http.HttpTransport",
      "sun.net.www.protocol.http.HttpURLConnection",
      "io.grpc.okhttp.OkHttpClientTransport",
      "io.grpc.okhttp.OkHttpServerTransport");

  /** The libraries' switches that {@code GOOGLE_SDK_JAVA_LOGGING} turns on, read once at class load. */
  static final List<String> SDK_LOGGING_SWITCHES = List.of(
      "com.google.auth.oauth2.LoggingUtils",
      "com.google.api.gax.logging.LoggingUtils");

  private static final Filter INFO_AND_ABOVE =
      record -> record.getLevel().intValue() >= Level.INFO.intValue();

  // strong references: see the class comment
  private static final List<Logger> PINNED = new ArrayList<>();

  private LibraryLogs() {}

  /**
   * Pins the loggers and turns the SDK payload logging off; idempotent. Runs before the plugin
   * makes its first HTTP request or opens its first channel.
   *
   * @return the SDK switches that could not be turned off (a library changed), for a warning
   */
  static synchronized List<String> quiet() {
    if (PINNED.isEmpty()) {
      for (String name : PINNED_LOGGERS) {
        PINNED.add(Logger.getLogger(name));
      }
    }
    for (Logger logger : PINNED) {
      // raised to INFO, never lowered: the host's logback.xml pins HttpTransport at WARN itself
      Level level = logger.getLevel();
      if (level == null || level.intValue() < Level.INFO.intValue()) {
        logger.setLevel(Level.INFO);
      }
      logger.setFilter(INFO_AND_ABOVE);
    }
    List<String> failed = new ArrayList<>();
    for (String switchClass : SDK_LOGGING_SWITCHES) {
      if (!turnOff(switchClass)) {
        failed.add(switchClass);
      }
    }
    return failed;
  }

  /** Whether a pinned logger would let through a record at {@code level}, for tests. */
  static boolean passes(String loggerName, Level level) {
    Logger logger = Logger.getLogger(loggerName);
    return logger.isLoggable(level)
        && (logger.getFilter() == null
            || logger.getFilter().isLoggable(new java.util.logging.LogRecord(level, "")));
  }

  /**
   * Sets the library's {@code loggingEnabled} flag to false. The flag is private and has no setter:
   * the libraries read it only from the environment, which a plugin cannot change.
   */
  private static boolean turnOff(String className) {
    try {
      Class<?> utils = Class.forName(className, true, LibraryLogs.class.getClassLoader());
      Field enabled = utils.getDeclaredField("loggingEnabled");
      enabled.setAccessible(true);
      enabled.setBoolean(null, false);
      return !enabled.getBoolean(null);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }
}
