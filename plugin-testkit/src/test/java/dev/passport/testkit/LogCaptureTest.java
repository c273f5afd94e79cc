package dev.passport.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class LogCaptureTest {

  private static final Logger LOG = LoggerFactory.getLogger("dev.passport.plugins.example");

  @RegisterExtension final LogCapture logs = new LogCapture();

  @AfterEach
  void clearMdc() {
    MDC.clear();
  }

  @Test
  void lines_holdTheFormattedMessage() {
    LOG.info("fetched {} files for {}", 3, "csi-abc");

    assertThat(logs.lines()).anySatisfy(line ->
        assertThat(line).contains("INFO").contains("fetched 3 files for csi-abc"));
  }

  @Test
  void lines_holdDebugAndTrace_evenWhenTheConfigSaysInfo() {
    LOG.debug("debug detail");
    LOG.trace("trace detail");
    LoggerFactory.getLogger("some.library").debug("library debug");

    assertThat(String.join("\n", logs.lines()))
        .contains("debug detail").contains("trace detail").contains("library debug");
  }

  @Test
  void lines_holdTheWholeThrowableChain() {
    IOException cause = new IOException("socket closed by peer");
    RuntimeException thrown = new RuntimeException("fetch failed", cause);
    thrown.addSuppressed(new IllegalStateException("cleanup failed too"));

    LOG.warn("publish failed", thrown);

    assertThat(String.join("\n", logs.lines()))
        .contains("fetch failed").contains("socket closed by peer").contains("cleanup failed too");
  }

  @Test
  void lines_holdMdcAndKeyValues() {
    MDC.put("volume", "csi-123");
    LOG.atInfo().addKeyValue("audience", "vault").log("published");

    assertThat(logs.lines()).anySatisfy(line ->
        assertThat(line).contains("csi-123").contains("audience=vault"));
  }

  @Test
  void lines_holdEventsFromOtherThreads() throws Exception {
    CompletableFuture.runAsync(() -> LOG.info("from a pool thread")).get(10, TimeUnit.SECONDS);

    assertThat(logs.lines()).anySatisfy(line -> assertThat(line).contains("from a pool thread"));
  }

  @Test
  void stop_restoresTheConfiguredLevels_andKeepsTheLines() {
    LOG.debug("before stop");

    logs.stop();
    LOG.info("after stop");

    assertThat(LOG.isDebugEnabled()).isFalse();
    assertThat(LoggerFactory.getLogger("x").isDebugEnabled()).isFalse();
    assertThat(String.join("\n", logs.lines())).contains("before stop").doesNotContain("after stop");
  }
}
