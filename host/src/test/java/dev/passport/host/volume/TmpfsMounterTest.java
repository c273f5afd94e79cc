package dev.passport.host.volume;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fake {@code mount}/{@code umount} executables cover the error paths anywhere; the real tmpfs
 * scenario runs in a child JVM inside a private mount namespace ({@code unshare -m}), so nothing is
 * ever mounted in the namespace of the machine running the build.
 */
class TmpfsMounterTest {
  private static final long PROCESS_TIMEOUT_SECONDS = 120;

  @TempDir Path dir;

  @Test
  void mountCommandFails_reportsItsOutputAndRemovesTheCreatedTarget() throws IOException {
    Path fake = fakeCommand("echo 'mount: /x: permission denied (fake)' >&2; exit 32");
    TmpfsMounter mounter = new TmpfsMounter(fake.toString(), fake.toString(), emptyMountTable());
    Path target = dir.resolve("vol");

    assertThatThrownBy(() -> mounter.mount(target, 1 << 20))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("tmpfs " + target)
        .hasMessageContaining("exit code 32")
        .hasMessageContaining("mount: /x: permission denied (fake)");
    assertThat(target).doesNotExist();
  }

  @Test
  void mountCommandMissing_saysHowToRunWithoutIt() {
    TmpfsMounter mounter = new TmpfsMounter(dir.resolve("no-such-mount").toString(), "umount",
        emptyMountTable());

    assertThatThrownBy(() -> mounter.mount(dir.resolve("vol"), 1 << 20))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("--mount-mode directory");
  }

  @Test
  void umountCommandFails_reportsItsOutputAndKeepsTheContent() throws IOException {
    Path target = Files.createDirectory(dir.resolve("vol"));
    Files.writeString(target.resolve("kept"), "x");
    MountTable mounted = new MountTable(Files.write(dir.resolve("mountinfo"),
        List.of("63 20 0:39 / " + target.toRealPath() + " rw - tmpfs tmpfs rw,size=1024k")));
    Path fake = fakeCommand("echo 'umount: target is busy (fake)' >&2; exit 32");
    TmpfsMounter mounter = new TmpfsMounter(fake.toString(), fake.toString(), mounted);

    assertThat(mounter.isMounted(target)).isTrue();
    assertThatThrownBy(() -> mounter.unmountAndRemove(target))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("target is busy (fake)");
    assertThat(target.resolve("kept")).hasContent("x");
  }

  @Test
  void sizeLimitNotPositive_isRejected() {
    TmpfsMounter mounter = new TmpfsMounter("mount", "umount", emptyMountTable());

    assertThatThrownBy(() -> mounter.mount(dir.resolve("vol"), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("sizeLimitBytes is 0, must be at least 1");
  }

  @Test
  void realTmpfs_inAPrivateMountNamespace_mountsWritesAndRemoves() throws Exception {
    assumePrivateMountNamespace();
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");

    Result run = run("unshare", "-m", "--propagation", "private", java.toString(),
        "-cp", System.getProperty("java.class.path"), TmpfsScenario.class.getName(),
        dir.toString());

    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(results(run.output())).as(run.output()).containsExactlyEntriesOf(TmpfsScenario.EXPECTED);
    assertThat(MountTable.self().find(dir.resolve("vol"))).as("nothing leaks into our namespace").isEmpty();
  }

  /** Skips, with the reason, where a private mount namespace is impossible (not root, no unshare). */
  private static void assumePrivateMountNamespace() throws InterruptedException {
    Result probe;
    try {
      probe = run("unshare", "-m", "--propagation", "private", "true");
    } catch (IOException e) {
      assumeTrue(false, "the unshare command is not available (" + e.getMessage() + ")");
      return;
    }
    assumeTrue(probe.exitCode() == 0, "cannot create a private mount namespace with unshare -m"
        + " (needs root or CAP_SYS_ADMIN): " + probe.output());
  }

  private record Result(int exitCode, String output) {}

  private static Result run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    // Output is small; readAllBytes returns when the child exits and closes its stdout.
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);
    if (!process.waitFor(PROCESS_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish; output: " + output);
    }
    return new Result(process.exitValue(), output);
  }

  private static Map<String, String> results(String output) {
    Map<String, String> results = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      if (line.startsWith(TmpfsScenario.PREFIX)) {
        String[] keyValue = line.substring(TmpfsScenario.PREFIX.length()).split("=", 2);
        results.put(keyValue[0], keyValue[1]);
      }
    }
    return results;
  }

  private Path fakeCommand(String script) throws IOException {
    Path fake = dir.resolve("fake-command");
    Files.writeString(fake, "#!/bin/sh\n" + script + "\n");
    Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
    return fake;
  }

  private MountTable emptyMountTable() {
    try {
      return new MountTable(Files.writeString(dir.resolve("empty-mountinfo"), ""));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
