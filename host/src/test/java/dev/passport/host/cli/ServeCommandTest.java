package dev.passport.host.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.host.PassportHost;
import dev.passport.host.volume.MountMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeCommandTest {

  @Test
  void socketPath_unixEndpoint_isAbsolutePath() {
    assertThat(ServeCommand.socketPath("unix:///csi/csi.sock")).isEqualTo(Path.of("/csi/csi.sock"));
  }

  @Test
  void socketPath_otherSchemes_areRefusedWithTheExpectedForm() {
    assertThatThrownBy(() -> ServeCommand.socketPath("tcp://127.0.0.1:10000"))
        .hasMessageContaining("unix:///absolute/path.sock");
    assertThatThrownBy(() -> ServeCommand.socketPath("unix://relative.sock"))
        .hasMessageContaining("absolute");
  }

  @Test
  void durations_readAsOperatorsWriteThem() {
    DurationConverter converter = new DurationConverter();
    assertThat(converter.convert("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(converter.convert("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(converter.convert("PT1H")).isEqualTo(Duration.ofHours(1));
    assertThatThrownBy(() -> converter.convert("soon"))
        .isInstanceOf(CommandLine.TypeConversionException.class);
  }

  /** One duration syntax for operators: the CLI reads what the plugins read (Go style and ISO-8601). */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource({"1h30m, PT1H30M", "90s, PT90S", "PT1H30M, PT1H30M",
      "500ms, PT0.5S"})
  void serve_refreshIntervalAndFetchTimeout_acceptGoAndIsoDurations(String written, String meant) {
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs("serve", "--plugins-dir", "/plugins",
        "--endpoint", "unix:///csi/csi.sock", "--node-id", "node-1",
        "--refresh-interval", written, "--fetch-timeout", written);

    ServeCommand serve = (ServeCommand) parsed.subcommand().commandSpec().userObject();
    assertThat(serve.refreshInterval).isEqualTo(Duration.parse(meant));
    assertThat(serve.fetchTimeout).isEqualTo(Duration.parse(meant));
  }

  @Test
  void serve_defaultFileMode_is0644UnlessSet() {
    assertThat(serve().defaultFileMode.defaultMode()).isEqualTo(0644);
    assertThat(serve("--default-file-mode", "0440").defaultFileMode.defaultMode()).isEqualTo(0440);
  }

  @Test
  void serve_defaultFileModeNotOctalPermissionBits_failsNamingTheValueAndTheForm() {
    for (String bad : new String[] {"0999", "rw-r--r--", "04755"}) {
      assertThatThrownBy(() -> serve("--default-file-mode", bad))
          .isInstanceOf(CommandLine.ParameterException.class)
          .hasMessageContaining("--default-file-mode")
          .hasMessageContaining(bad)
          .hasMessageContaining("0000..0777");
    }
  }

  private static ServeCommand serve(String... extra) {
    String[] args = new String[7 + extra.length];
    System.arraycopy(new String[] {"serve", "--plugins-dir", "/plugins", "--endpoint",
        "unix:///csi/csi.sock", "--node-id", "node-1"}, 0, args, 0, 7);
    System.arraycopy(extra, 0, args, 7, extra.length);
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args);
    return (ServeCommand) parsed.subcommand().commandSpec().userObject();
  }

  @Test
  void serve_durationInNeitherSyntax_failsWithTheAcceptedForms() {
    assertThatThrownBy(() -> Main.commandLine().parseArgs("serve", "--plugins-dir", "/plugins",
        "--endpoint", "unix:///csi/csi.sock", "--node-id", "node-1", "--refresh-interval", "soon"))
        .isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("'soon' is not a duration")
        .hasMessageContaining("1h30m");
  }

  @Test
  void serve_whileAnotherHostAnswersOnTheSocket_exitsNonZeroWithOneLineNamingIt(@TempDir Path dir)
      throws Exception {
    Path socket = dir.resolve("csi.sock");
    try (PassportHost first = PassportHost.builder().socket(socket).stateDir(dir.resolve("state-1"))
        .mountMode(MountMode.DIRECTORY).start()) {
      Refusal refusal = serve(dir, "--endpoint", "unix://" + socket, "--state-dir",
          dir.resolve("state-2").toString());

      assertThat(refusal.exit()).isEqualTo(Main.EXIT_REFUSED);
      assertThat(refusal.stderr().lines()).containsExactly("passport serve: another CSI server"
          + " answers on unix://" + socket + "; refusing to start a second host on it (stop that"
          + " one first, or choose another --endpoint)");
      assertThat(first.ready()).isTrue();
      assertThat(socket).exists();
    }
  }

  @Test
  void serve_onAStateDirAnotherHostHolds_exitsNonZeroWithOneLineNamingIt(@TempDir Path dir)
      throws Exception {
    Path state = dir.resolve("state");
    try (PassportHost first = PassportHost.builder().socket(dir.resolve("one.sock")).stateDir(state)
        .mountMode(MountMode.DIRECTORY).start()) {
      Refusal refusal = serve(dir, "--endpoint", "unix://" + dir.resolve("two.sock"),
          "--state-dir", state.toString());

      assertThat(refusal.exit()).isEqualTo(Main.EXIT_REFUSED);
      assertThat(refusal.stderr().lines()).hasSize(1).first().asString()
          .startsWith("passport serve: state dir " + state + " is locked by another Passport host");
    }
  }

  @Test
  void serve_kubeletDir_defaultsToKubeletsRootDir() {
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs("serve", "--plugins-dir", "/plugins",
        "--endpoint", "unix:///csi/csi.sock", "--node-id", "node-1");

    ServeCommand serve = (ServeCommand) parsed.subcommand().commandSpec().userObject();
    assertThat(serve.kubeletDir).isEqualTo(Path.of("/var/lib/kubelet"));
  }

  @Test
  void serve_bulkheadFlags_defaultToRemoteBelowBackendBelowFetchThreadsBelowPublishThreads() {
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs("serve", "--plugins-dir", "/plugins",
        "--endpoint", "unix:///csi/csi.sock", "--node-id", "node-1");

    ServeCommand serve = (ServeCommand) parsed.subcommand().commandSpec().userObject();
    assertThat(serve.maxFetchesPerRemote).isLessThan(serve.maxFetchesPerBackend);
    assertThat(serve.maxFetchesPerBackend).isLessThan(serve.fetchThreads);
    assertThat(serve.fetchThreads).isLessThan(serve.publishThreads);
    assertThat(serve.publishQueue).isGreaterThanOrEqualTo(110); // kubelet's default max pods
  }

  @Test
  void serve_perRemoteLimitAbovePerBackend_isAUsageErrorNamingBothFlags(@TempDir Path dir)
      throws Exception {
    Refusal refusal = serve(dir, "--endpoint", "unix://" + dir.resolve("csi.sock"),
        "--state-dir", dir.resolve("state").toString(), "--max-fetches-per-remote", "9");

    assertThat(refusal.exit()).isNotZero();
    assertThat(refusal.stderr()).contains("--max-fetches-per-remote must be between 1 and"
        + " --max-fetches-per-backend (8), got 9");
    assertThat(dir.resolve("csi.sock")).doesNotExist();
  }

  @Test
  void serve_perBackendLimitAboveFetchThreads_isAUsageError(@TempDir Path dir) throws Exception {
    Refusal refusal = serve(dir, "--endpoint", "unix://" + dir.resolve("csi.sock"),
        "--state-dir", dir.resolve("state").toString(), "--fetch-threads", "4");

    assertThat(refusal.exit()).isNotZero();
    assertThat(refusal.stderr())
        .contains("--max-fetches-per-backend (8) must not exceed --fetch-threads (4)");
  }

  private record Refusal(int exit, String stderr) {}

  private static Refusal serve(Path dir, String... args) throws Exception {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    java.util.List<String> all = new java.util.ArrayList<>(java.util.List.of("serve", "--node-id",
        "node-1", "--plugins-dir", plugins.toString(), "--mount-mode", "directory",
        "--metrics-address", "0", "--kubelet-dir", dir.resolve("kubelet").toString()));
    all.addAll(java.util.List.of(args));
    java.io.StringWriter err = new java.io.StringWriter();
    int exit = Main.commandLine().setErr(new java.io.PrintWriter(err)).execute(all.toArray(String[]::new));
    return new Refusal(exit, err.toString());
  }

  @Test
  void help_listsServe() {
    java.io.StringWriter out = new java.io.StringWriter();
    int exit = Main.commandLine().setOut(new java.io.PrintWriter(out)).execute("--help");
    assertThat(exit).isZero();
    assertThat(out.toString()).contains("serve");
  }

  @Test
  void shippedLogbackConfigurations_parseWithoutErrors() throws Exception {
    for (String resource : java.util.List.of("/logback.xml", "/passport-logback-json.xml")) {
      ch.qos.logback.classic.LoggerContext context = new ch.qos.logback.classic.LoggerContext();
      ch.qos.logback.classic.joran.JoranConfigurator configurator =
          new ch.qos.logback.classic.joran.JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(ServeCommandTest.class.getResource(resource));
      assertThat(context.getStatusManager().getCopyOfStatusList())
          .as(resource)
          .noneMatch(status -> status.getLevel() >= ch.qos.logback.core.status.Status.WARN);
      context.stop();
    }
  }
}
