package dev.passport.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README command 1 and its {@code --backend} variants, as a user runs them: {@code bin/passport
 * demo} from the assembly just built (lib/, plugins/, tools/), checked by its transcript: the pod's
 * own token for the backend's audience, the first password, one exchange and one read per object
 * across a republish, the rotation fetched when due, the volume gone, the drop-in class read from
 * the informer's memory. Here rather than in tools: the plugin directories exist only after the
 * plugins' modules, which build after tools.
 */
class DemoTranscriptTest {

  private static final Path PASSPORT =
      Manifests.repositoryRoot().resolve("dist/target/passport/bin/passport");
  private static final String PUBLISHED = "kubelet sent the pod's own token for audience ";
  private static final String FROM_CACHE = "answered from the cache";
  private static final String UNPUBLISHED = "/mount exists: false";
  private static final String NO_API_CALLS = "Kubernetes API requests during both calls: 0";

  @TempDir Path dir;

  @Test
  void demo_withoutABackend_isTheVaultStory() throws Exception {
    assertStory(demo(), "\"vault\"", "db/password",
        "cache hits 0, misses 1, unchanged writes skipped 0 | Vault logins 1, reads 1",
        "cache hits 1, misses 1, unchanged writes skipped 0 | Vault logins 1, reads 1",
        "cache hits 1, misses 2, unchanged writes skipped 0 | Vault logins 1, reads 2",
        "(provider: vault)");
  }

  @Test
  void demo_aws_oneStsExchangeAndOneReadPerObjectUntilTheRotationIsDue() throws Exception {
    String out = demo("--backend", "aws");
    assertStory(out, "\"sts.amazonaws.com\"", "db-password",
        "cache hits 0, misses 1, unchanged writes skipped 0 | STS AssumeRoleWithWebIdentity 1,"
            + " Secrets Manager reads of app-db 1, SSM reads of app-config 1",
        "cache hits 1, misses 1, unchanged writes skipped 0 | STS AssumeRoleWithWebIdentity 1,"
            + " Secrets Manager reads of app-db 1, SSM reads of app-config 1",
        "cache hits 1, misses 2, unchanged writes skipped 0 | STS AssumeRoleWithWebIdentity 1,"
            + " Secrets Manager reads of app-db 2, SSM reads of app-config 2",
        "(provider: aws)");
    assertThat(out).contains("app-db = {\"username\":\"app\",\"password\":\"rotated-password\"}")
        .contains("db-username = app").contains("app-config = log-level=info");
  }

  @Test
  void demo_azure_oneEntraExchangeAndOneReadPerObjectUntilTheRotationIsDue() throws Exception {
    String out = demo("--backend", "azure");
    assertStory(out, "\"api://AzureADTokenExchange\"", "db-password",
        "cache hits 0, misses 1, unchanged writes skipped 0 | Entra token exchanges 1,"
            + " Key Vault reads of db-username 1, of db-password 1",
        "cache hits 1, misses 1, unchanged writes skipped 0 | Entra token exchanges 1,"
            + " Key Vault reads of db-username 1, of db-password 1",
        "cache hits 1, misses 2, unchanged writes skipped 0 | Entra token exchanges 1,"
            + " Key Vault reads of db-username 2, of db-password 2",
        "(provider: azure)");
    assertThat(out).contains("db-username = app");
  }

  private static void assertStory(String out, String audience, String passwordFile,
      String published, String republished, String rotated, String dropIn) {
    String rotatedFile = passwordFile + " = rotated-password";
    assertThat(out).containsSubsequence(PUBLISHED + audience, passwordFile + " = first-password",
        published, FROM_CACHE, republished, rotatedFile, rotated, UNPUBLISHED, dropIn,
        rotatedFile, NO_API_CALLS);
  }

  /** bin/passport demo with metrics off (no fixed port in CI); its stdout, once it exited 0. */
  private String demo(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(PASSPORT.toString(), "demo",
        "--metrics-address", "0"));
    command.addAll(List.of(args));
    Path stdout = dir.resolve("stdout");
    Path stderr = dir.resolve("stderr");
    Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile()).start();
    // a hang guard, not a time budget: the demo takes seconds
    if (!process.waitFor(5, TimeUnit.MINUTES)) {
      process.destroyForcibly().waitFor();
      throw new AssertionError("passport demo did not finish:\n" + read(stdout) + read(stderr));
    }
    String out = read(stdout);
    assertThat(process.exitValue()).as("exit of %s%n%s%n%s", command, out, read(stderr)).isZero();
    return out;
  }

  private static String read(Path file) throws IOException {
    return Files.readString(file, StandardCharsets.UTF_8);
  }
}
