package dev.passport.host.volume;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.passport.api.MaterialFile;
import dev.passport.host.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Root in the pod, one move at a time (issue 14): each test plants a link, a FIFO, a device or a
 * swapped directory inside the volume exactly where the old by-path writer followed it — between
 * two steps of a write (through the writer's step hook), or before a verification read, debris
 * removal or unpublish — and then checks that nothing outside the volume changed mode, content or
 * existence. The randomised, concurrent version is {@code PodAdversaryEndToEndTest}.
 */
class AtomicWriterAdversaryTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T14:08:00Z"), ZoneOffset.UTC);
  private static final int FS_GROUP = 4242;
  /** Bounds a read that would block on a FIFO or never end on /dev/zero; not a speed check. */
  private static final Duration HANG = Duration.ofSeconds(30);

  @TempDir Path target;
  /** Stands for the node outside the volume: the driver's socket, /etc, other pods' files. */
  @TempDir Path node;
  private TreeSnapshot nodeBefore;

  @BeforeEach
  void plantTheNode() throws IOException {
    Files.createDirectories(node.resolve("etc"));
    Files.writeString(node.resolve("etc/passwd"), "root:x:0:0\n");
    Files.writeString(node.resolve("csi.sock"), "the driver's socket");
    Path secret = Files.writeString(node.resolve("secret"), "node secret");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    nodeBefore = TreeSnapshot.of(node);
  }

  @Test
  void fileAndDirectorySwappedForLinksBeforeModesAreSet_neverChmodsOrChownsOutside() throws IOException {
    write(new AtomicWriter(target, CLOCK, step -> {}), "v1");
    AtomicWriter attacked = new AtomicWriter(target, CLOCK, step -> {
      if (step.equals("files-written")) {
        Path fresh = freshDataDir();
        replaceWithLink(fresh.resolve("key"), node.resolve("secret"));
        replaceWithLink(fresh.resolve("db"), node.resolve("etc"));
      }
    });

    // The write may or may not succeed; what matters is where its chmod and chown landed.
    attempt(() -> write(attacked, "v2"));

    assertThat(TreeSnapshot.of(node)).isEqualTo(nodeBefore);
  }

  @Test
  void dataDirectorySwappedForALinkWhileFilled_writesNothingOutside_andTheNextWriteRepairs()
      throws IOException {
    write(new AtomicWriter(target, CLOCK, step -> {}), "v1");
    AtomicWriter attacked = new AtomicWriter(target, CLOCK, step -> {
      if (step.equals("data-dir-created")) {
        Path fresh = freshDataDir();
        Files.move(fresh, target.resolve("..moved-by-pod"));
        Files.createSymbolicLink(fresh, node);
      }
    });

    attempt(() -> write(attacked, "v2"));
    assertThat(TreeSnapshot.of(node)).isEqualTo(nodeBefore);

    AtomicWriter writer = new AtomicWriter(target, CLOCK, step -> {});
    WriteResult repaired = write(writer, "v3");
    assertThat(writer.holds(repaired.dataDirName(), repaired.contentHash())).isTrue();
    assertThat(target.resolve("db/password")).hasContent("pw-v3");
    assertThat(TreeSnapshot.of(node)).isEqualTo(nodeBefore);
  }

  @Test
  void intermediateDirectoryPlantedAsALink_failsTheWriteWithoutWritingOutside() throws IOException {
    AtomicWriter writer = new AtomicWriter(target, CLOCK, step -> {});
    WriteResult old = write(writer, "v1");
    AtomicWriter attacked = new AtomicWriter(target, CLOCK, step -> {
      if (step.equals("data-dir-created")) {
        Files.createSymbolicLink(freshDataDir().resolve("db"), node.resolve("etc"));
      }
    });

    assertThatThrownBy(() -> write(attacked, "v2")).isInstanceOf(IOException.class)
        .hasMessageContaining("mkdirat");

    assertThat(TreeSnapshot.of(node)).isEqualTo(nodeBefore);
    assertThat(node.resolve("etc/password")).doesNotExist();
    assertThat(writer.holds(old.dataDirName(), old.contentHash())).isTrue();
  }

  @Test
  void debrisThatIsOrHoldsLinks_isRemovedWithoutFollowingThem() throws IOException {
    AtomicWriter writer = new AtomicWriter(target, CLOCK, step -> {});
    write(writer, "v1");
    Files.createSymbolicLink(target.resolve("..2020_01_01_00_00_00.1"), node);
    Files.createSymbolicLink(target.resolve("..data_tmp"), node.resolve("secret"));
    Path debris = Files.createDirectories(target.resolve("..2020_01_01_00_00_00.2/deep"));
    Files.createSymbolicLink(debris.resolve("secret"), node.resolve("secret"));
    Files.createSymbolicLink(debris.getParent().resolve("etc"), node.resolve("etc"));
    Files.createDirectories(target.resolve("..2020_01_01_00_00_00.3/swapped"));
    // Swapped for a link after the write has started and before its debris walk.
    AtomicWriter attacked = new AtomicWriter(target, CLOCK, step -> {
      if (step.equals("links-created")) {
        replaceWithLink(target.resolve("..2020_01_01_00_00_00.3/swapped"), node.resolve("etc"));
      }
    });

    write(attacked, "v2");

    assertThat(TreeSnapshot.of(node)).isEqualTo(nodeBefore);
    assertThat(target.resolve("..2020_01_01_00_00_00.2")).doesNotExist();
    assertThat(target.resolve("..2020_01_01_00_00_00.3")).doesNotExist();
    assertThat(target.resolve("..data_tmp")).doesNotExist();
    // A link of the data-directory pattern is not a directory the writer made: it stays.
    assertThat(Files.isSymbolicLink(target.resolve("..2020_01_01_00_00_00.1"))).isTrue();
  }

  @Test
  void fifoPlantedWhereAFileWas_isNeverOpenedForReading_andTheNextWriteRestores() throws Exception {
    AtomicWriter writer = new AtomicWriter(target, CLOCK, step -> {});
    WriteResult written = write(writer, "v1");
    Path file = target.resolve(written.dataDirName()).resolve("key");
    Files.delete(file);
    run("mkfifo", file.toString());

    assertNotReadable(writer, written);
    WriteResult restored = write(writer, "v1");
    assertThat(restored.written()).isTrue();
    assertThat(target.resolve("key")).hasContent("key-v1");
  }

  @Test
  void linkToDevZeroWhereAFileWas_isNotReadThrough() throws Exception {
    AtomicWriter writer = new AtomicWriter(target, CLOCK, step -> {});
    WriteResult written = write(writer, "v1");
    replaceWithLink(target.resolve(written.dataDirName()).resolve("db/password"), Path.of("/dev/zero"));

    assertNotReadable(writer, written);
  }

  @Test
  void deviceNodeWhereAFileWas_isNeverRead() throws Exception {
    AtomicWriter writer = new AtomicWriter(target, CLOCK, step -> {});
    WriteResult written = write(writer, "v1");
    Path file = target.resolve(written.dataDirName()).resolve("key");
    Files.delete(file);
    assumeTrue(run("mknod", file.toString(), "c", "1", "5") == 0, "mknod needs CAP_MKNOD");

    assertNotReadable(writer, written);
  }

  @Test
  void fileGrownPastTheReadLimit_isNotReadWhole() throws IOException {
    AtomicWriter writer = new AtomicWriter(target, 64, CLOCK, step -> {});
    WriteResult written = write(writer, "v1");
    Path file = target.resolve(written.dataDirName()).resolve("key");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    Files.write(file, new byte[1 << 20]);

    assertThat(writer.read()).isEmpty();
    assertThat(writer.holds(written.dataDirName(), written.contentHash())).isFalse();
  }

  @Test
  void targetSwappedForALinkBetweenWrites_isRefused() throws IOException {
    Path volume = Files.createDirectory(target.resolve("vol"));
    AtomicWriter writer = new AtomicWriter(volume, CLOCK, step -> {});
    write(writer, "v1");
    Files.move(volume, target.resolve("vol-moved"));
    Files.createSymbolicLink(volume, node);

    assertThatThrownBy(() -> write(writer, "v2")).isInstanceOf(IOException.class)
        .hasMessageContaining("is not a directory");
    assertThat(writer.read()).isEmpty();
    assertThat(writer.hasContent()).isFalse();
    writer.removeOwnEntriesAndTarget();
    assertThat(TreeSnapshot.of(node)).isEqualTo(nodeBefore);
    assertThat(Files.isSymbolicLink(volume)).isTrue();
  }

  private void assertNotReadable(AtomicWriter writer, WriteResult written) {
    assertTimeoutPreemptively(HANG, () -> {
      assertThat(writer.read()).isEmpty();
      assertThat(writer.currentContentHash()).isEmpty();
      assertThat(writer.holds(written.dataDirName(), written.contentHash())).isFalse();
      // The fingerprint reads metadata only (it never opens the planted entry), and a tree with
      // something the writer never makes has none: nothing can be proven by it.
      assertThat(writer.fingerprint()).isEmpty();
    });
    assertThat(TreeSnapshot.of(node)).isEqualTo(nodeBefore);
  }

  /** A volume with a file, a nested file and an fsGroup: chmod, chown and mkdirat all happen. */
  private static WriteResult write(AtomicWriter writer, String version) throws IOException {
    return writer.write(List.of(
        MaterialFile.of("key", ("key-" + version).getBytes(UTF_8), 0400),
        MaterialFile.of("db/password", ("pw-" + version).getBytes(UTF_8), 0440)),
        OptionalInt.of(FS_GROUP));
  }

  /** The timestamped directory a write is filling: the one ..data does not point to. */
  private Path freshDataDir() throws IOException {
    Optional<Path> current = Files.isSymbolicLink(target.resolve("..data"))
        ? Optional.of(Files.readSymbolicLink(target.resolve("..data"))) : Optional.empty();
    try (Stream<Path> entries = Files.list(target)) {
      return entries.filter(p -> AtomicWriter.DATA_DIR.matcher(p.getFileName().toString()).matches())
          .filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
          .filter(p -> current.map(c -> !c.equals(p.getFileName())).orElse(true))
          .findFirst().orElseThrow();
    }
  }

  private static void replaceWithLink(Path path, Path to) throws IOException {
    if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> tree = Files.walk(path)) {
        for (Path p : tree.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
          Files.delete(p);
        }
      }
    } else {
      Files.deleteIfExists(path);
    }
    Files.createSymbolicLink(path, to);
  }

  private interface Attempt {
    void run() throws IOException;
  }

  private static void attempt(Attempt attempt) {
    try {
      attempt.run();
    } catch (IOException e) {
      // Refusing is a fine answer to an attack.
    }
  }

  private static int run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IOException(String.join(" ", command) + " did not finish");
    }
    return process.exitValue();
  }
}
