package dev.passport.host.logging;

import static java.nio.charset.StandardCharsets.UTF_8;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * The JSON log format: one object per line in the shape Cloud Logging (GKE's agent) reads from a
 * container's output: {@code timestamp} (ISO-8601, UTC), {@code severity} (DEBUG, INFO, WARNING,
 * ERROR), {@code message}, then {@code logger}, {@code thread}, the call's MDC fields and any
 * key-value pairs at the top level, and {@code stack_trace} when there is one (Error Reporting
 * reads it). logback's own JsonEncoder writes {@code level}, epoch milliseconds and the MDC under
 * {@code mdc}, with fixed names, so GKE assigned no severity.
 *
 * <p>Tokens are masked ({@link LogRedaction}) in the whole encoded line. Every control character
 * and every line break JSON allows raw (NEL, U+2028, U+2029, DEL and the C1 controls) is escaped,
 * so a line-oriented shipper sees one event per line and a pod-chosen value cannot forge one. The
 * masks hold no quote or backslash, so the line stays valid JSON.
 */
public final class RedactingJsonEncoder extends EncoderBase<ILoggingEvent> {

  /** Fields the encoder writes itself: an MDC or key-value entry of such a name gets a prefix. */
  private static final Set<String> OWN_FIELDS =
      Set.of("timestamp", "severity", "message", "logger", "thread", "stack_trace");

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    StringBuilder json = new StringBuilder(256);
    json.append('{');
    field(json, "timestamp", DateTimeFormatter.ISO_INSTANT.format(event.getInstant()));
    json.append(',');
    field(json, "severity", severity(event.getLevel()));
    json.append(',');
    field(json, "message", event.getFormattedMessage());
    json.append(',');
    field(json, "logger", event.getLoggerName());
    json.append(',');
    field(json, "thread", event.getThreadName());
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null) {
      for (Map.Entry<String, String> entry : new java.util.TreeMap<>(mdc).entrySet()) {
        json.append(',');
        field(json, ownName(entry.getKey()), entry.getValue());
      }
    }
    if (event.getKeyValuePairs() != null) {
      for (KeyValuePair pair : event.getKeyValuePairs()) {
        json.append(',');
        field(json, ownName(pair.key), pair.value == null ? null : String.valueOf(pair.value));
      }
    }
    if (event.getThrowableProxy() != null) {
      json.append(',');
      field(json, "stack_trace", ThrowableProxyUtil.asString(event.getThrowableProxy()));
    }
    json.append("}\n");
    return LogRedaction.redact(json.toString()).getBytes(UTF_8);
  }

  /** Cloud Logging's LogSeverity names; TRACE has none and is DEBUG there. */
  static String severity(Level level) {
    return switch (level.toInt()) {
      case Level.ERROR_INT -> "ERROR";
      case Level.WARN_INT -> "WARNING";
      case Level.INFO_INT -> "INFO";
      default -> "DEBUG";
    };
  }

  private static String ownName(String key) {
    return key != null && OWN_FIELDS.contains(key) ? "mdc_" + key : String.valueOf(key);
  }

  private static void field(StringBuilder json, String name, String value) {
    string(json, name);
    json.append(':');
    if (value == null) {
      json.append("null");
    } else {
      string(json, value);
    }
  }

  private static void string(StringBuilder json, String text) {
    json.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029') {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    json.append('"');
  }
}
