package dev.passport.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What surefire tells the suites (see the module's pom): how to start a real host process. */
final class TestEnvironment {

  private TestEnvironment() {}

  /** The host's runtime class path, written by maven-dependency-plugin. */
  static String hostClasspath() throws IOException {
    return Files.readString(Path.of(required("bench.hostClasspathFile"))).trim();
  }

  /** {@code dist/src/bin/passport}: its JVM flags are the ones production uses. */
  static Path launcherScript() {
    return Path.of(required("bench.launcherScript"));
  }

  /** {@code java <bin/passport's flags> -cp <host class path> Main}. */
  static HostProcess.Launcher hostLauncher() throws IOException {
    return HostProcess.Launcher.java(HostProcess.launcherJvmOptions(launcherScript()), hostClasspath(),
        HostProcess.HOST_MAIN);
  }

  static int intProperty(String name, int fallback) {
    return Integer.getInteger(name, fallback);
  }

  private static String required(String name) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      throw new IllegalStateException("system property " + name + " is not set; run the tests with"
          + " maven (mvn -pl bench verify), which sets it");
    }
    return value;
  }

  static List<String> lines(Path log) throws IOException {
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }
}
