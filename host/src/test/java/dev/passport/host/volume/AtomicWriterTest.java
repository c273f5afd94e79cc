package dev.passport.host.volume;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.passport.api.MaterialFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

class AtomicWriterTest {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T14:08:00Z"), ZoneOffset.UTC);
  private static final int FS_GROUP = 4242;

  /** Every step before the swap, for the failure-injection tests. */
  static final List<String> STEPS_BEFORE_SWAP = AtomicWriter.STEPS_BEFORE_SWAP;
  static final List<String> STEPS_AFTER_SWAP = AtomicWriter.STEPS_AFTER_SWAP;

  @TempDir Path target;
  private AtomicWriter writer;

  @BeforeEach
  void setUp() {
    writer = new AtomicWriter(target, CLOCK, step -> {});
  }

  @Test
  void firstWrite_linksEveryNameThroughDataToATimestampedDirectory() throws IOException {
    WriteResult result = write(file("tls.crt", "cert"), file("tls.key", "key"));

    assertThat(result.written()).isTrue();
    assertThat(result.dataDirName()).startsWith("..2026_11_26_14_08_00.");
    assertThat(Files.readSymbolicLink(target.resolve("..data"))).isEqualTo(Path.of(result.dataDirName()));
    assertThat(Files.readSymbolicLink(target.resolve("tls.crt"))).isEqualTo(Path.of("..data/tls.crt"));
    assertThat(Files.readString(target.resolve("tls.crt"))).isEqualTo("cert");
    assertThat(Files.readString(target.resolve("tls.key"))).isEqualTo("key");
    assertThat(entries()).containsExactlyInAnyOrder("..data", result.dataDirName(), "tls.crt", "tls.key");
    assertThat(result.contentHash()).isEqualTo(ContentHash.of(List.of(file("tls.key", "key"), file("tls.crt", "cert"))));
  }

  @Test
  void update_contentChanged_swapsToANewDirectoryAndRemovesTheOldOne() throws IOException {
    WriteResult first = write(file("password", "v1"));

    WriteResult second = write(file("password", "v2"));

    assertThat(second.written()).isTrue();
    assertThat(second.dataDirName()).isNotEqualTo(first.dataDirName());
    assertThat(Files.readString(target.resolve("password"))).isEqualTo("v2");
    assertThat(entries()).containsExactlyInAnyOrder("..data", second.dataDirName(), "password");
  }

  @Test
  void shrink_fileRemoved_removesItsLink() throws IOException {
    write(file("a", "1"), file("b", "2"), file("dir/c", "3"));

    WriteResult result = write(file("a", "1"));

    assertThat(entries()).containsExactlyInAnyOrder("..data", result.dataDirName(), "a");
    assertThat(writer.read()).contains(List.of(file("a", "1")));
  }

  @Test
  void grow_fileAdded_addsItsLink() throws IOException {
    write(file("a", "1"));

    WriteResult result = write(file("a", "1"), file("b", "2"));

    assertThat(entries()).containsExactlyInAnyOrder("..data", result.dataDirName(), "a", "b");
    assertThat(Files.readString(target.resolve("b"))).isEqualTo("2");
  }

  @Test
  void nestedPath_linksOnlyTheFirstSegment() throws IOException {
    WriteResult result = write(file("db/password", "pw"), file("db/user", "app"), file("top", "t"));

    assertThat(Files.readSymbolicLink(target.resolve("db"))).isEqualTo(Path.of("..data/db"));
    assertThat(Files.readString(target.resolve("db/password"))).isEqualTo("pw");
    assertThat(Files.isDirectory(target.resolve(result.dataDirName()).resolve("db"), LinkOption.NOFOLLOW_LINKS)).isTrue();
    assertThat(entries()).containsExactlyInAnyOrder("..data", result.dataDirName(), "db", "top");
  }

