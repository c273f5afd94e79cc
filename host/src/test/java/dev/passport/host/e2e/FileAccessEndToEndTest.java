package dev.passport.host.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.FileAccessBackend;
import dev.passport.host.testing.PodProcess;
import dev.passport.host.testing.Requests;
import dev.passport.host.volume.FileModes;
import dev.passport.host.volume.MountMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15 through the real socket, directory mode: who can read a published file. A process of
 * the pod is a real process with the pod's uid and groups ({@link PodProcess}); a uid-65534
 * container without fsGroup reads the default {@code 0644} files, as with kubelet's secret
 * volumes; {@code --default-file-mode 0440} restores the old behaviour; a backend's group and a
 * plugin's per-file mode decide over the default. {@link FileAccessTmpfsTest} runs the same reads
 * in a real tmpfs.
 */
class FileAccessEndToEndTest {

  static final int NOBODY = 65534;
  static final int BACKEND_GROUP = 2000;
  static final int FS_GROUP = 3000;
  private static final String TOKEN = "pod-token-" + System.nanoTime();

  @TempDir Path dir;
  private PassportHost host;
  private CsiClient client;

  @BeforeAll
  static void needsRootAndSetpriv() {
    assumeTrue(PodProcess.available(), "needs root and setpriv to run a process as uid 65534");
  }

  @AfterEach
  void stop() throws Exception {
    close();
  }

  @Test
  void podWithoutFsGroup_defaultMode_fileIsReadableByUid65534WithNoGroups() throws Exception {
    FileAccessBackend backend = new FileAccessBackend().file("password", "pw").file("db/user", "app");
    Path target = publish(start(FileModes.defaults(), backend), "csi-1", OptionalInt.empty(), expiry());

    assertThat(PodProcess.as(NOBODY, NOBODY).cat(target.resolve("password")))
        .isEqualTo(new PodProcess.Read(0, "pw"));
    assertThat(PodProcess.as(NOBODY, NOBODY).cat(target.resolve("db/user")))
        .isEqualTo(new PodProcess.Read(0, "app"));
    assertThat(mode(target)).isEqualTo("rwxr-xr-x");
    assertThat(mode(target.resolve("..data/password"))).isEqualTo("rw-r--r--");
  }

  @Test
  void defaultFileMode0440_fileIsNotReadableByUid65534_asBefore() throws Exception {
    FileAccessBackend backend = new FileAccessBackend().file("password", "pw");
    Path target = publish(start(FileModes.parse("0440"), backend), "csi-1", OptionalInt.empty(),
        expiry());

    PodProcess.Read read = PodProcess.as(NOBODY, NOBODY).cat(target.resolve("password"));
    assertThat(read.succeeded()).as(read.output()).isFalse();
    assertThat(read.output()).contains("Permission denied").doesNotContain("pw");
    assertThat(mode(target)).isEqualTo("rwxr-x---");
    assertThat(mode(target.resolve("..data/password"))).isEqualTo("r--r-----");
  }

  @Test
  void backendGroup_withoutFsGroup_0440FileIsReadableInThatGroupOnly() throws Exception {
    FileAccessBackend backend = new FileAccessBackend().file("tls.key", "key").group(BACKEND_GROUP);
    Path target = publish(start(FileModes.parse("0440"), backend), "csi-1", OptionalInt.empty(),
        expiry());

    assertThat(PodProcess.as(NOBODY, BACKEND_GROUP).cat(target.resolve("tls.key")))
        .isEqualTo(new PodProcess.Read(0, "key"));
    assertThat(PodProcess.as(NOBODY, NOBODY).withGroups(BACKEND_GROUP).cat(target.resolve("tls.key")))
        .isEqualTo(new PodProcess.Read(0, "key"));
    assertThat(PodProcess.as(NOBODY, NOBODY).cat(target.resolve("tls.key")).succeeded()).isFalse();
    assertThat(Files.getAttribute(target.resolve("..data/tls.key"), "unix:gid")).isEqualTo(BACKEND_GROUP);
    assertThat(Files.getAttribute(target, "unix:gid")).isEqualTo(BACKEND_GROUP);
  }

  @Test
  void backendGroup_winsOverThePodsFsGroup_andTheBackendIsToldTheFsGroup() throws Exception {
    FileAccessBackend backend = new FileAccessBackend().file("tls.key", "key").group(BACKEND_GROUP);
    Path target = publish(start(FileModes.parse("0440"), backend), "csi-1", OptionalInt.of(FS_GROUP),
        expiry());

    assertThat(Files.getAttribute(target.resolve("..data/tls.key"), "unix:gid")).isEqualTo(BACKEND_GROUP);
    assertThat(PodProcess.as(NOBODY, NOBODY).withGroups(FS_GROUP).cat(target.resolve("tls.key"))
        .succeeded()).isFalse();
    assertThat(backend.mountGroups()).containsExactly(OptionalInt.of(FS_GROUP));
  }

