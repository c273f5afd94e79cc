package dev.passport.host.e2e;

import dev.passport.host.PassportHost;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.FileAccessBackend;
import dev.passport.host.testing.PodProcess;
import dev.passport.host.testing.Requests;
import dev.passport.host.volume.FileModes;
import dev.passport.host.volume.MountMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The reads of {@link FileAccessEndToEndTest} in real tmpfs mode: a host publishes through its
 * socket into a tmpfs per volume, and processes of the pod read as uid 65534. {@link
 * FileAccessTmpfsTest} runs it inside {@code unshare -m} so the mounts stay in a private mount
 * namespace; results are printed as {@code RESULT name=value} lines.
 */
final class FileAccessTmpfsScenario {

  static final String PREFIX = "RESULT ";
  static final Map<String, String> EXPECTED = expected();
  private static final int NOBODY = FileAccessEndToEndTest.NOBODY;
  private static final int GROUP = FileAccessEndToEndTest.BACKEND_GROUP;

  private FileAccessTmpfsScenario() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    Instant expiry = Instant.parse("2099-01-01T00:00:00Z");

    Path target = publish(root.resolve("default"), FileModes.defaults(),
        new FileAccessBackend().file("password", "pw").file("db/user", "app"));
    print("fsType", Files.getFileStore(target).type());
    print("defaultRead", read(PodProcess.as(NOBODY, NOBODY), target.resolve("password")));
    print("defaultNestedRead", read(PodProcess.as(NOBODY, NOBODY), target.resolve("db/user")));
    print("defaultRootMode", mode(target));

    target = publish(root.resolve("restricted"), FileModes.parse("0440"),
        new FileAccessBackend().file("password", "pw"));
    print("restrictedRead", read(PodProcess.as(NOBODY, NOBODY), target.resolve("password")));
    print("restrictedRootMode", mode(target));

    target = publish(root.resolve("grouped"), FileModes.parse("0440"),
        new FileAccessBackend().file("tls.key", "key").file("ca.crt", "ca", 0444).group(GROUP));
    print("groupRead", read(PodProcess.as(NOBODY, GROUP), target.resolve("tls.key")));
    print("otherUserKeyRead", read(PodProcess.as(NOBODY, NOBODY), target.resolve("tls.key")));
    print("otherUserCaRead", read(PodProcess.as(NOBODY, NOBODY), target.resolve("ca.crt")));
  }

  /** Starts a host on {@code dir}, publishes one volume through its socket, stops the host. */
  private static Path publish(Path dir, FileModes modes, FileAccessBackend backend)
      throws Exception {
    Files.createDirectories(dir);
    Path kubelet = dir.resolve("kubelet");
    Path target = Requests.target(kubelet, "csi-1");
    PodProcess.openPathTo(dir.getParent(), target);
    // Stopping the host leaves its tmpfs mounted, as a restart on a node does.
    try (PassportHost host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.TMPFS)
        .kubeletDir(kubelet)
        .fileModes(modes)
        .backendFactory(backend, Map.of())
        .start();
        CsiClient client = new CsiClient(host.socket())) {
      client.node().nodePublishVolume(FileAccessEndToEndTest.request("csi-1", target,
          OptionalInt.empty(), Instant.parse("2099-01-01T00:00:00Z")));
    }
    return target;
  }

  /** "ok:<content>" or "denied". */
  private static String read(PodProcess process, Path file) throws Exception {
    PodProcess.Read read = process.cat(file);
    if (read.succeeded()) {
      return "ok:" + read.output();
    }
    return read.output().contains("Permission denied") ? "denied" : "failed:" + read.output().trim();
  }

  private static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static void print(String name, Object value) {
    System.out.println(PREFIX + name + "=" + value);
  }

  private static Map<String, String> expected() {
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("fsType", "tmpfs");
    expected.put("defaultRead", "ok:pw");
    expected.put("defaultNestedRead", "ok:app");
    expected.put("defaultRootMode", "rwxr-xr-x");
    expected.put("restrictedRead", "denied");
    expected.put("restrictedRootMode", "rwxr-x---");
    expected.put("groupRead", "ok:key");
    expected.put("otherUserKeyRead", "denied");
    expected.put("otherUserCaRead", "ok:ca");
    return expected;
  }
}
