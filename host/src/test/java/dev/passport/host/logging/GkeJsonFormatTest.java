package dev.passport.host.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Issue 21: {@code --log-format json} writes what Cloud Logging on GKE reads, captured from the
 * production appender (passport-logback-json.xml through {@link ProductionLogging}).
 */
class GkeJsonFormatTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void json_eachLevel_carriesCloudLoggingsSeverityName() throws Exception {
    List<JsonNode> lines = log(() -> {
      org.slf4j.Logger log = LoggerFactory.getLogger("dev.passport.test.severity");
      log.debug("d");
      log.info("i");
      log.warn("w");
      log.error("e");
    }, "DEBUG");

    assertThat(lines).extracting(l -> l.path("severity").asText())
        .containsExactly("DEBUG", "INFO", "WARNING", "ERROR");
    assertThat(lines).extracting(l -> l.path("message").asText())
        .containsExactly("d", "i", "w", "e");
    assertThat(lines).allSatisfy(l -> assertThat(l.has("level")).isFalse());
  }

  @Test
  void json_timestampIsIso8601Utc_andTheMdcIsAtTheTopLevel() throws Exception {
    Instant before = Instant.now().minusSeconds(1);
    List<JsonNode> lines = log(() -> {
      MDC.put("volume_id", "csi-1");
      MDC.put("message", "an MDC key named like a field of the line");
      try {
        LoggerFactory.getLogger("dev.passport.test.fields").info("published {}", "csi-1");
      } finally {
        MDC.remove("volume_id");
        MDC.remove("message");
      }
    }, "INFO");

    assertThat(lines).hasSize(1);
    JsonNode line = lines.get(0);
    String timestamp = line.path("timestamp").asText();
    assertThat(timestamp).endsWith("Z");
    assertThat(Instant.parse(timestamp)).isBetween(before, Instant.now().plusSeconds(1));
    assertThat(line.path("message").asText()).isEqualTo("published csi-1");
    assertThat(line.path("volume_id").asText()).isEqualTo("csi-1");
    assertThat(line.path("mdc_message").asText())
        .isEqualTo("an MDC key named like a field of the line");
    assertThat(line.path("logger").asText()).isEqualTo("dev.passport.test.fields");
    assertThat(line.has("mdc")).isFalse();
    assertThat(line.has("formattedMessage")).isFalse();
  }

  @Test
  void json_anExceptionIsOneLineWithItsStackTraceInAField() throws Exception {
    List<String> raw = new ArrayList<>();
    List<JsonNode> lines = log(() -> LoggerFactory.getLogger("dev.passport.test.trace")
        .error("unexpected", new IllegalStateException("boom")), "INFO", raw);

    assertThat(raw).hasSize(1);
    assertThat(lines.get(0).path("message").asText()).isEqualTo("unexpected");
    assertThat(lines.get(0).path("stack_trace").asText())
        .startsWith("java.lang.IllegalStateException: boom")
        .contains("\tat ");
  }

  private static List<JsonNode> log(Runnable logging, String level) throws Exception {
    return log(logging, level, new ArrayList<>());
  }

  private static List<JsonNode> log(Runnable logging, String level, List<String> raw)
      throws Exception {
    try (EncodedLogCapture capture = new EncodedLogCapture(LogFormat.JSON, level)) {
      logging.run();
      raw.addAll(capture.lines());
    }
    List<JsonNode> lines = new ArrayList<>();
    for (String line : raw) {
      lines.add(JSON.readTree(line));
    }
    return lines;
  }
}
