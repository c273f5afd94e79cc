package dev.passport.host.logging;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %msg} of the text log format: the formatted message with tokens masked and control
 * characters escaped ({@link LogRedaction}), so one event is one line and holds no token.
 */
public final class RedactingMessageConverter extends MessageConverter {

  @Override
  public String convert(ILoggingEvent event) {
    return LogRedaction.escapeControl(LogRedaction.redact(super.convert(event)));
  }
}
