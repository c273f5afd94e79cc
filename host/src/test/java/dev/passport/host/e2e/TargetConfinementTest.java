package dev.passport.host.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.testing.CountingBackend;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.volume.MountMode;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pod author (the volume's {@code readOnly}) and a confused or hostile caller of the socket
 * (the target path) can make the root driver touch: through the real socket, in directory mode.
 * Every refused call leaves the file system exactly as it was, inside and outside the kubelet dir.
 */
class TargetConfinementTest {

  private static final String TOKEN = "pod-token-" + System.nanoTime();

  @TempDir Path dir;
  private Path kubelet;
  /** A directory with files of its own, standing for any node directory outside the kubelet dir. */
  private Path outside;
  private final CountingBackend backend = new CountingBackend();
  private PassportHost host;
  private CsiClient client;

  @BeforeEach
  void start() throws Exception {
    kubelet = Files.createDirectories(dir.resolve("kubelet"));
    outside = Files.createDirectories(dir.resolve("node/etc"));
    Files.writeString(outside.resolve("passwd"), "root:x:0:0\n");
    Files.createDirectories(outside.resolve("volumes/kubernetes.io~csi/v/mount"));
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .kubeletDir(kubelet)
        .mountMode(MountMode.DIRECTORY)
        .backendFactory(backend, Map.of())
        .start();
    client = new CsiClient(host.socket());
  }

  @AfterEach
  void stop() {
    client.close();
    host.close();
  }

  @Test
  void publish_readonlyFalse_isInvalidArgumentTellingThePodAuthorTheFix_andWritesNothing()
      throws IOException {
    Path target = Requests.target(kubelet, "v");
    Map<String, String> before = tree(dir);

    assertRefused(request("v", target).setReadonly(false),
        "set readOnly: true on the csi volume");

    assertThat(target).doesNotExist();
    assertThat(tree(dir)).isEqualTo(before);
    assertThat(backend.calls()).isZero();
  }

  @Test
  void publish_targetOutsideTheKubeletDir_isInvalidArgument_andTouchesNothing() throws IOException {
    Map<String, String> before = tree(dir);

    assertRefused(request("v", outside.resolve("volumes/kubernetes.io~csi/v/mount")),
        "is outside the kubelet dir");
    assertRefused(request("v", outside.resolve("new")), "is outside the kubelet dir");
    assertRefused(request("v", kubelet), "is outside the kubelet dir");

    assertThat(tree(dir)).isEqualTo(before);
    assertThat(backend.calls()).isZero();
  }

  @Test
  void publish_targetOfAnotherShapeBelowTheKubeletDir_isInvalidArgument_andTouchesNothing()
      throws IOException {
    Path mount = Requests.target(kubelet, "v");
    Path pod = kubelet.resolve("pods").resolve(Requests.podUid("v"));
    Files.createDirectories(pod.resolve("volumes/kubernetes.io~empty-dir/v"));
    Map<String, String> before = tree(dir);

    assertRefused(request("v", mount.getParent()), "/pods/<pod-uid>/volumes/kubernetes.io~csi/");
    assertRefused(request("v", mount.resolve("deeper")), "<volume-name>/mount");
    assertRefused(request("v", pod.resolve("volumes/kubernetes.io~empty-dir/v/mount")),
        "kubernetes.io~csi");
    assertRefused(request("v", kubelet.resolve("plugins/passport.csi.dev/x/y/mount")),
        "kubernetes.io~csi");
    // Not normalized: ".." could climb out once resolved.
    assertRefused(request("v", Path.of(mount.getParent() + "/../v/mount")), "normalized");
    assertRefused(request("v", Path.of("relative/mount")), "absolute");

    assertThat(tree(dir)).isEqualTo(before);
  }

  @Test
  void publish_targetInAnotherPodsDirectory_isInvalidArgument() throws IOException {
    Path othersTarget = Requests.target(kubelet, "other");
    Map<String, String> before = tree(dir);

    assertRefused(request("v", othersTarget), "the request is for pod " + Requests.podUid("v"));

    assertThat(tree(dir)).isEqualTo(before);
  }

  @Test
  void publish_symlinkedComponentBelowTheKubeletDir_isInvalidArgument_andTouchesNothing()
      throws IOException {
    // pods/<uid>/volumes -> a directory outside, which has kubelet's shape below it
    Path pod = Files.createDirectories(kubelet.resolve("pods").resolve(Requests.podUid("v")));
    Files.createSymbolicLink(pod.resolve("volumes"), outside.resolve("volumes"));
    Path throughLink = pod.resolve("volumes/kubernetes.io~csi/v/mount");
    // the target itself a link to a directory outside
    Path linkedMount = Requests.target(kubelet, "w");
    Files.createSymbolicLink(linkedMount, outside);
    // the target a regular file
    Path fileMount = Requests.target(kubelet, "f");
    Files.writeString(fileMount, "not a directory");
    Map<String, String> before = tree(dir);

    assertRefused(request("v", throughLink), "is a symbolic link");
    assertRefused(request("w", linkedMount), "is a symbolic link");
    assertRefused(request("f", fileMount), "is not a directory");

    assertThat(tree(dir)).isEqualTo(before);
    assertThat(backend.calls()).isZero();
  }

  @Test
  void publish_parentKubeletShouldHaveCreatedIsMissing_isInvalidArgumentNamingTheKubeletDir()
      throws IOException {
    Path target = kubelet.resolve("pods/uid-v/volumes/kubernetes.io~csi/v/mount");
    Map<String, String> before = tree(dir);

    assertRefused(request("v", target), "--kubelet-dir " + kubelet);

    assertThat(tree(dir)).isEqualTo(before);
  }

  @Test
  void unpublish_foreignPath_isOk_andTouchesNothing() throws IOException {
    Path pod = Files.createDirectories(kubelet.resolve("pods").resolve(Requests.podUid("v")));
    Files.createSymbolicLink(pod.resolve("volumes"), outside.resolve("volumes"));
    Path linkedMount = Requests.target(kubelet, "w");
    Files.createSymbolicLink(linkedMount, outside);
    Map<String, String> before = tree(dir);

    unpublish("v", outside);
    unpublish("v", outside.resolve("passwd"));
    unpublish("v", outside.resolve("volumes/kubernetes.io~csi/v/mount"));
    unpublish("v", pod.resolve("volumes/kubernetes.io~csi/v/mount"));
    unpublish("w", linkedMount);
    unpublish("v", Path.of(kubelet + "/pods/uid-v/../../../node/etc"));

    assertThat(tree(dir)).isEqualTo(before);
  }

  @Test
  void unpublish_ofAPublishedVolumeWithAForeignPath_isOk_andKeepsTheVolume() throws IOException {
    Path target = Requests.target(kubelet, "v");
    client.node().nodePublishVolume(request("v", target).build());
    Map<String, String> before = tree(dir);

    unpublish("v", outside);

    assertThat(tree(dir)).isEqualTo(before);
    assertThat(host.volumes().state("v")).isPresent();
    unpublish("v", target);
    assertThat(target).doesNotExist();
    assertThat(host.volumes().state("v")).isEmpty();
  }

  private Csi.NodePublishVolumeRequest.Builder request(String volumeId, Path target) {
    return Requests.publish(volumeId, target, Map.of("backend", CountingBackend.NAME),
        Requests.tokensJson(Map.of(CountingBackend.AUDIENCE, TOKEN), Instant.now().plusSeconds(3600)));
  }

  private void assertRefused(Csi.NodePublishVolumeRequest.Builder request, String message) {
    assertThatThrownBy(() -> client.node().nodePublishVolume(request.build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(e.getStatus().getDescription()).contains(message);
        });
  }

  private void unpublish(String volumeId, Path target) {
    client.node().nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder()
        .setVolumeId(volumeId).setTargetPath(target.toString()).build());
  }

  /**
   * Every entry below {@code root} without following links: its kind, mode, and content or link
   * target. Equal snapshots mean nothing was created, changed or removed.
   */
  private static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> entries = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : (Iterable<Path>) paths::iterator) {
        if (path.startsWith(root.resolve("state")) || path.equals(root.resolve("csi.sock"))) {
          continue;
        }
        String mode = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS).toString();
        String what;
        if (Files.isSymbolicLink(path)) {
          what = "link " + Files.readSymbolicLink(path);
        } else if (Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
          what = "file " + new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
        } else {
          what = "dir";
        }
        entries.put(root.relativize(path).toString(), what + " " + mode);
      }
    }
    return entries;
  }
}
