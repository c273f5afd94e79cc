package dev.passport.host.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.passport.host.testing.PodProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 in real tmpfs mode: {@link FileAccessTmpfsScenario} runs a host that mounts a tmpfs per
 * volume, in a private mount namespace ({@code unshare -m}) so nothing leaks into this one.
 */
class FileAccessTmpfsTest {

  private static final long TIMEOUT_SECONDS = 300;

  @TempDir Path dir;

  @Test
  void realTmpfs_uid65534ReadsDefaultFiles_not0440Ones_andABackendGroupsKey() throws Exception {
    assumeTrue(PodProcess.available(), "needs root and setpriv to run a process as uid 65534");
    assumeTrue(run(List.of("unshare", "-m", "--propagation", "private", "true")).exitCode() == 0,
        "cannot create a private mount namespace with unshare -m (needs root or CAP_SYS_ADMIN)");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");

    Result run = run(List.of("unshare", "-m", "--propagation", "private", java.toString(),
        "-cp", System.getProperty("java.class.path"), FileAccessTmpfsScenario.class.getName(),
        dir.toString()));

    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(results(run.output())).as(run.output())
        .containsExactlyEntriesOf(FileAccessTmpfsScenario.EXPECTED);
  }

  private record Result(int exitCode, String output) {}

  private static Result run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    // readAllBytes returns when the child exits and closes its output.
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);
    if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish; output: " + output);
    }
    return new Result(process.exitValue(), output);
  }

  private static Map<String, String> results(String output) {
    Map<String, String> results = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      if (line.startsWith(FileAccessTmpfsScenario.PREFIX)) {
        String[] keyValue = line.substring(FileAccessTmpfsScenario.PREFIX.length()).split("=", 2);
        results.put(keyValue[0], keyValue[1]);
      }
    }
    return results;
  }
}
