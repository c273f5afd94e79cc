package dev.passport.host.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.net.URL;
import org.slf4j.LoggerFactory;

/** {@code --log-format}: text (logback.xml) or one JSON object per line (passport-logback-json.xml). */
public enum LogFormat {
  TEXT,
  JSON;

  /** Switches logback to this format; text is what logback starts with. */
  public void apply() {
    if (this == TEXT) {
      return;
    }
    URL config = LogFormat.class.getResource("/passport-logback-json.xml");
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(config);
    } catch (JoranException e) {
      throw new IllegalStateException("cannot configure JSON logging: " + e.getMessage(), e);
    }
  }
}
