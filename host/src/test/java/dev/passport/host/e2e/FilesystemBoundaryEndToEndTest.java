package dev.passport.host.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import csi.v1.Csi;
import dev.passport.host.PassportHost;
import dev.passport.host.e2e.fixture.ScriptedBackendFactory;
import dev.passport.host.testing.CsiClient;
import dev.passport.host.testing.Requests;
import dev.passport.host.testing.TreeSnapshot;
import dev.passport.host.volume.MountMode;
import dev.passport.testkit.FakeClock;
import dev.passport.testkit.PluginDirectoryBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 through the real socket, directory mode: a "root in the pod" adversary races the host's
 * republishes inside a published target, and content Passport did not write survives a failed
 * publish and an unpublish of a path the host does not know.
 */
class FilesystemBoundaryEndToEndTest {

  private static final Instant START = Instant.parse("2026-11-26T10:00:00Z");
  private static final String TOKEN = "pod-token-" + System.nanoTime();
  private static final String CONTENT = "key=k1\ndb/password=pw\ndb/user=app\n";
  /** Host republishes: each one after a tamper rewrites the volume from the cache. */
  private static final int REPUBLISHES = 150;
  /** The adversary's own bound, whatever the host does. */
  private static final int ADVERSARY_MOVES = 20_000;
  private static final Duration ADVERSARY_TIME = Duration.ofSeconds(60);
  private static final Pattern DATA_DIR = Pattern.compile("\\.\\.\\d{4}_\\d{2}_\\d{2}_\\d{2}_\\d{2}_\\d{2}\\.\\d+");

  @TempDir Path dir;
  /** Stands for the node outside every volume: the driver's socket, /etc, other pods' files. */
  @TempDir Path node;
  private Path control;
  private Path kubelet;
  private Path pods;
  private PassportHost host;
  private CsiClient client;

  @BeforeEach
  void start() throws Exception {
    control = Files.createDirectories(dir.resolve("control"));
    kubelet = dir.resolve("kubelet");
    pods = Files.createDirectories(kubelet.resolve("pods"));
    Path pluginsDir = dir.resolve("plugins");
    PluginDirectoryBuilder.plugin(pluginsDir, "scripted")
        .classes(ScriptedBackendFactory.class)
        .factory(ScriptedBackendFactory.class)
        .build();
    Path configDir = Files.createDirectories(dir.resolve("conf"));
    Files.writeString(configDir.resolve("scripted.properties"), "controlDir=${ENV:CONTROL_DIR}\n");
    Files.writeString(control.resolve("content"), CONTENT);
    host = PassportHost.builder()
        .socket(dir.resolve("csi.sock"))
        .stateDir(dir.resolve("state"))
        .nodeId("node-1")
        .pluginsDir(pluginsDir)
        .configDir(configDir)
        .environment(Map.of("CONTROL_DIR", control.toString()))
        .mountMode(MountMode.DIRECTORY)
        .kubeletDir(kubelet)
        .clock(FakeClock.at(START))
        .fetchTimeout(Duration.ofSeconds(20))
        .start();
    client = new CsiClient(host.socket());
    Files.createDirectories(node.resolve("etc"));
    Files.writeString(node.resolve("etc/passwd"), "root:x:0:0\n");
    Files.writeString(node.resolve("csi.sock"), "the driver's socket");
    Path secret = Files.writeString(node.resolve("secret"), "node secret");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    host.close();
  }

