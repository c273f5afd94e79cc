package dev.passport.tools.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.passport.host.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code passport demo --backend …} through picocli, with the real host loading the packaged
 * vault, aws and azure plugin directories: the files the pod sees and the stand-in servers' counts
 * after each step, as the transcript prints them.
 */
class DemoCommandTest {

  /** The story's transcript lines every backend prints, in order, around its own. */
  private static final String PUBLISHED = "kubelet sent the pod's own token for audience ";
  private static final String UNPUBLISHED = "/mount exists: false";
  private static final String NO_API_CALLS = "Kubernetes API requests during both calls: 0";

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

  @Test
  void vault_oneLoginAndOneReadUntilTheRotationIsDue() throws IOException {
    assertStory("vault", "\"vault\"", "db/password",
        "cache hits 0, misses 1, unchanged writes skipped 0 | Vault logins 1, reads 1",
        "cache hits 1, misses 1, unchanged writes skipped 0 | Vault logins 1, reads 1",
        "cache hits 1, misses 2, unchanged writes skipped 0 | Vault logins 1, reads 2",
        "(provider: vault)");
  }

  @Test
  void aws_oneStsExchangeAndOneReadPerObjectUntilTheRotationIsDue() throws IOException {
    assertStory("aws", "\"sts.amazonaws.com\"", "db-password",
        "cache hits 0, misses 1, unchanged writes skipped 0 | STS AssumeRoleWithWebIdentity 1,"
            + " Secrets Manager reads of app-db 1, SSM reads of app-config 1",
        "cache hits 1, misses 1, unchanged writes skipped 0 | STS AssumeRoleWithWebIdentity 1,"
            + " Secrets Manager reads of app-db 1, SSM reads of app-config 1",
        "cache hits 1, misses 2, unchanged writes skipped 0 | STS AssumeRoleWithWebIdentity 1,"
            + " Secrets Manager reads of app-db 2, SSM reads of app-config 2",
        "(provider: aws)");
    assertThat(out.toString())
        .contains("app-db = {\"username\":\"app\",\"password\":\"rotated-password\"}")
        .contains("db-username = app").contains("app-config = log-level=info");
  }

  @Test
  void azure_oneEntraExchangeAndOneReadPerObjectUntilTheRotationIsDue() throws IOException {
    assertStory("azure", "\"api://AzureADTokenExchange\"", "db-password",
        "cache hits 0, misses 1, unchanged writes skipped 0 | Entra token exchanges 1,"
            + " Key Vault reads of db-username 1, of db-password 1",
        "cache hits 1, misses 1, unchanged writes skipped 0 | Entra token exchanges 1,"
            + " Key Vault reads of db-username 1, of db-password 1",
        "cache hits 1, misses 2, unchanged writes skipped 0 | Entra token exchanges 1,"
            + " Key Vault reads of db-username 2, of db-password 2",
        "(provider: azure)");
    assertThat(out.toString()).contains("db-username = app");
  }

  @Test
  void all_showsEachBackendInTurnInOneHost() throws IOException {
    int exit = run("--backend", "all", "--plugins-dir", packagedPlugins().toString());

    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString()).containsSubsequence(
        PUBLISHED + "\"vault\"", "(provider: vault)",
        PUBLISHED + "\"sts.amazonaws.com\"", "(provider: aws)",
        PUBLISHED + "\"api://AzureADTokenExchange\"", "(provider: azure)");
  }

  /**
   * Runs the demo of one backend and checks its transcript: the first password in file
   * {@code passwordFile} with {@code published}'s counts, the republish answered from the cache,
   * the rotation fetched when due, the volume gone, and the drop-in volume with the rotated
   * password and no API request.
   */
  private void assertStory(String backend, String audience, String passwordFile,
      String published, String republished, String rotated, String dropIn) throws IOException {
    String first = passwordFile + " = first-password";
    String rotatedFile = passwordFile + " = rotated-password";
    int exit = run("--backend", backend, "--plugins-dir", packagedPlugins().toString());

    assertThat(exit).as(err.toString()).isZero();
    assertThat(out.toString()).containsSubsequence(PUBLISHED + audience, first, published,
        "answered from the cache", republished, rotatedFile, rotated, UNPUBLISHED, dropIn,
        rotatedFile, NO_API_CALLS);
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

  /**
   * The vault, aws and azure plugin directories as {@code package} builds them. The plugins are
   * built after tools (their tests use its stand-in servers), so in one reactor run from a clean
   * tree they do not exist yet: these tests then skip, and dist's demo-smoke runs the demo.
   */
  private Path packagedPlugins() throws IOException {
    Path plugins = Files.createDirectories(dir.resolve("plugins"));
    for (String id : List.of("vault", "aws", "azure")) {
      Path packaged = Path.of("..", "plugins", id, "target", "plugin").toAbsolutePath().normalize();
      assumeTrue(Files.isRegularFile(packaged.resolve("plugin.properties")),
          packaged + " is not built: mvn package the plugins first");
      Files.createSymbolicLink(plugins.resolve(id), packaged);
    }
    return plugins;
  }
}
