package dev.passport.host.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.passport.testkit.LogHygiene;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.LoggerFactory;

class ProductionLoggingTest {

  /** Loggers that dump requests, headers or bodies below this level; see logback.xml. */
  private static final List<String> PINNED_AT_INFO = List.of(
      "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler",
      "io.grpc.netty.shaded.io.grpc.netty.NettyClientHandler",
      "io.grpc.netty.NettyClientHandler",
      "io.netty.handler.codec.http2.Http2FrameLogger",
      "com.google.auth.oauth2.ServiceAccountCredentials",
      "com.google.api.gax.grpc.GrpcLoggingInterceptor",
      "com.google.cloud.secretmanager.v1.stub",
      "sun.net.www.protocol.http.HttpURLConnection",
      "io.github.jopenlibs.vault.rest.Rest",
      "io.fabric8.kubernetes.client.http.HttpLoggingInterceptor",
      "org.apache.http.wire",
      "org.apache.hc.client5.http.headers");
  /** These log their dumps at INFO (google-http-client at JUL CONFIG, which the bridge makes INFO). */
  private static final List<String> PINNED_AT_WARN = List.of(
      "com.google.api.client.http.HttpTransport",
      "jdk.httpclient.HttpClient",
      "jdk.internal.httpclient.debug",
      "okhttp3.OkHttpClient");
  private static final String JWT = JwtShaped.of("system");
  private static final Pattern TEXT_LINE_START =
      Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\S+ (TRACE|DEBUG|INFO |WARN |ERROR) ");

  @ParameterizedTest(name = "{0}")
  @EnumSource(LogFormat.class)
  void configure_rootAtTrace_keepsEveryChattyLoggerPinned(LogFormat format) throws Exception {
    try (EncodedLogCapture log = new EncodedLogCapture(format, "TRACE")) {
      LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
      assertThat(context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getLevel())
          .isEqualTo(Level.TRACE);
      for (String name : PINNED_AT_INFO) {
        assertThat(context.getLogger(name).getEffectiveLevel().isGreaterOrEqual(Level.INFO))
            .as("%s at %s", name, context.getLogger(name).getEffectiveLevel()).isTrue();
      }
      for (String name : PINNED_AT_WARN) {
        assertThat(context.getLogger(name).getEffectiveLevel().isGreaterOrEqual(Level.WARN))
            .as("%s at %s", name, context.getLogger(name).getEffectiveLevel()).isTrue();
        assertThat(java.util.logging.Logger.getLogger(name).isLoggable(java.util.logging.Level.CONFIG))
            .as("JUL %s should not even build a CONFIG record", name).isFalse();
      }
      // Caffeine's own WARN with a stack trace for every failed load duplicates the host's line
      assertThat(context.getLogger("com.github.benmanes.caffeine.cache.LocalAsyncCache")
          .getEffectiveLevel()).isEqualTo(Level.ERROR);
      java.util.logging.Logger.getLogger("com.google.api.client.http.HttpTransport")
          .config("-------------- REQUEST --------------\nAuthorization: Bearer opaque-dump-value");
      assertThat(log.lines()).noneMatch(l -> l.contains("REQUEST"));
    }
  }

  @Test
  void hostConfiguration_isTheHostsOwnFile() {
    assertThat(ProductionLogging.hostConfiguration(LogFormat.TEXT).toString())
        .endsWith("/logback.xml").doesNotContain("test-classes");
    assertThat(ProductionLogging.hostConfiguration(LogFormat.JSON).toString())
        .endsWith("/passport-logback-json.xml");
  }

  @Test
  void text_anExceptionWithLineBreaksAndATokenInItsMessages_staysOnItsOwnLinesMasked()
      throws Exception {
    List<String> lines;
    try (EncodedLogCapture log = new EncodedLogCapture(LogFormat.TEXT, "INFO")) {
      Exception cause = new IllegalStateException("upstream said\n2026-01-01T00:00:00.000Z ERROR"
          + " [main] forged - token " + JWT);
      LoggerFactory.getLogger("dev.passport.test").warn("failed\r\nforged line", 
          new RuntimeException("wrapper\nforged too", cause));
      lines = log.lines();
    }

    assertThat(lines).hasSizeGreaterThan(2);
    assertThat(lines.get(0)).matches(TEXT_LINE_START.pattern() + ".*failed\\\\r\\\\nforged line$");
    for (String line : lines.subList(1, lines.size())) {
      assertThat(line).as("a stack trace line").matches("^(\\t|Caused by: |java\\.lang\\.|Suppressed: |\\s).*");
    }
    assertThat(lines).noneMatch(l -> l.startsWith("forged") || l.startsWith("2026-01-01"));
    LogHygiene.assertNoSecrets(List.of(JWT), lines);
  }

  @Test
  void json_anEventWithLineBreaksAndATokenEverywhere_isOneValidMaskedLine() throws Exception {
    List<String> lines;
    try (EncodedLogCapture log = new EncodedLogCapture(LogFormat.JSON, "INFO")) {
      org.slf4j.MDC.put("backend", "x\u2028\u0085\r\nforged " + JWT);
      try {
        LoggerFactory.getLogger("dev.passport.test").warn("failed\r\n\u2028forged {}", JWT,
            new RuntimeException("boom\n" + JWT));
      } finally {
        org.slf4j.MDC.remove("backend");
      }
      lines = log.lines();
    }

    assertThat(lines).hasSize(1);
    assertThat(new ObjectMapper().readTree(lines.get(0)).path("backend").asText())
        .startsWith("x\u2028\u0085\r\nforged ");
    LogHygiene.assertNoSecrets(List.of(JWT), lines);
  }
}
