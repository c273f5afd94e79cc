package dev.passport.host.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.plugins.fixtures.ProbeBackendFactory;
import dev.passport.testkit.PluginDirectoryBuilder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21: a deployment mistake stops {@code passport serve} at once with one line on stderr
 * (what is wrong, which flag, what to do) and a non-zero exit, never a stack trace, and never a
 * healthy-looking driver that fails every volume.
 */
class ServeFailFastTest {

  @TempDir Path dir;

  @Test
  void serve_pluginsDirMissing_exitsNonZeroWithOneLineNamingTheFlag() {
    Path absent = dir.resolve("no-plugins");

    Refusal refusal = serve(absent, "--state-dir", dir.resolve("state").toString());

    assertThat(refusal.exit()).isEqualTo(Main.EXIT_REFUSED);
    assertThat(refusal.stderr().lines()).containsExactly("passport serve: plugins directory "
        + absent + " does not exist; fix --plugins-dir (the image's plugins are in"
        + " /opt/passport/plugins)");
    assertThat(dir.resolve("csi.sock")).doesNotExist();
  }

  @Test
  void serve_pluginsDirEmpty_exitsNonZeroWithOneLineSayingItHoldsNoPlugin() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("plugins"));

    Refusal refusal = serve(empty, "--state-dir", dir.resolve("state").toString());

    assertThat(refusal.exit()).isEqualTo(Main.EXIT_REFUSED);
    assertThat(refusal.stderr().lines()).containsExactly("passport serve: plugins directory "
        + empty + " holds no plugin (a directory with plugin.properties and lib/*.jar); fix"
        + " --plugins-dir or install a plugin there");
  }

  @Test
  void serve_configFileNamingNoLoadedPlugin_exitsNonZeroWithOneLineNamingTheFile()
      throws Exception {
    Path plugins = dir.resolve("plugins");
    PluginDirectoryBuilder.plugin(plugins, "probe").factory(ProbeBackendFactory.class).build();
    Path conf = Files.createDirectories(dir.resolve("conf"));
    Files.writeString(conf.resolve("vualt.properties"), "vaultAddress=https://vault:8200\n", UTF_8);

    Refusal refusal = serve(plugins, "--state-dir", dir.resolve("state").toString(),
        "--config-dir", conf.toString());

    assertThat(refusal.exit()).isEqualTo(Main.EXIT_REFUSED);
    assertThat(refusal.stderr().lines()).containsExactly("passport serve: config directory "
        + conf + ": vualt.properties names no loaded plugin (loaded: [probe]); rename it to"
        + " <plugin-id>.properties of a loaded plugin, or remove it from --config-dir");
    assertThat(dir.resolve("csi.sock")).doesNotExist();
  }

  @Test
  void serve_stateDirIsAFile_exitsNonZeroWithOneLineNamingTheFlag() throws Exception {
    Path file = Files.writeString(dir.resolve("state"), "not a directory", UTF_8);

    Refusal refusal = serve(pluginsWithProbe(), "--state-dir", file.toString());

    assertThat(refusal.exit()).isEqualTo(Main.EXIT_REFUSED);
    assertThat(refusal.stderr().lines()).containsExactly("passport serve: state dir " + file
        + " is not usable: " + file + " exists and is not a directory; fix --state-dir (it must"
        + " name a writable directory)");
  }

  @Test
  void serve_stateDirBelowAFile_exitsNonZeroWithOneLineNamingTheFile() throws Exception {
    Path file = Files.writeString(dir.resolve("var"), "not a directory", UTF_8);
    Path state = file.resolve("passport");

    Refusal refusal = serve(pluginsWithProbe(), "--state-dir", state.toString());

    assertThat(refusal.exit()).isEqualTo(Main.EXIT_REFUSED);
    assertThat(refusal.stderr().lines()).hasSize(1).first().asString()
        .startsWith("passport serve: state dir " + state + " is not usable: ")
        .contains(file.toString())
        .endsWith("; fix --state-dir (it must name a writable directory)");
  }

  @Test
  void serve_socketParentIsAFile_exitsNonZeroWithOneLineNamingTheEndpointFlag() throws Exception {
    Path file = Files.writeString(dir.resolve("plugins-socket"), "not a directory", UTF_8);

    Refusal refusal = serve(pluginsWithProbe(), "--state-dir", dir.resolve("state").toString(),
        "--endpoint", "unix://" + file.resolve("csi.sock"));

    assertThat(refusal.exit()).isEqualTo(Main.EXIT_REFUSED);
    assertThat(refusal.stderr().lines()).containsExactly("passport serve: socket directory " + file
        + " is not usable: " + file + " exists and is not a directory; fix --endpoint (it must"
        + " name a writable directory)");
  }

  @Test
  void serve_metricsAddressInUse_exitsNonZeroWithOneLineNamingTheFlag() throws Exception {
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", 0));

      Refusal refusal = serve(pluginsWithProbe(), "--state-dir", dir.resolve("state").toString(),
          "--metrics-address", "127.0.0.1:" + taken.getLocalPort());

      assertThat(refusal.exit()).isEqualTo(Main.EXIT_REFUSED);
      assertThat(refusal.stderr().lines()).hasSize(1).first().asString()
          .startsWith("passport serve: cannot listen for metrics on ")
          .contains(String.valueOf(taken.getLocalPort()))
          .endsWith("; pick another --metrics-address or 0 to turn metrics off");
    }
  }

  @Test
  void serve_endpointNotAUnixSocket_isAUsageErrorWithoutAStackTrace() throws Exception {
    Refusal refusal = serve(pluginsWithProbe(), "--state-dir", dir.resolve("state").toString(),
        "--endpoint", "tcp://127.0.0.1:10000");

    assertThat(refusal.exit()).isNotZero();
    assertThat(refusal.stderr().lines().findFirst()).contains(
        "--endpoint must be unix:///absolute/path.sock, got tcp://127.0.0.1:10000");
    assertThat(refusal.stderr()).doesNotContain("Exception").doesNotContain("\tat ");
  }

  private Path pluginsWithProbe() throws Exception {
    Path plugins = dir.resolve("plugins");
    PluginDirectoryBuilder.plugin(plugins, "probe").factory(ProbeBackendFactory.class).build();
    return plugins;
  }

  private record Refusal(int exit, String stderr) {}

  /** Runs the CLI entry in-process as ServeCommandTest does; every case here refuses to start. */
  private Refusal serve(Path plugins, String... args) {
    List<String> all = new ArrayList<>(List.of("serve", "--node-id", "node-1", "--plugins-dir",
        plugins.toString(), "--mount-mode", "directory", "--kubelet-dir",
        dir.resolve("kubelet").toString()));
    List<String> extra = List.of(args);
    if (!extra.contains("--endpoint")) {
      all.addAll(List.of("--endpoint", "unix://" + dir.resolve("csi.sock")));
    }
    if (!extra.contains("--metrics-address")) {
      all.addAll(List.of("--metrics-address", "0"));
    }
    all.addAll(extra);
    StringWriter err = new StringWriter();
    int exit = Main.commandLine().setErr(new PrintWriter(err)).execute(all.toArray(String[]::new));
    return new Refusal(exit, err.toString());
  }
}
