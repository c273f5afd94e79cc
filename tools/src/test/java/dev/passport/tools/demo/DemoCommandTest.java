package dev.passport.tools.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.passport.host.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code passport demo}'s command line through picocli: its option and its refusals. The stories
 * themselves (files and the stand-ins' counts) are checked on the assembly by dist's
 * DemoTranscriptTest, since the plugin directories are built after tools.
 */
class DemoCommandTest {

  @TempDir Path dir;
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  @Test
  void passportCommandLine_hasTheDemoSubcommandWithItsBackendOption() {
    CommandLine demo = Main.commandLine().getSubcommands().get("demo");

    assertThat(demo).isNotNull();
    assertThat(demo.getCommandSpec().findOption("--backend").defaultValue()).isEqualTo("vault");
  }

  @Test
  void demo_unknownBackend_exitsTwoNamingTheBackendsItShows() {
    int exit = run("--backend", "gcp");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("--backend gcp: the demo shows vault, aws, azure or all");
  }

  @Test
  void demo_pluginsDirWithoutPlugins_exitsTwoNamingTheDirectoryWithoutAStackTrace()
      throws IOException {
    Path empty = Files.createDirectories(dir.resolve("no-plugins"));

    int exit = run("--backend", "aws", "--plugins-dir", empty.toString());

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("plugins directory " + empty + " holds no plugin")
        .doesNotContain("Exception");
  }

  private int run(String... args) {
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String[] demo = new String[args.length + 4];
    demo[0] = "demo";
    demo[1] = "--metrics-address";
    demo[2] = "0";
    demo[3] = "--verbose";
    System.arraycopy(args, 0, demo, 4, args.length);
    return cli.execute(demo);
  }
}
