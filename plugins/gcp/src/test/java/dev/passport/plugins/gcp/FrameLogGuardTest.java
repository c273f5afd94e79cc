package dev.passport.plugins.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.testkit.LogCapture;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogLevel;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLogger;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class FrameLogGuardTest {

  static final String CLIENT_FRAMES = "io.grpc.netty.shaded.io.grpc.netty.NettyClientHandler";

  @RegisterExtension final LogCapture logs = new LogCapture();

  @Test
  void install_rootAtDebug_framesLoggerDropsDebugButKeepsWarnings() {
    FrameLogGuard.install();
    FrameLogGuard.install();

    InternalLogger frames = InternalLoggerFactory.getInstance(CLIENT_FRAMES);
    frames.debug("OUTBOUND HEADERS: authorization: Bearer secret-access-token");
    frames.log(InternalLogLevel.TRACE, "OUTBOUND DATA: 73656372657420");
    frames.warn("connection reset");

    assertThat(frames.isDebugEnabled()).isFalse();
    assertThat(frames.isEnabled(InternalLogLevel.DEBUG)).isFalse();
    assertThat(frames.isWarnEnabled()).isTrue();
    assertThat(frames.name()).isEqualTo(CLIENT_FRAMES);
    assertThat(InternalLoggerFactory.getInstance("io.grpc.netty.shaded.io.netty.channel.Other")
        .isDebugEnabled()).as("other netty loggers keep the host's levels").isTrue();
    assertThat(logs.lines()).noneMatch(line -> line.contains("secret-access-token"))
        .anyMatch(line -> line.contains("connection reset"));
  }
}