  @Test
  void podFsGroup_0440FileIsReadableByAProcessWithThatSupplementaryGroup() throws Exception {
    FileAccessBackend backend = new FileAccessBackend().file("password", "pw");
    Path target = publish(start(FileModes.parse("0440"), backend), "csi-1", OptionalInt.of(FS_GROUP),
        expiry());

    assertThat(PodProcess.as(NOBODY, NOBODY).withGroups(FS_GROUP).cat(target.resolve("password")))
        .isEqualTo(new PodProcess.Read(0, "pw"));
    assertThat(PodProcess.as(NOBODY, NOBODY).cat(target.resolve("password")).succeeded()).isFalse();
  }

  @Test
  void pluginMode0444_winsOverThe0440Default_andItsDirectoriesAllowTraversal() throws Exception {
    FileAccessBackend backend = new FileAccessBackend()
        .file("ca.crt", "ca", 0444).file("certs/chain.pem", "chain", 0444).file("tls.key", "key");
    Path target = publish(start(FileModes.parse("0440"), backend), "csi-1", OptionalInt.empty(),
        expiry());

    assertThat(PodProcess.as(NOBODY, NOBODY).cat(target.resolve("ca.crt")))
        .isEqualTo(new PodProcess.Read(0, "ca"));
    assertThat(PodProcess.as(NOBODY, NOBODY).cat(target.resolve("certs/chain.pem")))
        .isEqualTo(new PodProcess.Read(0, "chain"));
    assertThat(PodProcess.as(NOBODY, NOBODY).cat(target.resolve("tls.key")).succeeded()).isFalse();
    assertThat(mode(target.resolve("..data/tls.key"))).isEqualTo("r--r-----");
  }

  @Test
  void restartThenTokenRotation_backendReturnsPrevious_keepsItsGroupAndDoesNotRewrite()
      throws Exception {
    FileAccessBackend backend = new FileAccessBackend().file("tls.key", "key").group(BACKEND_GROUP);
    Path target = publish(start(FileModes.parse("0440"), backend), "csi-1", OptionalInt.empty(),
        expiry());
    Path dataDir = Files.readSymbolicLink(target.resolve("..data"));
    close();
    backend.returnPrevious();

    // A new host with the same state dir: the cache is gone, the state and the volume remain.
    start(FileModes.parse("0440"), backend);
    publish(client, "csi-1", OptionalInt.empty(), expiry().plusSeconds(600));

    assertThat(backend.previousGiven()).containsExactly(false, true);
    assertThat(Files.readSymbolicLink(target.resolve("..data"))).as("not rewritten").isEqualTo(dataDir);
    assertThat(Files.getAttribute(target.resolve("..data/tls.key"), "unix:gid")).isEqualTo(BACKEND_GROUP);
    assertThat(PodProcess.as(NOBODY, BACKEND_GROUP).cat(target.resolve("tls.key")).succeeded()).isTrue();
  }

  private CsiClient start(FileModes modes, FileAccessBackend backend) throws Exception {
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(dir.resolve("kubelet"))
        .fileModes(modes)
        .backendFactory(backend, Map.of())
        .start();
    client = new CsiClient(host.socket());
    return client;
  }

  private void close() throws Exception {
    if (client != null) {
      client.close();
      client = null;
    }
    if (host != null) {
      host.close();
      host = null;
    }
  }

  private Path publish(CsiClient csi, String volumeId, OptionalInt fsGroup, Instant tokenExpiry)
      throws IOException {
    Path target = Requests.target(dir.resolve("kubelet"), volumeId);
    PodProcess.openPathTo(dir, target);
    csi.node().nodePublishVolume(request(volumeId, target, fsGroup, tokenExpiry));
    return target;
  }

  /** kubelet's request, with {@code volume_mount_group} when the pod sets an fsGroup. */
  static Csi.NodePublishVolumeRequest request(String volumeId, Path target, OptionalInt fsGroup,
      Instant tokenExpiry) {
    Csi.VolumeCapability.MountVolume.Builder mount = Csi.VolumeCapability.MountVolume.newBuilder();
    fsGroup.ifPresent(gid -> mount.setVolumeMountGroup(Integer.toString(gid)));
    Csi.NodePublishVolumeRequest.Builder request = Requests.publish(volumeId, target,
        Map.of("backend", FileAccessBackend.NAME),
        Requests.tokensJson(Map.of(FileAccessBackend.AUDIENCE, TOKEN), tokenExpiry));
    return request.setVolumeCapability(request.getVolumeCapability().toBuilder().setMount(mount))
        .build();
  }

  private static Instant expiry() {
    return Instant.parse("2099-01-01T00:00:00Z");
  }

  static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
  }
}
