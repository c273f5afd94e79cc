package dev.passport.plugins.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class LibraryLogsTest {

  @Test
  void quiet_wireLoggers_dropEverythingBelowInfoAndKeepWarnings() {
    assertThat(LibraryLogs.quiet()).isEmpty();

    for (String name : LibraryLogs.PINNED_LOGGERS) {
      assertThat(LibraryLogs.passes(name, Level.CONFIG)).as(name + " at CONFIG").isFalse();
      assertThat(LibraryLogs.passes(name, Level.FINEST)).as(name + " at FINEST").isFalse();
      assertThat(LibraryLogs.passes(name, Level.WARNING)).as(name + " at WARNING").isTrue();
    }
  }

  @Test
  void quiet_levelLoweredAgainLikeTheHostsLevelPropagationWould_filterStillDropsIt() {
    LibraryLogs.quiet();
    Logger transport = Logger.getLogger("com.google.api.client.http.HttpTransport");

    // logback's LevelChangePropagator sets the java.util.logging level of any logger the host's
    // configuration names
    transport.setLevel(Level.ALL);
    try {
      assertThat(transport.isLoggable(Level.CONFIG)).isTrue();
      assertThat(LibraryLogs.passes(transport.getName(), Level.CONFIG)).isFalse();
    } finally {
      LibraryLogs.quiet();
    }
  }

  @Test
  void quiet_loggerTheHostAlreadyPinnedHigher_keepsTheHostsLevel() {
    Logger connection = Logger.getLogger("sun.net.www.protocol.http.HttpURLConnection");
    connection.setLevel(Level.WARNING);
    try {
      LibraryLogs.quiet();

      assertThat(connection.getLevel()).isEqualTo(Level.WARNING);
    } finally {
      connection.setLevel(null);
      LibraryLogs.quiet();
    }
  }

  @Test
  void quiet_afterGarbageCollection_pinsAreStillInPlace() {
    LibraryLogs.quiet();

    System.gc();

    assertThat(Logger.getLogger("com.google.api.client.http.HttpTransport").getLevel())
        .isEqualTo(Level.INFO);
  }

  @Test
  void quiet_sdkPayloadLoggingSwitchedOnByTheEnvironment_isTurnedOff() throws Exception {
    // this module's tests run with GOOGLE_SDK_JAVA_LOGGING=true (see the pom)
    assertThat(System.getenv("GOOGLE_SDK_JAVA_LOGGING")).isEqualTo("true");

    LibraryLogs.quiet();

    for (String switchClass : LibraryLogs.SDK_LOGGING_SWITCHES) {
      Field enabled = Class.forName(switchClass).getDeclaredField("loggingEnabled");
      enabled.setAccessible(true);
      assertThat(enabled.getBoolean(null)).as(switchClass).isFalse();
    }
  }
}