  @Test
  void rootInThePod_racingRepublishes_neverChangesAnythingOutsideTheTarget() throws Exception {
    Path target = Requests.target(kubelet, "attacked");
    client.node().nodePublishVolume(request("attacked", target).build());
    TreeSnapshot nodeBefore = TreeSnapshot.of(node);
    long seed = System.nanoTime();
    Adversary adversary = new Adversary(target, new Random(seed));
    Thread attacker = new Thread(adversary, "root-in-the-pod");
    Map<Status.Code, Integer> answers = new EnumMap<>(Status.Code.class);

    attacker.start();
    try {
      for (int i = 0; i < REPUBLISHES && attacker.isAlive(); i++) {
        Status.Code code = Status.Code.OK;
        try {
          client.node().nodePublishVolume(request("attacked", target).build());
        } catch (StatusRuntimeException e) {
          // Refusing to write into a tampered volume is a fine answer; crashing is not.
          code = e.getStatus().getCode();
        }
        answers.merge(code, 1, Integer::sum);
      }
    } finally {
      adversary.stop.set(true);
      attacker.join(TimeUnit.SECONDS.toMillis(60));
    }

    String seen = "seed " + seed + ", host answers " + answers + ", adversary moves "
        + adversary.moves.get();
    System.out.println("adversary: " + seen);
    assertThat(attacker.isAlive()).as("the adversary ended; " + seen).isFalse();
    assertThat(adversary.failure.get()).as(seen).isNull();
    assertThat(answers).as(seen).doesNotContainKeys(Status.Code.UNKNOWN, Status.Code.DEADLINE_EXCEEDED);
    assertThat(TreeSnapshot.of(node)).as(seen).isEqualTo(nodeBefore);

    // The attack over, the next republish restores the volume; unpublish removes Passport's part.
    client.node().nodePublishVolume(request("attacked", target).build());
    assertThat(Files.readString(target.resolve("key"))).isEqualTo("k1");
    assertThat(Files.readString(target.resolve("db/password"))).isEqualTo("pw");
    unpublish("attacked", target);
    assertThat(TreeSnapshot.of(node)).as(seen).isEqualTo(nodeBefore);
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> left = Files.list(target)) {
        assertThat(left.map(p -> p.getFileName().toString()))
            .as("what the adversary made stays; Passport's own entries are gone")
            .doesNotContain("..data", "key", "db")
            .noneMatch(name -> DATA_DIR.matcher(name).matches()
                && Files.isDirectory(target.resolve(name), LinkOption.NOFOLLOW_LINKS));
      }
    }
  }

  @Test
  void firstPublishFails_overPreexistingContent_leavesItInPlace() throws IOException {
    Path target = Files.createDirectories(Requests.target(kubelet, "preexisting"));
    Files.writeString(target.resolve("notes.txt"), "mine");
    Files.createDirectories(target.resolve("sub/deeper"));
    Files.createSymbolicLink(target.resolve("outside"), node);
    Path linkTarget = Files.createSymbolicLink(Requests.target(kubelet, "a-link"), node);
    TreeSnapshot podsBefore = TreeSnapshot.of(pods);
    TreeSnapshot nodeBefore = TreeSnapshot.of(node);
    Files.writeString(control.resolve("fail"), "PERMISSION_DENIED");

    assertCode(request("preexisting", target).build(), Status.Code.PERMISSION_DENIED);
    // a target that is a link is refused by the confinement before the backend is asked
    assertCode(request("a-link", linkTarget).build(), Status.Code.INVALID_ARGUMENT);
    Files.writeString(control.resolve("fail"), "");
    // The backend answers, but a file is in the way of a name: the write fails after mounting.
    Files.writeString(target.resolve("key"), "not a link");
    TreeSnapshot podsWithKey = TreeSnapshot.of(pods);
    assertThatThrownBy(() -> client.node().nodePublishVolume(request("preexisting", target).build()))
        .isInstanceOf(StatusRuntimeException.class);

    assertThat(TreeSnapshot.of(pods)).isEqualTo(podsWithKey);
    Files.delete(target.resolve("key"));
    assertThat(TreeSnapshot.of(pods)).isEqualTo(podsBefore);
    assertThat(TreeSnapshot.of(node)).isEqualTo(nodeBefore);
  }

  @Test
  void unpublish_ofAPathTheHostDoesNotKnow_touchesNothingItDidNotWrite() throws IOException {
    Path foreign = Files.createDirectories(Requests.target(kubelet, "foreign"));
    Files.writeString(foreign.resolve("data.db"), "someone else's");
    Files.createDirectories(foreign.resolve("..hidden/inner"));
    Files.createSymbolicLink(foreign.resolve("up"), node);
    TreeSnapshot podsBefore = TreeSnapshot.of(pods);
    TreeSnapshot nodeBefore = TreeSnapshot.of(node);

    unpublish("never-published", foreign);
    unpublish("never-published", node.resolve("etc"));
    unpublish("never-published", node.resolve("secret"));

    assertThat(TreeSnapshot.of(pods)).isEqualTo(podsBefore);
    assertThat(TreeSnapshot.of(node)).isEqualTo(nodeBefore);
  }

  /**
   * Root in the pod: in a loop bounded by moves and time, tampers with the volume so the host
   * rewrites it, and plants links to the node and FIFOs where the writer creates, chmods, reads and
   * deletes. Every move races the host, so a move that fails (the entry changed under it) is fine.
   */
  private final class Adversary implements Runnable {
    final Path target;
    final Random random;
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger moves = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private int planted;

    Adversary(Path target, Random random) {
      this.target = target;
      this.random = random;
    }

    @Override
    public void run() {
      long deadline = System.nanoTime() + ADVERSARY_TIME.toNanos();
      try {
        while (!stop.get() && moves.incrementAndGet() <= ADVERSARY_MOVES && System.nanoTime() < deadline) {
          try {
            move();
          } catch (IOException | UncheckedIOException e) {
            // Lost a race with the writer (a walk or listing saw an entry vanish): try another move.
          }
        }
      } catch (RuntimeException | Error e) {
        failure.set(e);
      }
    }

    private void move() throws IOException {
      Optional<Path> current = current();
      switch (random.nextInt(9)) {
        // Tampering: the next republish sees a changed fingerprint and rewrites the volume.
        case 0 -> {
          if (current.isPresent()) {
            Files.deleteIfExists(current.get().resolve("key"));
          }
        }
        // chmod/chown and writes: every fresh data directory's entries become links to the node.
        case 1 -> {
          for (Path fresh : dataDirs()) {
            if (!Optional.of(fresh).equals(current)) {
              replaceWithLink(fresh.resolve("key"), node.resolve("secret"));
              replaceWithLink(fresh.resolve("db"), node.resolve("etc"));
            }
          }
        }
        // A fresh data directory swapped for a link while the host fills it.
        case 2 -> {
          for (Path fresh : dataDirs()) {
            if (!Optional.of(fresh).equals(current)) {
              Files.move(fresh, target.resolve("..pod-moved-" + planted++));
              Files.createSymbolicLink(fresh, node);
            }
          }
        }
        // Intermediate directory of a nested file: ..data/db becomes a link to the node's /etc.
        case 3 -> {
          if (current.isPresent()) {
            replaceWithLink(current.get().resolve("db"), node.resolve("etc"));
          }
        }
        // The verification read: a FIFO or /dev/zero where a file was.
        case 4 -> {
          if (current.isPresent()) {
            Path file = current.get().resolve("key");
            Files.deleteIfExists(file);
            mkfifo(file);
          }
        }
        case 5 -> {
          if (current.isPresent()) {
            replaceWithLink(current.get().resolve("key"), Path.of("/dev/zero"));
          }
        }
        // The debris walk: names of the writer's own shapes that are links to the node, and
        // debris directories full of links.
        case 6 -> {
          Files.createSymbolicLink(target.resolve("..2020_01_01_00_00_00." + planted++), node);
          Path debris = Files.createDirectories(target.resolve("..2020_01_01_00_00_00." + planted++ + "/d"));
          Files.createSymbolicLink(debris.resolve("secret"), node.resolve("secret"));
          Files.createSymbolicLink(debris.getParent().resolve("etc"), node.resolve("etc"));
        }
        case 7 -> replaceWithLink(target.resolve("..data_tmp"), node.resolve("csi.sock"));
        // User-visible names pointed at the node (the writer unlinks them, never follows them).
        default -> replaceWithLink(target.resolve("key"), node.resolve("secret"));
      }
    }

    private Optional<Path> current() throws IOException {
      Path data = target.resolve("..data");
      if (!Files.isSymbolicLink(data)) {
        return Optional.empty();
      }
      Path resolved = target.resolve(Files.readSymbolicLink(data));
      return Files.isDirectory(resolved, LinkOption.NOFOLLOW_LINKS) ? Optional.of(resolved) : Optional.empty();
    }

    private List<Path> dataDirs() throws IOException {
      try (Stream<Path> entries = Files.list(target)) {
        return entries.filter(p -> DATA_DIR.matcher(p.getFileName().toString()).matches())
            .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
            .toList();
      }
    }
  }

  private static void replaceWithLink(Path path, Path to) throws IOException {
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> tree = Files.walk(path)) {
        for (Path p : tree.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    } else {
      Files.deleteIfExists(path);
    }
    Files.createSymbolicLink(path, to);
  }

  private static void mkfifo(Path path) throws IOException {
    Process process = new ProcessBuilder("mkfifo", path.toString()).redirectErrorStream(true).start();
    try {
      process.getInputStream().readAllBytes();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running mkfifo", e);
    }
  }

  private Csi.NodePublishVolumeRequest.Builder request(String volumeId, Path target) {
    return Requests.publish(volumeId, target, Map.of("backend", "scripted"),
        Requests.tokensJson(Map.of("scripted", TOKEN), START.plus(Duration.ofHours(1))));
  }

  private void unpublish(String volumeId, Path target) {
    client.node().nodeUnpublishVolume(Csi.NodeUnpublishVolumeRequest.newBuilder()
        .setVolumeId(volumeId).setTargetPath(target.toString()).build());
  }

  private void assertCode(Csi.NodePublishVolumeRequest request, Status.Code code) {
    assertThatThrownBy(() -> client.node().nodePublishVolume(request))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(code));
  }
}
