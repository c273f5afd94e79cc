package dev.passport.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.Pod;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/** The self-checking capture, driven by hand because JUnit reports its failure after the test. */
class LogCaptureCheckingTest {

  @Test
  void afterEach_aMintedTokenWasLogged_failsTheTestWithoutShowingIt() {
    ServiceAccountTokens tokens = ServiceAccountTokens.create();
    Pod pod = Pods.pod("ns", "p");
    String jwt = tokens.mint(pod, "vault", Instant.parse("2026-01-01T00:00:00Z"), Duration.ofHours(1));
    LogCapture capture = LogCapture.checkingFor(tokens::minted);
    ExtensionContext none = null;

    capture.beforeEach(none);
    LoggerFactory.getLogger("dev.passport.leaky").debug("calling backend with {}", jwt);

    assertThatThrownBy(() -> capture.afterEach(none))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("dev.passport.leaky")
        .message().doesNotContain(jwt);
  }
}
