package dev.passport.host.logging;

import static java.nio.charset.StandardCharsets.UTF_8;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The JSON log format: logback's JsonEncoder (which escapes control characters itself), with
 * tokens masked ({@link LogRedaction}) in the whole encoded line: message, stack trace, MDC and
 * key-value fields alike. The masks hold no quote or backslash, so the line stays valid JSON.
 */
public final class RedactingJsonEncoder extends JsonEncoder {

  @Override
  public byte[] encode(ILoggingEvent event) {
    byte[] encoded = super.encode(event);
    String line = new String(encoded, UTF_8);
    String redacted = LogRedaction.redact(line);
    return redacted == line ? encoded : redacted.getBytes(UTF_8);
  }
}
