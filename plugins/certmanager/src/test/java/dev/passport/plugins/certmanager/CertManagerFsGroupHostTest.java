package dev.passport.plugins.certmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.passport.api.Pod;
import dev.passport.conformance.FakeKubelet;
import dev.passport.conformance.MountedVolume;
import dev.passport.conformance.PodVolume;
import dev.passport.testkit.Pods;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15's "Done when": {@code csi.cert-manager.io/fs-group} without a pod {@code fsGroup} makes
 * {@code tls.key} readable by a process in that group, as csi-driver's docs promise a pod with
 * {@code runAsGroup}. Through the real socket and host; the reader is a real process with another
 * uid ({@code setpriv}), so the kernel judges, not a mode check of ours.
 */
class CertManagerFsGroupHostTest {

  private static final int GROUP = 2000;

  @TempDir Path dir;
  private CertManagerOnHost onHost;
  private FakeKubelet kubelet;

  @BeforeEach
  void start() throws Exception {
    // The reader must traverse to the target: JUnit makes the temp dir 0700.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    onHost = CertManagerOnHost.start(dir);
    kubelet = onHost.kubelet;
  }

  @AfterEach
  void stop() {
    onHost.close();
  }

  private PodVolume volume(Pod pod, Map<String, String> csi) {
    Map<String, String> attributes = new java.util.HashMap<>(csi);
    attributes.put(CertificateAttributes.ISSUER_NAME, "ca-issuer");
    attributes.put(CertificateAttributes.DNS_NAMES, "web.example.com");
    return onHost.volume(pod, "tls", attributes);
  }

  @Test
  void fsGroupWithoutPodFsGroup_keyReadableByAProcessInThatGroupOnly() throws Exception {
    assumeTrue(canSwitchUsers(), "needs root and setpriv to read as another user");
    MountedVolume mounted = kubelet.mount(volume(Pods.pod("team-a", "web-0", "web"),
        Map.of(CertificateAttributes.FS_GROUP, Integer.toString(GROUP))));
    Path key = mounted.file("tls.key");

    Result inGroup = readAs(65534, GROUP, key);
    Result otherGroup = readAs(65534, GROUP + 1, key);

    assertThat(inGroup.exit()).as(inGroup.output() + ancestry(key.toRealPath())).isZero();
    // csi-driver's default key: RSA in PKCS#1
    assertThat(inGroup.output()).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(otherGroup.exit()).as("a process outside group " + GROUP).isNotZero();
    assertThat(Files.getAttribute(key, "unix:gid")).isEqualTo(GROUP);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key)))
        .isEqualTo("r--r-----");
  }

  private record Result(int exit, String output) {}

  /** Mode, owner and group of a path and each of its parents, to say which one refused. */
  private static String ancestry(Path path) throws IOException {
    StringBuilder out = new StringBuilder();
    for (Path p = path; p != null; p = p.getParent()) {
      out.append('\n').append(PosixFilePermissions.toString(Files.getPosixFilePermissions(p)))
          .append(' ').append(Files.getAttribute(p, "unix:uid")).append(':')
          .append(Files.getAttribute(p, "unix:gid")).append(' ').append(p);
    }
    return out.toString();
  }

  /** {@code cat} as uid {@code uid}, gid {@code gid} and no supplementary groups. */
  private static Result readAs(int uid, int gid, Path file) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid,
        "--clear-groups", "cat", file.toString())).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("setpriv did not end within 30 s");
    }
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  private static boolean canSwitchUsers() {
    try {
      Process process = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534",
          "--clear-groups", "true").redirectErrorStream(true).start();
      process.getInputStream().readAllBytes();
      return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
