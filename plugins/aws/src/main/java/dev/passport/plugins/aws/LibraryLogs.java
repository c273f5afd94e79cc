package dev.passport.plugins.aws;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps the JDK's {@code HttpURLConnection} (under the SDK's url-connection-client) from logging
 * request headers, whatever level the host logs at: at FINE it prints each request's headers, the
 * SigV4 {@code X-Amz-Security-Token} (the pod's session token) among them, and the host routes
 * java.util.logging into its log with its levels. The logger is raised to INFO and filtered, and
 * held strongly (java.util.logging keeps loggers weakly). The SDK's own signer log is avoided by
 * {@link QuietSigV4}.
 */
final class LibraryLogs {

  static final List<String> PINNED_LOGGERS = List.of(
      "sun.net.www.protocol.http.HttpURLConnection");

  private static final Filter INFO_AND_ABOVE =
      record -> record.getLevel().intValue() >= Level.INFO.intValue();
  private static final List<Logger> PINNED = new ArrayList<>();

  private LibraryLogs() {}

  static synchronized void quiet() {
    if (PINNED.isEmpty()) {
      for (String name : PINNED_LOGGERS) {
        PINNED.add(Logger.getLogger(name));
      }
    }
    for (Logger logger : PINNED) {
      Level level = logger.getLevel();
      if (level == null || level.intValue() < Level.INFO.intValue()) {
        logger.setLevel(Level.INFO);
      }
      logger.setFilter(INFO_AND_ABOVE);
    }
  }
}
