package dev.passport.host.logging;

import static java.nio.charset.StandardCharsets.UTF_8;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * The JSON log format: logback's JsonEncoder, with tokens masked ({@link LogRedaction}) in the
 * whole encoded line (message, stack trace, MDC and key-value fields alike), and the line breaks
 * JsonEncoder leaves raw (it escapes only C0 controls: not NEL, U+2028, U+2029, nor DEL and the
 * other C1 controls) escaped too, so that a line-oriented shipper sees one event per line. The
 * masks hold no quote or backslash, and the escapes stand only inside strings (nothing else in a
 * JSON line can hold those characters), so the line stays valid JSON.
 */
public final class RedactingJsonEncoder extends JsonEncoder {

  @Override
  public byte[] encode(ILoggingEvent event) {
    byte[] encoded = super.encode(event);
    String line = new String(encoded, UTF_8);
    String safe = escapeRemainingBreaks(LogRedaction.redact(line));
    return safe == line ? encoded : safe.getBytes(UTF_8);
  }

  private static String escapeRemainingBreaks(String line) {
    StringBuilder out = null;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      boolean escape = (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
      if (escape && out == null) {
        out = new StringBuilder(line.length() + 16).append(line, 0, i);
      }
      if (out != null) {
        if (escape) {
          out.append(String.format("\\u%04x", (int) c));
        } else {
          out.append(c);
        }
      }
    }
    return out == null ? line : out.toString();
  }
}