  @Test
  void unchangedContent_writesNothing() throws IOException {
    WriteResult first = write(file("tls.crt", "cert"), file("db/password", "pw"));
    Path dataDir = target.resolve(first.dataDirName());
    FileTime old = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));
    Files.setLastModifiedTime(dataDir, old);
    Files.setLastModifiedTime(dataDir.resolve("tls.crt"), old);
    Object inode = Files.getAttribute(dataDir.resolve("tls.crt"), "unix:ino");

    // Same files in another order: the same content.
    WriteResult second = write(file("db/password", "pw"), file("tls.crt", "cert"));

    assertThat(second).isEqualTo(new WriteResult(false, first.dataDirName(), first.contentHash()));
    assertThat(Files.getLastModifiedTime(dataDir)).isEqualTo(old);
    assertThat(Files.getLastModifiedTime(dataDir.resolve("tls.crt"))).isEqualTo(old);
    assertThat(Files.getAttribute(dataDir.resolve("tls.crt"), "unix:ino")).isEqualTo(inode);
  }

  @Test
  void modes_filesKeepTheirModeAndDirectoriesLetEveryClassThatReadsAFileTraverse() throws IOException {
    WriteResult result = write(MaterialFile.of("key", bytes("k"), 0400), file("db/password", "pw"),
        MaterialFile.of("script", bytes("s"), 0555));
    Path dataDir = target.resolve(result.dataDirName());

    assertThat(mode(dataDir.resolve("key"))).isEqualTo("r--------");
    assertThat(mode(dataDir.resolve("db/password"))).isEqualTo("rw-r--r--");
    assertThat(mode(dataDir.resolve("script"))).isEqualTo("r-xr-xr-x");
    assertThat(mode(dataDir)).isEqualTo("r-xr-xr-x");
    assertThat(mode(dataDir.resolve("db"))).isEqualTo("r-xr-xr-x");
    assertThat(mode(target)).isEqualTo("rwxr-xr-x");
  }

  @Test
  void modes_ownerAndGroupFiles_closeDirectoriesAndTargetToOthers() throws IOException {
    WriteResult result = write(MaterialFile.of("tls.key", bytes("k"), 0440),
        MaterialFile.of("db/password", bytes("pw"), 0440));
    Path dataDir = target.resolve(result.dataDirName());

    assertThat(mode(target)).isEqualTo("rwxr-x---");
    assertThat(mode(dataDir)).isEqualTo("r-xr-x---");
    assertThat(mode(dataDir.resolve("db"))).isEqualTo("r-xr-x---");
  }

  @Test
  void modes_subdirectory_followsOnlyTheFilesBeneathIt() throws IOException {
    WriteResult result = write(file("tls.crt", "c"), MaterialFile.of("private/key", bytes("k"), 0400));
    Path dataDir = target.resolve(result.dataDirName());

    assertThat(mode(dataDir)).isEqualTo("r-xr-xr-x");
    assertThat(mode(dataDir.resolve("private"))).isEqualTo("r-x------");
    assertThat(mode(target)).isEqualTo("rwxr-xr-x");
  }

  @Test
  void targetModeChanged_sameContent_isSetAgainWithoutRewriting() throws IOException {
    WriteResult first = write(file("tls.crt", "c"));
    Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-x---"));

    WriteResult second = write(file("tls.crt", "c"));

    assertThat(second.written()).isFalse();
    assertThat(second.dataDirName()).isEqualTo(first.dataDirName());
    assertThat(mode(target)).isEqualTo("rwxr-xr-x");
  }

  @Test
  void fsGroup_givesEveryDirectoryAndFileThatGroup() throws IOException {
    WriteResult result = writer.write(List.of(MaterialFile.of("tls.crt", bytes("c"), 0440),
        MaterialFile.of("db/password", bytes("pw"), 0440)), OptionalInt.of(FS_GROUP));
    Path dataDir = target.resolve(result.dataDirName());

    for (Path path : List.of(target, dataDir, dataDir.resolve("db"), dataDir.resolve("db/password"),
        dataDir.resolve("tls.crt"))) {
      assertThat(Files.getAttribute(path, "unix:gid", LinkOption.NOFOLLOW_LINKS)).as(path.toString())
          .isEqualTo(FS_GROUP);
    }
    assertThat(mode(target)).isEqualTo("rwxr-x---");
    assertThat(mode(dataDir)).isEqualTo("r-xr-x---");
    assertThat(mode(dataDir.resolve("db"))).isEqualTo("r-xr-x---");
    assertThat(mode(dataDir.resolve("tls.crt"))).isEqualTo("r--r-----");
  }

  @Test
  void fsGroup_defaultModeFiles_stayReadableByEveryone() throws IOException {
    WriteResult result = writer.write(List.of(file("tls.crt", "c")), OptionalInt.of(FS_GROUP));
    Path dataDir = target.resolve(result.dataDirName());

    assertThat(Files.getAttribute(dataDir.resolve("tls.crt"), "unix:gid")).isEqualTo(FS_GROUP);
    assertThat(mode(dataDir.resolve("tls.crt"))).isEqualTo("rw-r--r--");
    assertThat(mode(dataDir)).isEqualTo("r-xr-xr-x");
    assertThat(mode(target)).isEqualTo("rwxr-xr-x");
  }

  @Test
  void groupRemoved_sameContent_rewritesWithTheWritersGroup() throws IOException {
    writer.write(List.of(file("a", "1")), OptionalInt.of(FS_GROUP));

    WriteResult result = writer.write(List.of(file("a", "1")), OptionalInt.empty());

    assertThat(result.written()).isTrue();
    assertThat(Files.getAttribute(target.resolve("..data/a"), "unix:gid")).isEqualTo(Fs.effectiveGid());
    assertThat(Files.getAttribute(target, "unix:gid")).isEqualTo(Fs.effectiveGid());
  }

  @Test
  void fsGroupChanged_sameContent_rewritesWithTheNewGroup() throws IOException {
    writer.write(List.of(file("a", "1")), OptionalInt.of(FS_GROUP));

    WriteResult result = writer.write(List.of(file("a", "1")), OptionalInt.of(FS_GROUP + 1));

    assertThat(result.written()).isTrue();
    assertThat(Files.getAttribute(target.resolve("..data/a"), "unix:gid")).isEqualTo(FS_GROUP + 1);
  }

  @ParameterizedTest(name = "failure at {0}")
  @FieldSource("STEPS_BEFORE_SWAP")
  void interruptedWrite_failureBeforeSwap_keepsOldContentAndLeavesNoNewDirectory(String failingStep)
      throws IOException {
    WriteResult old = write(file("tls.crt", "old-cert"), file("db/password", "old-pw"));
    Set<String> before = entries();
    AtomicWriter failing = new AtomicWriter(target, CLOCK, failAt(failingStep));

    assertThatThrownBy(() -> failing.write(List.of(file("tls.crt", "new"), file("extra", "x")), OptionalInt.empty()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("injected failure at " + failingStep);

    assertThat(entries()).isEqualTo(before);
    assertThat(Files.readString(target.resolve("tls.crt"))).isEqualTo("old-cert");
    assertThat(Files.readString(target.resolve("db/password"))).isEqualTo("old-pw");
    assertThat(writer.holds(old.dataDirName(), old.contentHash())).isTrue();
  }

  @ParameterizedTest(name = "failure at {0}")
  @FieldSource("STEPS_BEFORE_SWAP")
  void interruptedFirstWrite_failureBeforeSwap_leavesTheTargetEmpty(String failingStep) throws IOException {
    AtomicWriter failing = new AtomicWriter(target, CLOCK, failAt(failingStep));

    assertThatThrownBy(() -> failing.write(List.of(file("a", "1")), OptionalInt.of(FS_GROUP)))
        .isInstanceOf(IOException.class);

    assertThat(entries()).isEmpty();
    assertThat(writer.currentContentHash()).isEmpty();
    assertThat(writer.read()).isEmpty();
  }

  @ParameterizedTest(name = "failure at {0}")
  @FieldSource("STEPS_AFTER_SWAP")
  void interruptedWrite_failureAfterSwap_servesNewContentAndTheNextWriteRepairs(String failingStep)
      throws IOException {
    WriteResult old = write(file("a", "1"), file("b", "2"));
    AtomicWriter failing = new AtomicWriter(target, CLOCK, failAt(failingStep));

    assertThatThrownBy(() -> failing.write(List.of(file("a", "new"), file("c", "3")), OptionalInt.empty()))
        .isInstanceOf(IOException.class);
    assertThat(Files.readString(target.resolve("a"))).isEqualTo("new");

    WriteResult repaired = write(file("a", "new"), file("c", "3"));

    assertThat(repaired.written()).isFalse();
    assertThat(entries()).containsExactlyInAnyOrder("..data", repaired.dataDirName(), "a", "c")
        .doesNotContain(old.dataDirName());
  }

  @Test
  void crashLeftovers_areRemovedByTheNextWrite() throws IOException {
    write(file("a", "1"));
    Path debris = Files.createDirectories(target.resolve("..2020_01_01_00_00_00.123/nested"));
    Files.writeString(debris.resolve("half-written"), "x");
    Files.createSymbolicLink(target.resolve("..data_tmp"), Path.of("..2020_01_01_00_00_00.123"));
    Files.createSymbolicLink(target.resolve("gone"), Path.of("..data/gone"));

    WriteResult result = write(file("a", "2"));

    assertThat(entries()).containsExactlyInAnyOrder("..data", result.dataDirName(), "a");
  }

  @Test
  void crashLeftovers_areRemovedEvenWhenContentIsUnchanged() throws IOException {
    WriteResult first = write(file("a", "1"));
    Files.createDirectories(target.resolve("..2020_01_01_00_00_00.456"));
    Files.delete(target.resolve("a"));

    WriteResult second = write(file("a", "1"));

    assertThat(second.written()).isFalse();
    assertThat(entries()).containsExactlyInAnyOrder("..data", first.dataDirName(), "a");
  }

  @Test
  void holds_untouchedVolume_isTrue() throws IOException {
    WriteResult result = write(file("a", "1"), file("d/b", "2"));

    assertThat(writer.holds(result.dataDirName(), result.contentHash())).isTrue();
    assertThat(writer.currentContentHash()).contains(result.contentHash());
  }

  @Test
  void holds_fileEdited_isFalse() throws IOException {
    WriteResult result = write(file("a", "1"));
    Files.writeString(target.resolve(result.dataDirName()).resolve("a"), "tampered");

    assertThat(writer.holds(result.dataDirName(), result.contentHash())).isFalse();
  }

  @Test
  void holdsAndFingerprint_userVisibleLinkRemovedOrReplaced_sayTheVolumeIsDamaged()
      throws IOException {
    WriteResult result = write(file("a", "1"), file("d/b", "2"));
    assertThat(writer.fingerprint()).isPresent();

    Files.delete(target.resolve("a"));
    assertThat(writer.holds(result.dataDirName(), result.contentHash())).isFalse();
    assertThat(writer.fingerprint()).isEmpty();

    Files.createSymbolicLink(target.resolve("a"), Path.of("..data/d"));
    assertThat(writer.holds(result.dataDirName(), result.contentHash())).isFalse();
    assertThat(writer.fingerprint()).isEmpty();

    WriteResult repaired = write(file("a", "1"), file("d/b", "2"));
    assertThat(writer.holds(repaired.dataDirName(), repaired.contentHash())).isTrue();
    assertThat(Files.readString(target.resolve("a"))).isEqualTo("1");
  }

  @Test
  void holds_dataRepointedToACopy_isFalse() throws IOException {
    WriteResult result = write(file("a", "1"));
    Path copy = Files.createDirectory(target.resolve("..copy"));
    Files.copy(target.resolve(result.dataDirName()).resolve("a"), copy.resolve("a"));
    Files.delete(target.resolve("..data"));
    Files.createSymbolicLink(target.resolve("..data"), Path.of("..copy"));

    assertThat(writer.holds(result.dataDirName(), result.contentHash())).isFalse();
  }

  @Test
  void dataPointingOutsideTheTarget_isNotReadAndIsReplacedByTheNextWrite(@TempDir Path outside)
      throws IOException {
    WriteResult result = write(file("a", "1"));
    Files.writeString(outside.resolve("a"), "1");
    Files.delete(target.resolve("..data"));
    Files.createSymbolicLink(target.resolve("..data"), outside);

    assertThat(writer.holds(result.dataDirName(), result.contentHash())).isFalse();
    assertThat(writer.currentContentHash()).isEmpty();
    assertThat(writer.read()).isEmpty();

    WriteResult rewritten = write(file("a", "1"));
    assertThat(rewritten.written()).isTrue();
    assertThat(writer.holds(rewritten.dataDirName(), rewritten.contentHash())).isTrue();
    assertThat(outside.resolve("a")).hasContent("1");
  }

  @Test
  void linkPlantedInsideDataDir_isNotReadThrough() throws IOException {
    WriteResult result = write(file("a", "1"));
    Files.createSymbolicLink(target.resolve(result.dataDirName()).resolve("passwd"), Path.of("/etc/passwd"));

    assertThat(writer.read()).isEmpty();
    assertThat(writer.holds(result.dataDirName(), result.contentHash())).isFalse();
  }

  @Test
  void read_roundTripsPathsBytesAndModes() throws IOException {
    List<MaterialFile> files = List.of(MaterialFile.of("tls.key", new byte[] {0, 1, 2, (byte) 255}, 0400),
        file("ca/root.pem", "root"), MaterialFile.of("ca/sub/inter.pem", bytes("inter"), 0444));
    WriteResult result = writer.write(files, OptionalInt.of(FS_GROUP));

    assertThat(writer.read()).hasValueSatisfying(read -> {
      assertThat(read).containsExactlyInAnyOrderElementsOf(files);
      assertThat(ContentHash.of(read)).isEqualTo(result.contentHash());
    });
  }

  @Test
  void nothingWritten_readsAsEmpty() throws IOException {
    assertThat(writer.read()).isEmpty();
    assertThat(writer.currentContentHash()).isEmpty();
    assertThat(writer.holds("..2026_11_26_14_08_00.1", "0".repeat(64))).isFalse();
  }

  @Test
  void pathLeavingTheVolume_isRefusedBeforeAnythingIsWritten() {
    assertThatThrownBy(() -> write(file("../escape", "x")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"../escape\"");
    assertThat(target.getParent().resolve("escape")).doesNotExist();
    assertThat(target).isEmptyDirectory();
  }

  @Test
  void regularFileInTheWayOfAName_isRefusedWithoutTouchingTheVolume() throws IOException {
    Files.writeString(target.resolve("tls.crt"), "not ours");

    assertThatThrownBy(() -> write(file("tls.crt", "c")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("\"tls.crt\"")
        .hasMessageContaining("in the way");
    assertThat(entries()).containsExactly("tls.crt");
    assertThat(target.resolve("tls.crt")).hasContent("not ours");
  }

  @Test
  void missingTarget_isRefused() {
    AtomicWriter missing = new AtomicWriter(target.resolve("missing"));

    assertThatThrownBy(() -> missing.write(List.of(file("a", "1")), OptionalInt.empty()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("is not a directory");
  }

  @Test
  void targetThatIsASymlink_isRefused(@TempDir Path elsewhere) throws IOException {
    Path link = Files.createSymbolicLink(target.resolve("link"), elsewhere);

    assertThatThrownBy(() -> new AtomicWriter(link).write(List.of(file("a", "1")), OptionalInt.empty()))
        .isInstanceOf(IOException.class);
    assertThat(elsewhere).isEmptyDirectory();
  }

  private WriteResult write(MaterialFile... files) throws IOException {
    return writer.write(List.of(files), OptionalInt.empty());
  }

  private Set<String> entries() throws IOException {
    try (Stream<Path> list = Files.list(target)) {
      return list.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  private static AtomicWriter.Step failAt(String failingStep) {
    return name -> {
      if (name.equals(failingStep)) {
        throw new IOException("injected failure at " + name);
      }
    };
  }

  /** A file as the writer receives it: the host resolved its mode to the default (FileModes). */
  private static MaterialFile file(String path, String content) {
    return MaterialFile.of(path, bytes(content), MaterialFile.DEFAULT_MODE);
  }

  private static byte[] bytes(String content) {
    return content.getBytes(UTF_8);
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
  }
}
