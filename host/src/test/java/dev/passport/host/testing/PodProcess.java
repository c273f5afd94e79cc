package dev.passport.host.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A process of a pod's container reading a published file as a given user: {@code setpriv} drops
 * root to the uid, gid and supplementary groups given, as the container runtime does for
 * {@code runAsUser}, {@code runAsGroup} and {@code fsGroup}/{@code supplementalGroups}. Needs root.
 */
public final class PodProcess {

  private static final long TIMEOUT_SECONDS = 60;

  private final int uid;
  private final int gid;
  private final List<Integer> groups;

  private PodProcess(int uid, int gid, List<Integer> groups) {
    this.uid = uid;
    this.gid = gid;
    this.groups = List.copyOf(groups);
  }

  /** {@code runAsUser: uid, runAsGroup: gid}, no supplementary group. */
  public static PodProcess as(int uid, int gid) {
    return new PodProcess(uid, gid, List.of());
  }

  /** The same user with these supplementary groups (a pod's fsGroup is one). */
  public PodProcess withGroups(Integer... supplementary) {
    return new PodProcess(uid, gid, List.of(supplementary));
  }

  /** What {@code cat file} answered: its exit code and output (content or the error). */
  public record Read(int exitCode, String output) {
    public boolean succeeded() {
      return exitCode == 0;
    }
  }

  public Read cat(Path file) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + uid, "--regid=" + gid));
    if (groups.isEmpty()) {
      command.add("--clear-groups");
    } else {
      command.add("--groups=" + String.join(",", groups.stream().map(String::valueOf).toList()));
    }
    command.add("cat");
    command.add(file.toString());
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    String output = new String(process.getInputStream().readAllBytes(), UTF_8);
    if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish; output: " + output);
    }
    return new Read(process.exitValue(), output);
  }

  /**
   * Lets every user traverse (not list) the directories from {@code top} down to the target's
   * parent: in a pod the volume is mounted where the container sees it, so the node's path to
   * kubelet's directory must not be what decides a read in a test (JUnit makes temp dirs 0700).
   */
  public static void openPathTo(Path top, Path target) throws IOException {
    Path parent = target.toAbsolutePath().normalize().getParent();
    Path root = top.toAbsolutePath().normalize();
    for (Path dir = parent; dir != null && dir.startsWith(root); dir = dir.getParent()) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
    }
  }

  /** Whether this machine can run pod processes: root and setpriv. */
  public static boolean available() {
    try {
      Process probe = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534",
          "--clear-groups", "true").redirectErrorStream(true).start();
      probe.getOutputStream().close();
      probe.getInputStream().readAllBytes();
      return probe.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS) && probe.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
