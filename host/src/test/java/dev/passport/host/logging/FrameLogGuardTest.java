package dev.passport.host.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class FrameLogGuardTest {

  @Test
  void install_frameLoggersStayQuietEvenWithRootAtTrace() {
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.classic.Level previous = root.getLevel();
    try {
      root.setLevel(ch.qos.logback.classic.Level.TRACE);
      FrameLogGuard.install();
      for (String name : FrameLogGuard.FRAME_LOGGERS) {
        assertThat(LoggerFactory.getLogger(name).isDebugEnabled()).as(name).isFalse();
      }
    } finally {
      root.setLevel(previous);
    }
  }
}
